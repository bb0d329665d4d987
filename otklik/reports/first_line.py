"""The first line's numbers come from chat dialogs (`otklik.chat`); this is the one place reports ask for them.

The chat app owns the definitions (docs/chat.md): a dialog is one requester's question and the first
specialist answer to it. Reports only pass the viewer and the filters through, so the overview, the API's
`reports/first-line/` and the exports cannot disagree.
"""

from __future__ import annotations

from typing import Any

from otklik.accounts.models import User
from otklik.chat import selectors as chat_selectors
from otklik.reports.filters import ReportFilters


def has_chats(viewer: User) -> bool:
    """Whether the viewer serves any chat; asked once per page and passed to both blocks."""
    return chat_selectors.chats_visible_to(viewer).exists()


def _team_id(filters: ReportFilters) -> int | None:
    return filters.team_ids[0] if filters.team_ids else None


def first_line(viewer: User, filters: ReportFilters, *, chat_id: int | None = None,
               chats: bool | None = None) -> dict[str, Any] | None:
    """The first line's numbers for the period, or None while the viewer serves no chat (the page says so).

    `chats` is `has_chats(viewer)` when the caller already asked."""
    if not (has_chats(viewer) if chats is None else chats):
        return None
    return chat_selectors.first_line_metrics(
        viewer, start=filters.start, end=filters.end, chat_id=chat_id, team_id=_team_id(filters)
    )


def first_line_trend(viewer: User, filters: ReportFilters, *, months: int = 12,
                     chats: bool | None = None) -> list[dict[str, Any]]:
    if not (has_chats(viewer) if chats is None else chats):
        return []
    return chat_selectors.first_line_monthly(viewer, months=months, team_id=_team_id(filters))
