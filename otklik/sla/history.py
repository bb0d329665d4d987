"""Ticket events to clock events (SPEC 6): what starts, pauses, resumes, stops and reopens a clock.

One function decides it for the live path (the `ticket_event_recorded` receiver) and for the
replay of a ticket's history (a clock added mid-ticket, the demo backfill), so both agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from otklik.sla.clock import OPEN_STATES, PAUSED, RUNNING, STOPPED
from otklik.tickets.models import DONE_KINDS, EventKind

REACTION, RESOLUTION, NEXT_REPLY = "reaction", "resolution", "next_reply"
# Clocks a public staff answer stops: the first one (6.1) and each next one (6.4).
REPLY_METRICS = frozenset({REACTION, NEXT_REPLY})


@dataclass(frozen=True)
class StatusInfo:
    kind: str
    pauses_sla: bool


type StatusBook = Mapping[str, StatusInfo]


@dataclass(frozen=True)
class TicketHistoryItem:
    kind: str
    at: datetime
    data: Mapping[str, Any]


def _target_status(data: Mapping[str, Any], statuses: StatusBook) -> StatusInfo | None:
    code = data.get("to")
    known = statuses.get(code) if isinstance(code, str) else None
    to_kind = data.get("to_kind") or (known.kind if known else None)
    if to_kind is None:
        return None
    return StatusInfo(kind=str(to_kind), pauses_sla=bool(known.pauses_sla) if known else False)


def _source_kind(data: Mapping[str, Any], statuses: StatusBook) -> str | None:
    if data.get("from_kind"):
        return str(data["from_kind"])
    code = data.get("from")
    known = statuses.get(code) if isinstance(code, str) else None
    return known.kind if known else None


def clock_moves(
    *, metric: str, clock_state: str, kind: str, data: Mapping[str, Any], statuses: StatusBook
) -> list[tuple[str, dict[str, Any]]]:
    """The clock events one ticket event causes on a clock in `clock_state`."""
    if kind == EventKind.REPLIED:
        # A public staff message stops the reaction clock (the first one, through any channel, 6.1)
        # and the open next-reply cycle (6.4).
        if metric in REPLY_METRICS and data.get("by") == "staff" and clock_state in OPEN_STATES:
            return [("stop", {"reason": "first_response"})]
        return []
    if kind == EventKind.MERGED:
        return [("cancel", {"reason": "merged"})] if clock_state != "cancelled" else []
    if kind != EventKind.STATUS_CHANGED:
        return []
    target = _target_status(data, statuses)
    if target is None:
        return []
    entering_done = target.kind in DONE_KINDS
    leaving_done = _source_kind(data, statuses) in DONE_KINDS
    if entering_done:
        return [("stop", {"reason": target.kind})] if clock_state in OPEN_STATES else []
    if leaving_done and clock_state == STOPPED:
        # Reopen resumes the resolution clock (6.2); the reaction clock never restarts (6.1).
        return [("reopen", {"paused": target.pauses_sla})] if metric == RESOLUTION else []
    if target.pauses_sla and clock_state == RUNNING:
        return [("pause", {"status": data.get("to")})]
    if not target.pauses_sla and clock_state == PAUSED:
        return [("resume", {"status": data.get("to")})]
    return []


def initial_paused(history: Iterable[TicketHistoryItem], statuses: StatusBook) -> bool:
    """A ticket created directly in a pausing status starts paused (6.3)."""
    for item in history:
        if item.kind == EventKind.CREATED:
            code = item.data.get("status")
            known = statuses.get(code) if isinstance(code, str) else None
            return bool(known and known.pauses_sla)
    return False
