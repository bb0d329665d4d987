"""Clocks the conversation drives beyond the first reply: the next-reply clock (SPEC 6.4) and the
replay of events logged late (SPEC 7.2).

Next reply: each public requester message that finds no open next-reply cycle, once the ticket
has had a public staff answer (before that the reaction clock measures the wait), starts a new
cycle (`SlaClock.cycle`); the next public staff answer stops it; it pauses in pausing statuses and
stops at resolve/close like the reaction clock (`history.clock_moves`). Its target is the
policy's `next_reply_minutes`.

Runs inside the ticket service's transaction with the ticket locked (see `services`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from otklik.sla import services
from otklik.sla.calendars import policy_calendar
from otklik.sla.clock import OPEN_STATES, ClockEvent, ClockState, state_to_data
from otklik.sla.history import NEXT_REPLY
from otklik.sla.models import SlaClock, SlaPolicy
from otklik.sla.policies import policy_for
from otklik.sla.recalculation import _rekeyed
from otklik.sla.replay import replay_from_facts
from otklik.tickets.models import DONE_KINDS, EventKind, Ticket, TicketEvent

logger = logging.getLogger(__name__)


def logged_late(event: TicketEvent) -> datetime | None:
    """When an event that happened earlier was logged (the ticket services mark it), else None."""
    value = event.data.get("logged_at") if isinstance(event.data, dict) else None
    if not isinstance(value, str):
        return None
    try:
        logged = datetime.fromisoformat(value)
    except ValueError:
        return None
    return logged if logged > event.created_at else None


def _is_requester_message(event: TicketEvent) -> bool:
    return event.kind == EventKind.REPLIED and event.data.get("by") == "requester"


def _answered_before(ticket: Ticket, at: datetime) -> bool:
    """A staff answer came before `at` and the ticket is not merged: a requester message may start a cycle."""
    return ticket.first_response_at is not None and ticket.first_response_at <= at and ticket.merged_into_id is None


def next_reply_may_start(ticket: Ticket, event: TicketEvent) -> bool:
    """Whether `on_conversation_event` may start a next-reply cycle for this (not late) event."""
    return _is_requester_message(event) and _answered_before(ticket, event.created_at)


def next_reply_start(ticket: Ticket, at: datetime, *, until: datetime) -> SlaClock | None:
    """Start a next-reply cycle at a requester message `at` if none is open and the ticket has had
    a staff answer; a message logged late is replayed from the history up to `until`."""
    if not _answered_before(ticket, at):
        return None
    latest = SlaClock.objects.select_for_update().filter(ticket_id=ticket.pk, metric=NEXT_REPLY).order_by(
        "-cycle").first()
    if latest is not None:
        if latest.state in OPEN_STATES:
            return None  # the oldest unanswered message already started the running cycle
        if latest.started_at > at or (latest.stopped_at is not None and latest.stopped_at > at):
            return None  # this message is inside (or before) a cycle already measured
    policy = policy_for(services._facts(ticket))
    minutes = policy.target_minutes(NEXT_REPLY) if policy is not None else None
    if policy is None or not minutes:
        return None
    key, _calendar = policy_calendar(policy, at)
    lookup = services.calendars_lookup()
    status = ticket.status
    # A reply to a resolved or waiting ticket reopens it at the same instant; until then it waits.
    paused = bool(status.pauses_sla or status.kind in DONE_KINDS)
    start = services.start_event(NEXT_REPLY, policy, key, at, paused)
    row = SlaClock(ticket_id=ticket.pk, metric=NEXT_REPLY, cycle=1 if latest is None else latest.cycle + 1)
    if until <= at:
        services._record(row, None, start, lookup, at)
        return row
    events, _final = services.replay_events(metric=NEXT_REPLY, start=start, history=services.ticket_history(ticket.pk),
                                            statuses=services.status_book(), lookup=lookup, until=until)
    state: ClockState | None = None
    for event in events:
        state = services._record(row, state, event, lookup, until)
    return row


def replay_late(ticket: Ticket, event: TicketEvent, logged_at: datetime) -> int:
    """Replay every current clock of the ticket with the late event in place; returns how many changed."""
    rows = services._latest_clocks(ticket.pk)
    history = services.ticket_history(ticket.pk)
    statuses = services.status_book()
    lookup = services.calendars_lookup()
    changed = 0
    for metric, row in rows.items():
        log = [ClockEvent(kind, at, data) for kind, at, data in
               row.events.order_by("id").values_list("kind", "at", "data")]
        if any(entry.kind == "recalculate" for entry in log):
            # an admin had this clock recalculated on today's calendars: the replay keeps that choice
            keys = {pk: key for pk, key in SlaPolicy.objects.values_list("pk", "calendar_key") if key}
            log = _rekeyed(log, keys)
        replayed = replay_from_facts(metric=metric, log=log, history=history, statuses=statuses, lookup=lookup,
                                     until=logged_at)
        current = services.state_of(row)
        if replayed == current:
            continue
        services._record(row, current, ClockEvent("replay", logged_at, {
            "reason": "late_event", "ticket_event": event.pk, "kind": event.kind,
            "happened_at": event.created_at.isoformat(), "state": state_to_data(replayed),
        }), lookup, logged_at)
        changed += 1
    services.refresh_next_due(ticket, rows.values())
    return changed


def on_conversation_event(ticket: Ticket, event: TicketEvent) -> bool:
    """Late replay and next-reply starts; True when the event was handled here as late."""
    logged_at = logged_late(event)
    if logged_at is not None:
        replay_late(ticket, event, logged_at)
    if _is_requester_message(event):
        row = next_reply_start(ticket, event.created_at, until=logged_at or event.created_at)
        if row is not None:
            services.refresh_next_due(ticket, services._latest_clocks(ticket.pk).values())
    return logged_at is not None
