"""Replaying a clock when an event arrives late (SPEC 7.2, 7.6, 10 #24).

A call logged afterwards, or an imported message, carries the instant it happened. Appending it
to the clock's log would apply it after events that really came later, so instead the clock is
replayed from its *facts*: the entries that were decided on their own (start, policy and calendar
changes, hand-set due times, cancels by policy, warnings sent) merged, in time order, with the
moves the ticket's full history implies now that the late event is in it. The breach rule is
applied between events as the sweep would have (CLOCKS.md rule 1). The outcome is appended to
the log as one `replay` entry carrying the whole state, so the log still folds to the row.

No database access here: the services pass the log and the ticket history in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from otklik.sla.clock import (
    RUNNING,
    CalendarLookup,
    ClockEvent,
    ClockLogError,
    ClockState,
    apply_event,
)
from otklik.sla.history import StatusBook, TicketHistoryItem, clock_moves
from otklik.tickets.models import EventKind

logger = logging.getLogger(__name__)

# Entries that follow from the ticket's history or from other entries, and are derived again.
DERIVED_KINDS = frozenset({"pause", "resume", "stop", "reopen", "breached", "recalculate", "replay"})


def is_fact(event: ClockEvent) -> bool:
    if event.kind == "cancel":
        return event.data.get("reason") != "merged"  # a merge is in the ticket history
    return event.kind not in DERIVED_KINDS


def sweep(state: ClockState, at: datetime, lookup: CalendarLookup) -> ClockState:
    """SPEC 9's breach sweep as of `at`: a running clock past its due is stamped late."""
    if state.state == RUNNING and state.breached_at is None and state.due_at is not None and at > state.due_at:
        return apply_event(state, ClockEvent("breached", at, {"replayed": True}), lookup)
    return state


def replay_from_facts(*, metric: str, log: Sequence[ClockEvent], history: Iterable[TicketHistoryItem],
                      statuses: StatusBook, lookup: CalendarLookup, until: datetime,
                      applied: list[ClockEvent] | None = None) -> ClockState:
    """The clock as its facts and the ticket history (late events in place) say it is at `until`.
    `applied`, when given, receives the events folded, in order (the ledger of a replayed clock)."""
    facts = [event for event in log if is_fact(event)]
    if not facts or facts[0].kind != "start":
        raise ClockLogError("a clock log starts with its start")
    start = facts[0]
    # Facts first on equal instants: the live path records a catch-up or a start before the moves.
    timeline: list[tuple[datetime, int, int, ClockEvent | TicketHistoryItem]] = [
        (event.at, 0, number, event) for number, event in enumerate(facts)]
    timeline += [(item.at, 1, number, item) for number, item in enumerate(history)
                 if item.kind != EventKind.CREATED and start.at <= item.at <= until]
    timeline.sort(key=lambda entry: entry[:3])
    state: ClockState | None = None
    for at, _order, _number, entry in timeline:
        if isinstance(entry, ClockEvent):
            events = [entry]
        else:
            assert state is not None
            events = [ClockEvent(kind, at, data) for kind, data in clock_moves(
                metric=metric, clock_state=state.state, kind=entry.kind, data=entry.data, statuses=statuses)]
        for event in events:
            if state is not None:
                state = sweep(state, at, lookup)
            try:
                state = apply_event(state, event, lookup)
                if applied is not None:
                    applied.append(event)
            except ClockLogError as error:
                # e.g. a hand-set due on a clock the late reply has stopped: the fact no longer applies
                logger.info("replay of a %s clock skips %s at %s: %s", metric, event.kind, at, error)
    assert state is not None
    return sweep(state, until, lookup)
