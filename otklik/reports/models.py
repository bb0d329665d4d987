"""Per-ticket report facts: the durations reports average, kept from ticket events.

A row is the fold of its ticket's history (see `facts.ticket_facts`), written in the same transaction
as the event that changed it, and rebuilt by `otklik reports_rebuild`. Reports aggregate these rows in
the database; nothing loads every ticket into Python.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.tickets.models import Ticket


class TicketTimes(models.Model):
    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="report_times")
    first_response_seconds = models.BigIntegerField(null=True, blank=True)
    first_response_working_seconds = models.BigIntegerField(null=True, blank=True)
    resolution_seconds = models.BigIntegerField(null=True, blank=True)
    resolution_working_seconds = models.BigIntegerField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    staff_replies = models.PositiveIntegerField(default=0)
    # The calendar the working figures were measured on, so a schedule change can be rebuilt.
    calendar_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("ticket report times")
        verbose_name_plural = _("ticket report times")

    def __str__(self) -> str:
        return f"times of {self.ticket_id}"


class WeeklyDigest(models.Model):
    """A manager's subscription to the weekly overview by email."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="report_digest")
    is_active = models.BooleanField(_("active"), default=True)
    last_sent_week = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("weekly report subscription")
        verbose_name_plural = _("weekly report subscriptions")

    def __str__(self) -> str:
        return f"weekly digest of {self.user_id}"
