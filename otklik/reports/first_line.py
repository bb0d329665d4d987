"""The first line's numbers come from chat dialogs (`otklik.chat`); this is the one place that asks.

Contract of the chat app (glued here once it lands):
`otklik.chat.selectors.first_line_metrics(viewer, *, start, end, chat_id=None, team_id=None) -> dict` with
dialogs, avg_response_seconds, median_response_seconds, p90_response_seconds,
avg_response_working_seconds, unanswered; and `first_line_monthly(viewer, *, months=6, team_id=None)`
returning a list of dicts with "month": "YYYY-MM". Until it exists, reports show "No chats yet".
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

from otklik.accounts.models import User
from otklik.reports.filters import ReportFilters


def _chat_selectors() -> ModuleType | None:
    # Looked up at run time: the chat app is built on another branch and reports must work without it.
    if importlib.util.find_spec("otklik.chat.selectors") is None:
        return None
    return importlib.import_module("otklik.chat.selectors")


def first_line(viewer: User, filters: ReportFilters, *, chat_id: int | None = None) -> dict[str, Any] | None:
    """The first line's numbers for the period, or None while there is no chat."""
    module = _chat_selectors()
    metrics = getattr(module, "first_line_metrics", None) if module is not None else None
    if metrics is None:
        return None
    team_id = filters.team_ids[0] if filters.team_ids else None
    return dict(metrics(viewer, start=filters.start, end=filters.end, chat_id=chat_id, team_id=team_id))


def first_line_trend(viewer: User, filters: ReportFilters, *, months: int = 12) -> list[dict[str, Any]]:
    module = _chat_selectors()
    monthly = getattr(module, "first_line_monthly", None) if module is not None else None
    if monthly is None:
        return []
    team_id = filters.team_ids[0] if filters.team_ids else None
    return [dict(row) for row in monthly(viewer, months=months, team_id=team_id)]
