"""Assertions shared by the SLA tests."""

from __future__ import annotations

from otklik.sla import calendars
from otklik.sla.clock import ClockEvent, fold, snapshot_calendars
from otklik.sla.models import SlaClock
from otklik.sla.services import state_of
from otklik.tickets.models import Ticket


def replayed(clock: SlaClock):
    """The clock folded again from its stored log, on calendars read back from their snapshots."""
    calendars._known_snapshots._calendars.clear()
    events = [ClockEvent(e.kind, e.at, e.data) for e in clock.events.order_by("id")]
    return fold(events, snapshot_calendars(calendars.calendar_for_key))


def assert_matches_log(clock: SlaClock) -> None:
    clock.refresh_from_db()
    assert state_of(clock) == replayed(clock)


def clock(ticket: Ticket, metric: str) -> SlaClock:
    return SlaClock.objects.filter(ticket=ticket, metric=metric).order_by("-cycle")[:1].get()
