"""Rows the web UI keeps for itself: canned replies and each agent's saved list views."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Team, User


class CannedReply(models.Model):
    """A prepared answer. Placeholders such as {requester.first_name} are filled in for the ticket."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {requester.first_name}, {requester.last_name}, {requester.name}, {requester.email}, "
            "{ticket.number}, {ticket.subject}, {ticket.status}, {agent.first_name}, {agent.name}, "
            "{agent.signature}."
        ),
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, help_text=_("Empty: offered whatever the agent's language.")
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE,
        help_text=_("Empty: offered to every agent."),
    )
    owner = models.ForeignKey(
        User, verbose_name=_("personal for"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", help_text=_("Set to keep the reply for one agent only."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    """An agent's named list: filters and sort kept as the list's query string."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name
