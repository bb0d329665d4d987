"""SLA setup of the demo installation, and clocks for tickets that were written in bulk.

`seed_demo_sla()` binds the shipped presets to the demo request types; `backfill_clocks(now)`
replays each clock-less ticket's history into clocks in bulk (the demo's tickets are inserted
without the services, so no receiver saw them).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, Model, OuterRef
from django.utils import timezone

from otklik.sla.calendars import SlaConfigError, policy_calendar
from otklik.sla.clock import RUNNING
from otklik.sla.history import TicketHistoryItem
from otklik.sla.models import HolidayCalendar, Schedule, SlaClock, SlaClockEvent, SlaPolicy
from otklik.sla.policies import PolicyBook, TicketFacts
from otklik.sla.production_calendar import apply_import, plan_import
from otklik.sla.services import (
    METRICS,
    STATE_FIELDS,
    calendars_lookup,
    replay_events,
    start_event,
    status_book,
)
from otklik.tickets.models import EventKind, RequestType, Ticket, TicketEvent

logger = logging.getLogger(__name__)

# Writes new rows and sets their ids (bulk_create, or COPY for an import).
Inserter = Callable[[type[Model], list[Any]], Any]

DEMO_SCHEDULE = "Moscow office, Mon-Fri 09:00-18:00"
DEMO_CALENDAR = "RU production calendar"
OFFICE_WEEK: dict[str, object] = {
    **{key: [["09:00", "18:00"]] for key in ("mon", "tue", "wed", "thu", "fri")}, "sat": "off", "sun": "off",
}
# preset policy name -> demo request type codes
PRESET_BINDINGS = {
    "Access requests: 40 minutes": ["access-request"],
    "Questions and consultations: 8 working hours": ["question"],
    "Improvement requests: 16 working hours": ["improvement"],
}
DEFAULT_POLICY = "Standard: reply in 4 working hours, resolve in 3 working days"


@transaction.atomic
def seed_demo_sla(now: datetime | None = None) -> dict[str, int]:
    """Idempotent: a Moscow office schedule with the RU production calendar of this year and the
    next, the presets bound to the demo request types, and a default policy for the rest."""
    now = now or timezone.now()
    calendar, _created = HolidayCalendar.objects.get_or_create(
        name=DEMO_CALENDAR, defaults={"description": "Imported from the `holidays` package; edit freely."})
    imported = 0
    for year in (now.year, now.year + 1):
        imported += apply_import(plan_import(calendar, year, work_hours=OFFICE_WEEK["mon"], shorten=True))
    schedule, _created = Schedule.objects.get_or_create(name=DEMO_SCHEDULE, defaults={
        "timezone": "Europe/Moscow", "week": OFFICE_WEEK, "holiday_calendar": calendar})
    bound = 0
    for name, codes in PRESET_BINDINGS.items():
        policy = SlaPolicy.objects.filter(name=name).first()
        request_types = list(RequestType.objects.filter(code__in=codes).select_related("team__lead"))
        if policy is None or not request_types:
            continue
        policy.schedule = schedule
        policy.is_active = True
        if policy.responsible_user_id is None:
            policy.responsible_user = next((rt.team.lead for rt in request_types if rt.team and rt.team.lead), None)
        policy.save()
        policy.request_types.add(*request_types)
        bound += 1
    SlaPolicy.objects.get_or_create(name=DEFAULT_POLICY, defaults={
        "schedule": schedule, "is_default": True, "position": 1000, "reaction_minutes": 240,
        "resolution_minutes": 3 * 480,
    })
    return {"exceptions_imported": imported, "policies_bound": bound}


def _history_by_ticket(ticket_ids: list[int]) -> dict[int, list[TicketHistoryItem]]:
    kinds = [EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.REPLIED, EventKind.MERGED]
    rows = (TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind__in=kinds)
            .order_by("ticket_id", "created_at", "id").values_list("ticket_id", "kind", "created_at", "data"))
    history: dict[int, list[TicketHistoryItem]] = defaultdict(list)
    for ticket_id, kind, at, data in rows:
        history[ticket_id].append(TicketHistoryItem(kind, at, data))
    return history


def backfill_clocks(
    now: datetime, *, chunk_size: int = 1000, ticket_ids: Iterable[int] | None = None,
    insert: Inserter | None = None,
) -> dict[str, int]:
    """Clocks for every ticket that has none (or only for `ticket_ids`, e.g. an import batch), replayed from
    its history with today's policies; breaches and warnings already in the past are recorded as suppressed
    (nobody is notified). `insert`: how new rows are written (ids set on them), e.g. COPY for a bulk import;
    `bulk_create` when not given."""
    book = PolicyBook()
    keys: dict[int, str | None] = {}
    statuses = status_book()
    lookup = calendars_lookup()
    counts = {"tickets": 0, "clocks": 0, "events": 0}
    without_clocks = Ticket.objects.filter(~Exists(SlaClock.objects.filter(ticket_id=OuterRef("pk"))))
    if ticket_ids is not None:
        without_clocks = without_clocks.filter(pk__in=list(ticket_ids))
    ticket_ids = list(without_clocks.order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(ticket_ids), chunk_size):
        chunk = ticket_ids[offset:offset + chunk_size]
        with transaction.atomic():
            counts_chunk = _backfill_chunk(chunk, book, keys, statuses, lookup, now, insert)
        for name, value in counts_chunk.items():
            counts[name] += value
    return counts


def _backfill_chunk(chunk: list[int], book: PolicyBook, keys: dict[int, str | None], statuses: Any,
                    lookup: Any, now: datetime, insert: Inserter | None = None) -> dict[str, int]:
    tickets = list(Ticket.objects.filter(pk__in=chunk).only(
        "pk", "organization_id", "category_id", "request_type_id", "priority_id", "created_at", "sla_next_due_at"))
    history = _history_by_ticket(chunk)
    clocks: list[SlaClock] = []
    logs: list[list[Any]] = []
    for ticket in tickets:
        policy = book.match(TicketFacts(ticket.organization_id, ticket.category_id, ticket.request_type_id,
                                        ticket.priority_id))
        if policy is None:
            continue
        if policy.pk not in keys:
            try:
                keys[policy.pk] = policy_calendar(policy, now)[0]
            except SlaConfigError as error:
                logger.error("no clocks for policy %s: %s", policy.pk, error)
                keys[policy.pk] = None
        key = keys[policy.pk]
        if key is None:
            continue
        items = history.get(ticket.pk, [])
        created = next((item for item in items if item.kind == EventKind.CREATED), None)
        code = created.data.get("status") if created else None
        paused = bool(isinstance(code, str) and code in statuses and statuses[code].pauses_sla)
        for metric in METRICS:
            if not policy.target_minutes(metric):
                continue
            start = start_event(metric, policy, key, ticket.created_at, paused)
            events, state = replay_events(metric=metric, start=start, history=items, statuses=statuses,
                                          lookup=lookup, until=now)
            clock = SlaClock(ticket_id=ticket.pk, metric=metric, cycle=1)
            for name in STATE_FIELDS:
                setattr(clock, name, getattr(state, name))
            clocks.append(clock)
            logs.append(events)
    if insert is None:
        SlaClock.objects.bulk_create(clocks, batch_size=1000)
    else:
        insert(SlaClock, clocks)
    rows = [SlaClockEvent(clock=clock, at=event.at, kind=event.kind, data=event.data, recorded_at=now)
            for clock, events in zip(clocks, logs, strict=True) for event in events]
    if insert is None:
        SlaClockEvent.objects.bulk_create(rows, batch_size=2000)
    else:
        insert(SlaClockEvent, rows)
    _update_next_due(tickets, clocks)
    return {"tickets": len({clock.ticket_id for clock in clocks}), "clocks": len(clocks), "events": len(rows)}


def _update_next_due(tickets: Iterable[Ticket], clocks: Iterable[SlaClock]) -> None:
    earliest: dict[int, datetime] = {}
    for clock in clocks:
        if clock.state == RUNNING and clock.due_at is not None:
            current = earliest.get(clock.ticket_id)
            earliest[clock.ticket_id] = clock.due_at if current is None else min(current, clock.due_at)
    changed = []
    for ticket in tickets:
        value = earliest.get(ticket.pk)
        if value != ticket.sla_next_due_at:
            ticket.sla_next_due_at = value
            changed.append(ticket)
    Ticket.objects.bulk_update(changed, ["sla_next_due_at"], batch_size=500)
