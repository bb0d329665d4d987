"""Template helpers of the chat pages."""

from __future__ import annotations

from datetime import datetime

from django import template

from otklik.chat.selectors import ConsoleRow

register = template.Library()


@register.filter
def target_state(row: ConsoleRow, now: datetime) -> str:
    """ "overdue", "due_soon" or "" for a console row (the rule of `otklik.chat.firstline.dialog_state`)."""
    return row.target_state(now)
