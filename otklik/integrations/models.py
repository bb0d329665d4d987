"""Outgoing webhooks: subscriptions, one delivery per (subscription, ticket event), and the attempt log."""

from __future__ import annotations

import secrets
import uuid

from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.integrations.kinds import CHAT_KINDS
from otklik.tickets.models import EventKind, TicketEvent


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class SubscriptionScope(models.TextChoices):
    # Public: what the ticket's requester could see. Staff: internal notes and staff-only fields too.
    PUBLIC = "public", _("Public: no internal notes or staff-only fields")
    STAFF = "staff", _("Staff: includes internal notes and staff-only fields")


class WebhookSubscription(models.Model):
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        default=new_webhook_secret,
        help_text=_("Receivers verify the X-Otklik-Signature header with it."),
    )
    event_kinds = models.JSONField(
        _("event kinds"),
        default=list,
        blank=True,
        help_text=_('Ticket event kinds to send, e.g. ["created", "replied"]; empty sends every kind.'),
    )
    scope = models.CharField(
        _("scope"), max_length=10, choices=SubscriptionScope.choices, default=SubscriptionScope.PUBLIC
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        if kind == EventKind.NOTE_ADDED and self.scope != SubscriptionScope.STAFF:
            return False
        if kind in CHAT_KINDS:
            return kind in (self.event_kinds or [])  # opt-in: see otklik.integrations.kinds
        return not self.event_kinds or kind in self.event_kinds


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(models.Model):
    """Written in the same transaction as its TicketEvent (or chat message / dialog change): the outbox row a
    worker later sends. Chat deliveries have no ticket event; their payload is built when written and their
    `source_key` (e.g. `chat.message.created:42`) keeps them once per subscription."""

    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        TicketEvent, verbose_name=_("event"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source_key = models.CharField(_("source"), max_length=100, blank=True)
    event_kind = models.CharField(_("event kind"), max_length=40)
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # A worker that claims the delivery owns it until then; a crashed worker's claim simply expires.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Built at the first attempt and kept, so every retry and redelivery sends the same bytes.
    payload = models.JSONField(_("payload"), null=True, blank=True)
    response_status = models.PositiveIntegerField(_("last response status"), null=True, blank=True)
    response_excerpt = models.TextField(_("last response body (excerpt)"), blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once_per_event"),
            models.UniqueConstraint(
                fields=["subscription", "source_key"], condition=~models.Q(source_key=""),
                name="webhook_delivery_once_per_source",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_kind} → {self.subscription_id} ({self.state})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    response_excerpt = models.TextField(_("response body (excerpt)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"#{self.number} {self.response_status or self.error[:40]}"
