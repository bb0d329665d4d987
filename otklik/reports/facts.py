"""Per-ticket durations (docs/reports.md), folded from the ticket's history.

`ticket_facts` is the one definition: the live receiver and `reports_rebuild` both call it, so a row
kept up to date event by event equals one recomputed from scratch (tests/reports prove it with
hypothesis). Resolution time runs from creation to the last resolution, without the spans when the
ticket stood in a status that pauses SLA or stood resolved/closed before a reopening; working time is
the same spans counted in the desk calendar's working hours.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from otklik.reports import cube, outcomes, rollups
from otklik.reports.models import TicketTimes
from otklik.sla.calendars import SlaConfigError, policy_calendar, schedule_calendar_data
from otklik.sla.models import Schedule, SlaPolicy
from otklik.tickets.models import DONE_KINDS, EventKind, Status, Ticket, TicketEvent, TicketRating
from otklik.worktime import BusinessCalendar, CalendarConfigError

logger = logging.getLogger(__name__)

# The events that can change a ticket's durations; the others (notes, watchers...) leave them alone.
FACT_EVENTS = frozenset({
    EventKind.CREATED, EventKind.REPLIED, EventKind.STATUS_CHANGED, EventKind.RESOLVED, EventKind.CLOSED,
    EventKind.REOPENED, EventKind.MERGED, EventKind.SLA_CHANGED,
})
HISTORY_KINDS = (EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.REPLIED)


@dataclass(frozen=True)
class DeskCalendar:
    key: str
    calendar: BusinessCalendar | None  # None: no schedule configured, working time is 24/7


def desk_calendar(now: datetime | None = None) -> DeskCalendar:
    """The desk's working schedule: the default SLA policy's calendar, else the first schedule, else 24/7."""
    now = now or timezone.now()
    policy = (SlaPolicy.objects.filter(is_active=True, is_default=True).select_related("schedule")
              .order_by("position", "id").first())
    try:
        if policy is not None:
            key, calendar = policy_calendar(policy, now)
            return DeskCalendar(key, calendar)
        schedule = Schedule.objects.order_by("id").first()
        if schedule is not None:
            data = schedule_calendar_data(schedule)
            return DeskCalendar(data.key, data.build())
    except (SlaConfigError, CalendarConfigError) as error:
        # A broken calendar must not stop ticket work: report working time as 24/7 and say why.
        logger.warning("reports: desk calendar unusable, working time falls back to 24/7: %s", error)
    return DeskCalendar("24/7", None)


@dataclass(frozen=True)
class HistoryItem:
    kind: str
    data: dict[str, Any]
    at: datetime


def _stopped_spans(ticket: Ticket, history: Iterable[HistoryItem], pauses: dict[str, bool],
                   kinds: dict[str, str]) -> list[tuple[datetime, datetime | None]]:
    """Spans when the ticket's time does not count: a pausing status, or done before a reopening."""
    spans: list[tuple[datetime, datetime | None]] = []
    stopped_since: datetime | None = None
    for item in history:
        if item.kind == EventKind.CREATED:
            code = str(item.data.get("status") or "")
            counting = not pauses.get(code, False) and kinds.get(code) not in DONE_KINDS
            stopped_since = None if counting else item.at
            continue
        if item.kind != EventKind.STATUS_CHANGED:
            continue
        code = str(item.data.get("to") or "")
        kind = str(item.data.get("to_kind") or kinds.get(code, ""))
        counting = not pauses.get(code, False) and kind not in DONE_KINDS
        if counting and stopped_since is not None:
            spans.append((stopped_since, item.at))
            stopped_since = None
        elif not counting and stopped_since is None:
            stopped_since = item.at
    if stopped_since is not None:
        spans.append((stopped_since, None))
    return spans


def _clipped_seconds(spans: Iterable[tuple[datetime, datetime | None]], start: datetime, end: datetime) -> int:
    total = 0
    for span_start, span_end in spans:
        lower, upper = max(span_start, start), min(span_end or end, end)
        if upper > lower:
            total += int((upper - lower).total_seconds())
    return total


