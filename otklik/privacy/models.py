"""Retention: how long closed tickets, quarantined mail and Telegram updates are kept, and each run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The policy is a single row; it is created on first read.
POLICY_ID = 1


class ClosedTicketAction(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymise: keep the ticket for statistics, remove its texts, files and raw mail")
    DELETE = "delete", _("Delete the ticket with its files and raw mail")


class RetentionPolicy(models.Model):
    """Empty periods mean "keep forever": nothing is removed until an administrator decides."""

    closed_ticket_months = models.PositiveIntegerField(
        _("closed tickets are kept for (months)"), null=True, blank=True
    )
    closed_ticket_action = models.CharField(
        _("then"), max_length=10, choices=ClosedTicketAction.choices, default=ClosedTicketAction.ANONYMISE
    )
    quarantined_mail_days = models.PositiveIntegerField(
        _("quarantined mail is kept for (days)"), null=True, blank=True
    )
    telegram_update_days = models.PositiveIntegerField(
        _("processed Telegram updates are kept for (days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policy")

    def __str__(self) -> str:
        return str(_("Retention policy"))

    @classmethod
    def current(cls) -> RetentionPolicy:
        policy, _created = cls.objects.get_or_create(pk=POLICY_ID)
        return policy


class RetentionRun(models.Model):
    """One dry run (counts only) or real run of the retention policy, with what it counted or removed."""

    dry_run = models.BooleanField(_("dry run"), default=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"{'dry run' if self.dry_run else 'run'} {self.started_at:%Y-%m-%d %H:%M}"
