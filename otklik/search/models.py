"""The search index: one row per ticket subject and per message, kept beside the ticket tables.

The full-text structures live on top of this table and depend on the database: a GIN index over
to_tsvector('russian', text) on PostgreSQL (the 'russian' configuration stems Cyrillic and English
words alike), an FTS5 virtual table kept in step by triggers on SQLite. See migrations/0001.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.tickets.models import Message, Ticket


class SearchEntry(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    # Empty for the ticket's subject row.
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Copied from the message so a requester's search can leave notes out without a join.
    is_internal = models.BooleanField(default=False)
    text = models.TextField()

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(message__isnull=True), name="search_one_subject_row"
            )
        ]

    def __str__(self) -> str:
        return f"search entry {self.pk} of ticket {self.ticket_id}"