def ticket_facts(ticket: Ticket, history: list[HistoryItem], *, pauses: dict[str, bool], kinds: dict[str, str],
                 desk: DeskCalendar) -> TicketTimes:
    """The ticket's durations, from its row and its ordered history (created, status changes, replies)."""
    # The calendar is recorded only where a working duration was computed with it.
    times = TicketTimes(ticket_id=ticket.pk, calendar_key="")
    created = ticket.created_at
    working: Callable[[datetime, datetime, list[tuple[datetime, datetime | None]]], int]
    if desk.calendar is None:
        def working(start: datetime, end: datetime, stops: list[tuple[datetime, datetime | None]]) -> int:
            return max(0, int((end - start).total_seconds()) - _clipped_seconds(stops, start, end))
    else:
        calendar = desk.calendar

        def working(start: datetime, end: datetime, stops: list[tuple[datetime, datetime | None]]) -> int:
            return calendar.business_seconds_between(start, end, stops)
    if ticket.first_response_at is not None:
        # The first answer is waited for in full: a pause before it is still the requester's wait.
        times.first_response_seconds = max(0, int((ticket.first_response_at - created).total_seconds()))
        times.first_response_working_seconds = working(created, ticket.first_response_at, [])
        times.calendar_key = desk.key
    if ticket.resolved_at is not None:
        stops = _stopped_spans(ticket, history, pauses, kinds)
        # The last resolution is the one that counts; it ends any stop span it starts.
        stops = [(start, end) for start, end in stops if start < ticket.resolved_at]
        elapsed = int((ticket.resolved_at - created).total_seconds())
        times.resolution_seconds = max(0, elapsed - _clipped_seconds(stops, created, ticket.resolved_at))
        times.resolution_working_seconds = working(created, ticket.resolved_at, stops)
        times.calendar_key = desk.key
    times.reopen_count = sum(
        1 for item in history
        if item.kind == EventKind.STATUS_CHANGED and item.data.get("from_kind") in DONE_KINDS
        and item.data.get("to_kind") not in DONE_KINDS
    )
    times.staff_replies = sum(
        1 for item in history if item.kind == EventKind.REPLIED and item.data.get("by") == "staff"
    )
    return times


def status_maps() -> tuple[dict[str, bool], dict[str, str]]:
    rows = list(Status.objects.values_list("code", "pauses_sla", "kind"))
    return {code: paused for code, paused, _kind in rows}, {code: kind for code, _paused, kind in rows}


def _histories(ticket_ids: list[int]) -> dict[int, list[HistoryItem]]:
    histories: dict[int, list[HistoryItem]] = defaultdict(list)
    rows = (TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind__in=HISTORY_KINDS)
            .order_by("ticket_id", "created_at", "id").values_list("ticket_id", "kind", "data", "created_at"))
    # A few tickets' histories are read in one go: `iterator` on PostgreSQL is a server-side cursor (DECLARE,
    # FETCH, CLOSE: three round trips where one does), worth it only for the rebuild's thousands.
    found = rows.iterator(chunk_size=5000) if len(ticket_ids) > 100 else rows
    for ticket_id, kind, data, at in found:
        histories[ticket_id].append(HistoryItem(kind, data if isinstance(data, dict) else {}, at))
    return histories


FIELDS = ["first_response_seconds", "first_response_working_seconds", "resolution_seconds",
          "resolution_working_seconds", "reopen_count", "staff_replies", "calendar_key", "rolled_team",
          "rolled_category", "rolled_priority", "rolled_source", "counted_month", "resolved_month", "responded_month",
          *rollups.DIMENSION_FIELDS, "latest_score"]
# Events that can move a ticket between rollup keys or report dimensions without changing its durations.
KEY_EVENTS = frozenset({EventKind.TEAM_CHANGED, EventKind.CATEGORY_CHANGED, EventKind.PRIORITY_CHANGED,
                        EventKind.ASSIGNED, EventKind.REQUEST_TYPE_CHANGED})


def latest_scores(ticket_ids: list[int]) -> dict[int, int]:
    """The score of each ticket's latest rating (latest by created_at, then id), for tickets that have one."""
    found: dict[int, int] = {}
    for ticket_id, score in (TicketRating.objects.filter(ticket_id__in=ticket_ids)
                             .order_by("ticket_id", "created_at", "id").values_list("ticket_id", "score")):
        found[ticket_id] = score  # in order: the last one stays
    return found


