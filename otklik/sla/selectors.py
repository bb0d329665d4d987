"""Reads of the SLA part: queues, badges, the per-ticket ledger and report figures.

Every read starts from `tickets_handled_by(viewer)`: clocks are the internal side of a ticket.
Queues and badges compare stored `due_at` / `warn_at` with `now`, so they are right without waiting
for the sweep (SPEC 9). Reports read stored columns only and never recompute history with today's settings (SPEC 8.4).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet, Sum

from otklik.accounts.access import can_see_internal, tickets_handled_by
from otklik.accounts.models import User
from otklik.core.errors import NotFound
from otklik.sla.calendars import SlaConfigError
from otklik.sla.clock import CalendarLookup, ClockEvent, ClockLogError, business_used
from otklik.sla.ledger import (
    DAY,
    LedgerRun,
    LedgerSummary,
    humanize_working,
    ledger_runs,
    summarize,
    working_day_seconds,
)
from otklik.sla.models import ClockState as ClockStateChoice
from otklik.sla.models import Metric, SlaClock
from otklik.sla.replay import replay_from_facts
from otklik.sla.services import calendars_lookup, state_of, status_book, ticket_history
from otklik.tickets.models import Ticket

RUNNING, PAUSED, STOPPED, CANCELLED = (ClockStateChoice.RUNNING, ClockStateChoice.PAUSED, ClockStateChoice.STOPPED,
                                       ClockStateChoice.CANCELLED)
logger = logging.getLogger(__name__)


def viewer_zone(viewer: User | None) -> ZoneInfo:
    name = getattr(viewer, "time_zone", "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


# ---------------------------------------------------------------- states and queues


def clock_status(clock: SlaClock, now: datetime) -> str:
    """What an agent sees: running, due_soon, paused, late, met or cancelled (SPEC 8, 8.2)."""
    if clock.state == CANCELLED:
        return "cancelled"
    if clock.state == STOPPED:
        return "met" if clock.met else "late"
    if clock.breached_at is not None or (clock.state == RUNNING and clock.due_at is not None and clock.due_at < now):
        return "late"
    if clock.state == PAUSED:
        return "paused"
    if clock.warn_at is not None and clock.warn_at <= now:
        return "due_soon"
    return "running"


def overdue_condition(now: datetime) -> Q:
    """SPEC 8.1: open clocks already late (a late clock that paused stays late)."""
    return Q(state__in=[RUNNING, PAUSED], breached_at__isnull=False) | Q(state=RUNNING, due_at__lt=now)


def due_soon_condition(now: datetime) -> Q:
    return Q(state=RUNNING, warn_at__lte=now, due_at__gte=now, breached_at__isnull=True)


def overdue_ticket_ids(now: datetime) -> QuerySet[SlaClock, Any]:
    """For ticket lists (the agent queues): the ids of tickets with an overdue clock."""
    return SlaClock.objects.filter(overdue_condition(now)).values("ticket_id")


def due_soon_ticket_ids(now: datetime) -> QuerySet[SlaClock, Any]:
    return SlaClock.objects.filter(due_soon_condition(now)).values("ticket_id")


def _queue(viewer: User, condition: Q) -> QuerySet[SlaClock]:
    if not can_see_internal(viewer):
        return SlaClock.objects.none()
    return (
        SlaClock.objects.filter(condition, ticket__in=tickets_handled_by(viewer))
        .select_related("ticket__status", "ticket__assignee", "ticket__team", "ticket__priority",
                        "policy__responsible_user")
        .order_by("due_at", "id")
    )


def overdue_clocks(viewer: User, now: datetime) -> QuerySet[SlaClock]:
    return _queue(viewer, overdue_condition(now))


def due_soon_clocks(viewer: User, now: datetime) -> QuerySet[SlaClock]:
    return _queue(viewer, due_soon_condition(now))


def attach_clocks(tickets: Sequence[Ticket]) -> Sequence[Ticket]:
    """Prefetch the clocks of a page of tickets in one query, for `{% sla_badge %}`."""
    by_ticket: dict[int, list[SlaClock]] = defaultdict(list)
    ids = [ticket.pk for ticket in tickets]
    if ids:
        for clock in SlaClock.objects.filter(ticket_id__in=ids).exclude(state=CANCELLED).order_by("metric", "cycle"):
            by_ticket[clock.ticket_id].append(clock)
    for ticket in tickets:
        ticket.sla_clock_list = by_ticket.get(ticket.pk, [])  # type: ignore[attr-defined]
    return tickets


# ---------------------------------------------------------------- the ticket's SLA page


@dataclass(frozen=True)
class ClockDetail:
    clock: SlaClock
    status: str
    used_seconds: int
    remaining_seconds: int | None
    schedule_zone: str
    ledger: list[LedgerRun]
    summary: LedgerSummary
    events: list[ClockEvent]

    def working(self, seconds: int | None) -> str:
        return humanize_working(seconds, self.summary.working_day_seconds)

    @property
    def day_length(self) -> str:
        return humanize_seconds(self.summary.working_day_seconds)


def _ledger_events(clock: SlaClock, events: list[ClockEvent], lookup: CalendarLookup,
                   now: datetime) -> list[ClockEvent]:
    """The events the ledger walks: the log, or for a clock replayed after an event logged late,
    the replay's own events, so the stretches show what really happened (one more query)."""
    if not any(event.kind == "replay" for event in events):
        return events
    applied: list[ClockEvent] = []
    replay_from_facts(metric=clock.metric, log=events, history=ticket_history(clock.ticket_id),
                      statuses=status_book(), lookup=lookup, until=now, applied=applied)
    return applied


