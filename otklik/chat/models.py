"""First-line support chats: who may talk in them, what was said, and the dialogs measured from it.

A chat belongs to one desk (team). Each requester (or widget guest) has one conversation per chat:
requesters see only their own conversation, the desk's specialists see them all. A dialog is one
requester's question (their consecutive messages) and the first specialist answer to it; dialog rows are
written by the message service as messages arrive, so metrics are plain aggregates over rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Organization, Team, User
from otklik.security.framing import origins_from_lines
from otklik.sla.models import Schedule
from otklik.tickets.models import Ticket


class Membership(models.TextChoices):
    EVERYONE = "everyone", _("Everyone signed in")
    ORGANIZATIONS = "organizations", _("Members of the chosen organizations")
    PEOPLE = "people", _("Listed people")


class SupportChat(models.Model):
    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(Team, verbose_name=_("desk"), on_delete=models.PROTECT, related_name="support_chats")
    membership = models.CharField(
        _("who may ask"), max_length=20, choices=Membership.choices, default=Membership.EVERYONE
    )
    organizations = models.ManyToManyField(
        Organization, verbose_name=_("organizations"), blank=True, related_name="support_chats"
    )
    people = models.ManyToManyField(User, verbose_name=_("people"), blank=True, related_name="support_chats")
    allowed_origins = models.TextField(
        _("allowed widget origins"), blank=True,
        help_text=_("One origin per line, such as https://intranet.example.com. Empty: no embedding."),
    )
    allow_guests = models.BooleanField(_("guests may write from the widget"), default=False)
    first_response_minutes = models.PositiveIntegerField(
        _("first-line target, working minutes"), null=True, blank=True
    )
    schedule = models.ForeignKey(
        Schedule, verbose_name=_("working schedule"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Working time for response metrics; empty means around the clock."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("support chat")
        verbose_name_plural = _("support chats")

    def __str__(self) -> str:
        return self.name

    def origins(self) -> list[str]:
        return origins_from_lines(self.allowed_origins)


class Conversation(models.Model):
    """One requester's (or one widget guest's) thread in a chat."""

    chat = models.ForeignKey(SupportChat, on_delete=models.CASCADE, related_name="conversations")
    requester = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    guest_name = models.CharField(_("guest name"), max_length=200, blank=True)
    guest_email = models.EmailField(_("guest email"), blank=True)
    # The guest's secret: the widget keeps it in the browser to come back to the same thread.
    guest_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "requester"], condition=models.Q(requester__isnull=False),
                name="chat_conversation_one_per_requester",
            ),
            models.CheckConstraint(
                condition=models.Q(requester__isnull=False) | models.Q(guest_key__isnull=False),
                name="chat_conversation_has_someone",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.requester is not None:
            return str(self.requester)
        return self.guest_name or self.guest_email


class ChatMessage(models.Model):
    chat = models.ForeignKey(SupportChat, on_delete=models.CASCADE, related_name="messages")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    # Null for a guest (the conversation names them) or a removed user.
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_staff = models.BooleanField(default=False)
    is_internal = models.BooleanField(_("internal remark"), default=False)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("sanitized HTML"), blank=True)
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    # The ticket made from this message, shown as a card in the chat.
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["chat", "id"], name="chat_message_chat_id"),
            models.Index(fields=["conversation", "id"], name="chat_message_conversation_id"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} in chat {self.chat_id}"


def chat_file_path(instance: ChatAttachment, filename: str) -> str:
    return f"chat/{instance.created_at:%Y/%m}/{instance.token}"


class ChatAttachment(models.Model):
    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=chat_file_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=200, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Dialog(models.Model):
    """A requester's question (consecutive messages) and the first specialist answer to it."""

    chat = models.ForeignKey(SupportChat, on_delete=models.CASCADE, related_name="dialogs")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="dialogs")
    first_message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="+")
    last_question_message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="+")
    question_count = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(db_index=True)
    # The chat's first-line target (otklik.chat.firstline): planned at the question, stamped by the SLA sweep.
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    answer_message = models.ForeignKey(
        ChatMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    response_seconds = models.PositiveBigIntegerField(null=True, blank=True)
    response_working_seconds = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["chat", "started_at"], name="chat_dialog_chat_started"),
            models.Index(fields=["answered_at"], name="chat_dialog_answered"),
            models.Index(fields=["due_at"], name="chat_dialog_due", condition=models.Q(answered_at__isnull=True)),
        ]
        constraints = [
            # At most one open question per conversation: the service appends to it until answered.
            models.UniqueConstraint(
                fields=["conversation"], condition=models.Q(answered_at__isnull=True),
                name="chat_dialog_one_open_per_conversation",
            ),
        ]

    def __str__(self) -> str:
        return f"dialog {self.pk} in chat {self.chat_id}"
