"""Rows the web UI keeps for itself: each agent's saved list views (canned replies: automation.CannedReply)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User


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


class ListColumns(models.Model):
    """The ticket list's columns an agent chose, in their order (otklik.web.columns keeps it valid)."""

    owner = models.OneToOneField(User, on_delete=models.CASCADE, related_name="list_columns")
    columns = models.JSONField(_("columns"), default=list)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("ticket list columns")
        verbose_name_plural = _("ticket list columns")

    def __str__(self) -> str:
        return ", ".join(self.columns)