def _store(rows: list[TicketTimes]) -> None:
    TicketTimes.objects.bulk_create(rows, update_conflicts=True, unique_fields=["ticket"], update_fields=FIELDS)


def refresh_ticket(ticket: Ticket, *, durations: bool = True) -> TicketTimes:
    """Recompute one ticket's row and move its rollup contribution (inside the caller's transaction).

    The ticket is read again: a receiver's object can be stale when automation changed the row in a
    nested event of the same transaction. Without `durations` only the rollup key is refreshed."""
    return _refresh(ticket, durations=durations)[1]


# What `_refresh` hands ticket_facts when it computes no duration (the calendar is then never asked).
_UNUSED_DESK = DeskCalendar("", None)


def _ticket_and_row(ticket_id: int) -> tuple[Ticket, TicketTimes | None]:
    """The ticket's report fields and its report row (None: it has none yet), in one query."""
    fresh = (Ticket.objects.select_related("report_times")
             .only(*rollups.TICKET_FIELDS, *(f"report_times__{field.name}" for field in _ROW_FIELDS))
             .get(pk=ticket_id))
    try:
        old = fresh.report_times
    except TicketTimes.DoesNotExist:
        old = None
    return fresh, old


_ROW_FIELDS = [field for field in TicketTimes._meta.concrete_fields if not field.primary_key]


def _durations_hold(fresh: Ticket, old: TicketTimes) -> bool:
    """Whether a requester's reply leaves the row's durations as a recomputation would find them.

    ticket_facts reads from the history only the status changes (stopped spans, reopenings) and the staff's
    replies, which a requester's reply is neither; from the ticket its creation, first response and
    resolution, which the row copied when it was last computed (`rollups.dimensions`); and the desk calendar
    for a duration, whose content key the row keeps. So when those copies still equal the ticket, the
    ticket is not resolved (its stopped spans would read the statuses, whose pausing may have been edited
    since) and an answered ticket's calendar is the one the row was measured on, the row's durations are the
    recomputation's. Anything else takes the full path."""
    if (old.created_at, old.first_response_at, old.resolved_at) != (
            fresh.created_at, fresh.first_response_at, fresh.resolved_at):
        return False
    if fresh.resolved_at is not None:
        return False
    return fresh.first_response_at is None or desk_calendar().key == old.calendar_key


def _refresh(ticket: Ticket, *, durations: bool, rated: bool = False,
             requester_reply: bool = False) -> tuple[TicketTimes | None, TicketTimes]:
    """`refresh_ticket`, also returning the row as it was before (None: the ticket had none). The latest
    rating's score is kept from the old row, and read again only after a rating (`rated`). A requester's
    reply (`requester_reply`) recomputes the durations only when they can have changed (`_durations_hold`)."""
    fresh, old = _ticket_and_row(ticket.pk)
    if durations and old is not None and requester_reply and _durations_hold(fresh, old):
        durations = False
    if durations or old is None:
        # ticket_facts reads the statuses only for a resolved ticket (its stopped spans) and the calendar only
        # for a duration it computes (first response, resolution): a requester's reply to a ticket nobody has
        # answered yet needs neither, and the three reads they cost are left out (same row either way).
        pauses, kinds = status_maps() if fresh.resolved_at is not None else ({}, {})
        timed = fresh.first_response_at is not None or fresh.resolved_at is not None
        times = ticket_facts(fresh, _histories([fresh.pk]).get(fresh.pk, []), pauses=pauses, kinds=kinds,
                             desk=desk_calendar() if timed else _UNUSED_DESK)
    else:
        times = TicketTimes(**{field.attname: getattr(old, field.attname)
                               for field in TicketTimes._meta.concrete_fields})
    rollups.snapshot(times, fresh)
    times.latest_score = (latest_scores([fresh.pk]).get(fresh.pk) if rated or old is None
                          else old.latest_score)
    if old is None or any(getattr(old, name) != getattr(times, name) for name in FIELDS):
        _store([times])
        rollups.apply_change(old, times)
    return old, times


