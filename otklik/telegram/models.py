"""Telegram channel rows: bots, linked people, raw updates (inbox), conversations and the outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.tickets.models import Attachment, Ticket


class UnknownUsers(models.TextChoices):
    CREATE = "create", _("Create a requester from the Telegram profile")
    REFUSE = "refuse", _("Refuse with a message until the person links an account")


class Bot(models.Model):
    """One Telegram bot; several may run at once (one per desk). The token is a secret: never logged."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    token = models.CharField(_("bot token"), max_length=200, unique=True)
    api_url = models.CharField(
        _("Bot API URL"), max_length=300, blank=True,
        help_text=_("Empty: OTKLIK_TELEGRAM_API_URL, else the official https://api.telegram.org."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    username = models.CharField(_("bot username"), max_length=100, blank=True, editable=False)
    unknown_users = models.CharField(
        _("people without an account"), max_length=10, choices=UnknownUsers.choices, default=UnknownUsers.CREATE
    )
    conversation_idle_minutes = models.PositiveIntegerField(
        _("a started request expires after (minutes idle)"), default=60
    )
    webhook_secret = models.CharField(
        _("webhook secret token"), max_length=256, blank=True,
        help_text=_("Set for webhook mode; Telegram sends it in X-Telegram-Bot-Api-Secret-Token."),
    )
    # Flood control: after a 429 nothing is sent through this bot before this instant.
    send_paused_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Set for the row made from OTKLIK_TELEGRAM_TOKEN, so a changed variable updates it.
    from_environment = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Telegram bot")
        verbose_name_plural = _("Telegram bots")

    def __str__(self) -> str:
        return f"{self.name} (@{self.username})" if self.username else self.name


class TelegramAccount(models.Model):
    """A Telegram user linked to an Otklik account. Telegram user ids are the same for every bot."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="telegram_account")
    telegram_user_id = models.BigIntegerField(_("Telegram user id"), unique=True)
    username = models.CharField(_("Telegram username"), max_length=100, blank=True)
    language_code = models.CharField(_("Telegram client language"), max_length=10, blank=True)
    # The private chat to write to, and through which bot (the last one the person used).
    chat_id = models.BigIntegerField(null=True, blank=True)
    bot = models.ForeignKey(Bot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_by = models.CharField(_("linked by"), max_length=20)  # "token", "contact" or "created"
    linked_at = models.DateTimeField(_("linked"))

    class Meta:
        verbose_name = _("Telegram account")
        verbose_name_plural = _("Telegram accounts")

    def __str__(self) -> str:
        return f"{self.user} = tg:{self.telegram_user_id}"


class LinkToken(models.Model):
    """A one-time deep link `t.me/<bot>?start=<token>` made on the portal profile page."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link token of {self.user_id}"


class UpdateStatus(models.TextChoices):
    RECEIVED = "received", _("Received, waiting to be processed")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class InboundUpdate(models.Model):
    """One raw Bot API update, stored before it is processed; (bot, update_id) makes a repeat a no-op."""

    bot = models.ForeignKey(Bot, on_delete=models.PROTECT, related_name="updates")
    update_id = models.BigIntegerField()
    payload = models.JSONField(_("raw update"))
    received_at = models.DateTimeField(_("received"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=UpdateStatus.choices,
                              default=UpdateStatus.RECEIVED)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(default=0)
    telegram_user_id = models.BigIntegerField(null=True, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Telegram update")
        verbose_name_plural = _("Telegram updates")
        constraints = [models.UniqueConstraint(fields=["bot", "update_id"], name="telegram_update_once")]
        indexes = [models.Index(fields=["status", "received_at"], name="telegram_update_status")]

    def __str__(self) -> str:
        return f"{self.bot_id}:{self.update_id} {self.status}"


class Conversation(models.Model):
    """Where a person is in a guided dialog with one bot; in the database, so it survives restarts."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="+")
    chat_id = models.BigIntegerField()
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=30, blank=True)  # "" means idle
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "chat_id"], name="telegram_conversation_per_chat")]

    def __str__(self) -> str:
        return f"{self.chat_id}: {self.state or 'idle'}"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """A Bot API call we make: written in the caller's transaction, sent once by the sender job."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="outbox")
    chat_id = models.BigIntegerField()
    method = models.CharField(max_length=40)  # sendMessage, editMessageText, answerCallbackQuery, sendDocument
    params = models.JSONField(default=dict)
    attachment = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Not before this instant: backoff after an outage, or Telegram's retry_after.
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The Telegram message id of what we sent: a reply to it is a reply to `ticket`.
    telegram_message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("Telegram outbound message")
        verbose_name_plural = _("Telegram outbound messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="telegram_outbox_pending"),
            models.Index(fields=["chat_id", "telegram_message_id"], name="telegram_outbox_sent_id"),
        ]

    def __str__(self) -> str:
        return f"{self.method} to {self.chat_id}: {self.status}"


class GroupChat(models.Model):
    """A Telegram group the bot is in; bound to a support chat by an administrator, it serves as that chat.

    The bot writes the row itself the first time it hears from a group (so the admin sees the group's title
    and id and only picks the chat); until `support_chat` is set, the group's updates are parked.
    """

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="groups")
    telegram_chat_id = models.BigIntegerField(_("Telegram group id"))
    title = models.CharField(_("group title"), max_length=255, blank=True)
    support_chat = models.ForeignKey(
        "chat.SupportChat", verbose_name=_("support chat"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Empty: the group is not served; its messages wait until it is bound."),
    )
    # The one "this group is not bound yet" notice: said once, never repeated for every message.
    unbound_notice_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("first seen"))
    bound_at = models.DateTimeField(_("bound"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("Telegram group")
        verbose_name_plural = _("Telegram groups")
        constraints = [
            models.UniqueConstraint(fields=["bot", "telegram_chat_id"], name="telegram_group_per_bot_chat"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.telegram_chat_id} ({self.telegram_chat_id})"
