from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.notifications.topics import TOPICS

TOPIC_CHOICES = [(code, topic.label) for code, topic in TOPICS.items()]


class NotificationTemplate(models.Model):
    """The words of one topic in one language; admins edit them, the shipped ones are the fallback."""

    topic = models.CharField(_("topic"), max_length=60, choices=TOPIC_CHOICES)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject / title"), max_length=500)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive rows use the shipped text."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["topic", "language"]
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        constraints = [
            models.UniqueConstraint(fields=["topic", "language"], name="notification_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} ({self.language})"


class NotificationPreference(models.Model):
    """A person's choice for one topic; no row means the default (every channel on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    topic = models.CharField(_("topic"), max_length=60, choices=TOPIC_CHOICES)
    email = models.BooleanField(_("email"), default=True)
    in_app = models.BooleanField(_("in the app"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="notification_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.topic}"


class Notification(models.Model):
    """An in-app notification (the bell). Title and body are rendered in the recipient's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    topic = models.CharField(_("topic"), max_length=60, choices=TOPIC_CHOICES)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        "tickets.TicketEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=500)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # The same key is delivered once per recipient, whoever produces it and however often.
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once_per_key"),
        ]

    def __str__(self) -> str:
        return self.title


class OutboxCursor(models.Model):
    """How far one consumer of the TicketEvent outbox has read: every event up to `position` is done."""

    consumer = models.CharField(max_length=100, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("outbox cursor")
        verbose_name_plural = _("outbox cursors")

    def __str__(self) -> str:
        return f"{self.consumer} @ {self.position}"


class ReceiptState(models.TextChoices):
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class OutboxReceipt(models.Model):
    """The claim on one event by one consumer. Its unique key is what makes a second worker skip it."""

    consumer = models.CharField(max_length=100)
    event = models.ForeignKey("tickets.TicketEvent", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=ReceiptState.choices, default=ReceiptState.DONE)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField()

    class Meta:
        ordering = ["-event_id"]
        verbose_name = _("outbox receipt")
        verbose_name_plural = _("outbox receipts")
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event"], name="outbox_receipt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.consumer}: {self.event_id} {self.state}"