def on_ticket_event(sender: Any, event: TicketEvent, ticket: Ticket, **kwargs: Any) -> None:
    """Receiver of ticket_event_recorded: runs in the service's transaction, so facts never lag."""
    if event.kind == EventKind.CREATED and ticket.first_response_at is None and ticket.resolved_at is None:
        # A new ticket has no durations yet: one INSERT (and one rollup upsert), no history or calendar reads;
        # no stopped clock either, so only its creator's work is counted (one upsert).
        times = TicketTimes(ticket_id=ticket.pk, calendar_key="")
        rollups.snapshot(times, ticket)
        rollups.insert_new(times)
        outcomes.count_work(event)
        return
    old: TicketTimes | None = None
    fresh: TicketTimes | None = None
    if event.kind in FACT_EVENTS:
        old, fresh = _refresh(ticket, durations=True, requester_reply=outcomes.is_requester_reply(event))
    elif event.kind in KEY_EVENTS:
        old, fresh = _refresh(ticket, durations=False)
    elif event.kind == EventKind.RATED:  # the breakdown by rating moves with the latest score
        old, fresh = _refresh(ticket, durations=False, rated=True)
    outcomes.on_event(event, fresh, None if old is None else outcomes.dimensions_of(old))


def _chunks(ids: Iterator[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _computed(ticket_ids: list[int], maps: tuple[dict[str, bool], dict[str, str]],
              desk: DeskCalendar) -> list[TicketTimes]:
    """These tickets' rows as computed from the tickets, their histories and their latest ratings (four
    queries), not yet stored: what `refresh_many` and the rebuild write."""
    pauses, kinds = maps
    histories = _histories(ticket_ids)
    scores = latest_scores(ticket_ids)
    rows = []
    for ticket in Ticket.objects.filter(pk__in=ticket_ids).only(*rollups.TICKET_FIELDS):
        times = ticket_facts(ticket, histories.get(ticket.pk, []), pauses=pauses, kinds=kinds, desk=desk)
        rollups.snapshot(times, ticket)
        times.latest_score = scores.get(ticket.pk)
        rows.append(times)
    return rows


def refresh_many(ticket_ids: list[int]) -> int:
    """Recompute the rows of these tickets (inside the caller's transaction), e.g. after a bulk import."""
    if not ticket_ids:
        return 0
    old = list(TicketTimes.objects.filter(ticket_id__in=ticket_ids))
    rows = _computed(ticket_ids, status_maps(), desk_calendar())
    _store(rows)
    # Their old contributions out and the new ones in: the monthly rollups stay whole without a rebuild.
    rollups.apply_changes(old, rows)
    outcomes.sync_clocks(ticket_ids)
    outcomes.sync_work(ticket_ids)
    outcomes.sync_ratings(ticket_ids)
    return len(rows)


def rebuild(*, batch_size: int = 2000, progress: Callable[[int, int], Any] | None = None) -> int:
    """Recompute every ticket's row in batches; returns how many were written."""
    maps, desk = status_maps(), desk_calendar()
    total = Ticket.objects.count()
    done = 0
    ids = Ticket.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=batch_size)
    for chunk in _chunks(ids, batch_size):
        rows = _computed(chunk, maps, desk)
        with transaction.atomic():
            _store(rows)
        done += len(rows)
        if progress is not None:
            progress(done, total)
    TicketTimes.objects.exclude(ticket_id__in=Ticket.objects.values("pk")).delete()
    return done


def rebuild_all(*, batch_size: int = 2000, progress: Callable[[str, int, int], Any] | None = None) -> tuple[int, int]:
    """`reports_rebuild`: every ticket's row, then the monthly rollups from them; (tickets, rollup rows)."""
    written = rebuild(batch_size=batch_size,
                      progress=(lambda done, total: progress("tickets", done, total)) if progress else None)
    rows = rollups.rebuild_rollups(
        progress=(lambda done, total: progress("rollups", done, total)) if progress else None)
    cube.rebuild_cube()  # the hourly counts and duration histograms, from the rows just written
    # The per-clock outcomes, the agents' days and the rating copies, from their sources and the rows just written.
    with transaction.atomic():
        outcomes.sync_clocks()
        outcomes.sync_work()
        outcomes.sync_ratings()
    return written, rows