def clock_detail(clock: SlaClock, now: datetime) -> ClockDetail:
    """The clock's summary and its ledger: folded runs of counted, paused and outside-hours time."""
    lookup = calendars_lookup()
    # `events` may be prefetched (one query for all the ticket's clocks); the log folds in id order
    events = [ClockEvent(e.kind, e.at, e.data) for e in sorted(clock.events.all(), key=lambda e: e.pk)]
    current = state_of(clock)
    try:
        used = business_used(current, now, lookup)
        calendar = lookup(clock.calendar_key)
        schedule_zone, day = calendar.timezone.key, working_day_seconds(calendar)
        runs = ledger_runs(_ledger_events(clock, events, lookup, now), lookup, now)
    except (SlaConfigError, ClockLogError) as error:
        logger.error("SLA ledger of clock %s not computed: %s", clock.pk, error)
        used, schedule_zone, day, runs = clock.consumed_seconds, settings.TIME_ZONE, DAY, []
    summary = summarize(current, runs, used, day, now)
    remaining = max(0, clock.target_seconds - used) if clock.state in (RUNNING, PAUSED) else None
    return ClockDetail(clock=clock, status=clock_status(clock, now), used_seconds=used, remaining_seconds=remaining,
                       schedule_zone=schedule_zone, ledger=runs, summary=summary, events=events)


def late_by_seconds(clock: SlaClock, now: datetime) -> int | None:
    """Wall-clock time past the due instant (SPEC 8.3): up to now while open, up to the stop after it."""
    if clock.due_at is None:
        return None
    end = clock.stopped_at if clock.state == STOPPED and clock.stopped_at is not None else now
    return int((end - clock.due_at).total_seconds()) if end > clock.due_at else None


def remaining_business_seconds(clock: SlaClock, now: datetime) -> int | None:
    """Working time left on an open clock (consumed + W(checkpoint, now), SPEC 8.3); None otherwise."""
    if clock.state not in (RUNNING, PAUSED):
        return None
    try:
        used = business_used(state_of(clock), now, calendars_lookup())
    except SlaConfigError:
        used = clock.consumed_seconds
    return max(0, clock.target_seconds - used)


def ticket_sla_for(viewer: User, number: int, now: datetime) -> tuple[Ticket, list[ClockDetail]]:
    """The ticket and its clocks for staff who may see it; NotFound for anyone else alike."""
    if not can_see_internal(viewer):
        raise NotFound()
    # Clocks, policy and due times are the internal side: an agent who is only the ticket's requester
    # gets the same 404 as a requester (docs/api.md).
    ticket = tickets_handled_by(viewer).select_related("status", "priority", "team").filter(number=number).first()
    if ticket is None:
        raise NotFound()
    clocks = SlaClock.objects.filter(ticket=ticket).select_related("policy", "manual_due_by").prefetch_related(
        "events").order_by("metric", "cycle")
    return ticket, [clock_detail(clock, now) for clock in clocks]


# ---------------------------------------------------------------- reports (SPEC 8.3, 8.4)


@dataclass(frozen=True)
class ClockOutcome:
    ticket_number: int
    metric: str
    policy_id: int | None
    outcome: str  # met, breached, running, paused
    target_seconds: int
    business_seconds: int
    business_overrun_seconds: int
    wall_overrun_seconds: int
    due_at: datetime | None
    stopped_at: datetime | None
    overridden: bool
    reopen_count: int
    paused_seconds: int


def _outcome(clock: SlaClock, now: datetime, lookup: object) -> ClockOutcome:
    if clock.state == STOPPED:
        used = clock.final_business_seconds or 0
        outcome = "met" if clock.met else "breached"
        end = clock.stopped_at
    else:
        used = business_used(state_of(clock), now, lookup)  # type: ignore[arg-type]
        outcome = "breached" if clock_status(clock, now) == "late" else str(clock.state)
        end = now
    wall = max(0, int((end - clock.due_at).total_seconds())) if end and clock.due_at else 0
    return ClockOutcome(
        ticket_number=clock.ticket.number, metric=clock.metric, policy_id=clock.policy_id, outcome=outcome,
        target_seconds=clock.target_seconds, business_seconds=used,
        business_overrun_seconds=max(0, used - clock.target_seconds), wall_overrun_seconds=wall,
        due_at=clock.due_at, stopped_at=clock.stopped_at, overridden=clock.manual_due_at is not None,
        reopen_count=clock.reopen_count, paused_seconds=clock.paused_seconds,
    )


def clock_outcomes(viewer: User, *, since: datetime, until: datetime, now: datetime,
                   include_open: bool = False) -> list[ClockOutcome]:
    """Per clock: met or breached, business time used, wall-clock and business overrun. Clocks
    stopped in [since, until); with `include_open`, also the clocks still running or paused."""
    if not can_see_internal(viewer):
        return []
    condition = Q(state=STOPPED, stopped_at__gte=since, stopped_at__lt=until)
    if include_open:
        condition |= Q(state__in=[RUNNING, PAUSED])
    clocks = (SlaClock.objects.filter(condition, ticket__in=tickets_handled_by(viewer))
              .select_related("ticket").order_by("ticket__number", "metric", "cycle"))
    lookup = calendars_lookup()
    return [_outcome(clock, now, lookup) for clock in clocks]


def compliance_summary(viewer: User, *, since: datetime, until: datetime) -> list[dict[str, object]]:
    """Compliance per metric and policy for clocks stopped in the period (cancelled excluded),
    with average business time and overridden counts, in one aggregate query."""
    if not can_see_internal(viewer):
        return []
    rows = (
        SlaClock.objects.filter(state=STOPPED, stopped_at__gte=since, stopped_at__lt=until,
                                ticket__in=tickets_handled_by(viewer))
        .values("metric", "policy_id", "policy__name")
        .annotate(
            total=Count("id"), met_count=Count("id", filter=Q(met=True)),
            average_business_seconds=Avg("final_business_seconds"), paused_seconds=Sum("paused_seconds"),
            overridden=Count("id", filter=Q(manual_due_at__isnull=False)), reopened=Sum("reopen_count"),
        )
        .order_by("metric", "policy__name")
    )
    summary = []
    for row in rows:
        total = row["total"] or 0
        summary.append({
            **row,
            "breached_count": total - (row["met_count"] or 0),
            "compliance_percent": round(100.0 * (row["met_count"] or 0) / total, 1) if total else None,
        })
    return summary


def humanize_seconds(seconds: int | float | None) -> str:
    """`2 h 10 min`, rounded down; under a minute is `< 1 min`, never `0 min` (SPEC 8.3)."""
    from django.utils.translation import gettext as _

    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return _("< 1 min")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(_("%(n)s d") % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)s min") % {"n": minutes})
    return " ".join(parts)


def countdown(due: datetime | None, now: datetime) -> tuple[str, bool]:
    """Wall-clock distance to a due time, as lists show it (SPEC 8.2), and whether it is past."""
    if due is None:
        return "", False
    delta = due - now
    late = delta < timedelta(0)
    return humanize_seconds(abs(delta.total_seconds())), late



def promised_reply_by(ticket: Ticket, now: datetime) -> datetime | None:
    """What the portal tells a requester waiting for the first answer: the running reaction clock's due
    time, while it still lies ahead (a missed promise is not repeated as a new one)."""
    clock = (
        SlaClock.objects.filter(ticket=ticket, metric=Metric.REACTION, state=ClockStateChoice.RUNNING,
                                breached_at__isnull=True, due_at__gt=now)
        .order_by("-cycle").only("due_at").first()
    )
    return clock.due_at if clock is not None else None
