"""The admin's "Recalculate open tickets from their start" (SPEC 7.4, 7.6): a background run that
replays each open clock's log on today's calendars, in batches, with progress on the run row.

Built to go through a million clocks: a batch of clocks costs a fixed handful of statements
(the clocks and their tickets locked with SKIP LOCKED, all their logs in one read, the changed
clocks and their `recalculate` log entries written in bulk, one history event per ticket), and the
replay itself is the pure fold of `otklik.sla.clock`. Clocks held by live ticket work are retried
after the pass (both sides lock the ticket row first, then its clocks).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from otklik.accounts.models import Role, User
from otklik.core.errors import PermissionDenied
from otklik.sla.calendars import SlaConfigError
from otklik.sla.clock import (
    OPEN_STATES,
    RUNNING,
    CalendarLookup,
    ClockEvent,
    ClockLogError,
    ClockState,
    apply_event,
    business_used,
    event_to_data,
    fold,
)
from otklik.sla.models import ReplanKind, ReplanRun, ReplanState, SlaClock, SlaClockEvent, SlaPolicy
from otklik.sla.replay import replay_from_facts
from otklik.sla.services import (
    bulk_store,
    calendars_lookup,
    calendars_refresh,
    lock_skipping,
    refresh_next_due_bulk,
    state_of,
    status_book,
    store_state,
    ticket_history,
)
from otklik.tickets import services as ticket_services
from otklik.tickets.models import EventKind, Ticket, TicketEvent

logger = logging.getLogger(__name__)


def recalculate_request(*, actor: User, now: datetime, schedule_ids: Iterable[int] = (),
                        holiday_calendar_ids: Iterable[int] = ()) -> ReplanRun | None:
    """The admin's explicit "Recalculate open tickets from their start" for the policies that use
    these schedules or holiday calendars: a background run (enqueued after commit) that replays
    each open clock's log on today's calendar. Audited: the run keeps who asked and when."""
    if not (actor.is_superuser or actor.role == Role.ADMIN or actor.has_perm("sla.change_schedule")
            or actor.has_perm("sla.change_holidaycalendar")):
        raise PermissionDenied()
    schedules, calendars = list(schedule_ids), list(holiday_calendar_ids)
    policies = SlaPolicy.objects.filter(
        Q(schedule_id__in=schedules) | Q(schedule__holiday_calendar_id__in=calendars)
        | Q(holiday_calendar_id__in=calendars)).order_by("pk")
    policy_ids = list(policies.values_list("pk", flat=True))
    if not policy_ids:
        return None
    total = SlaClock.objects.filter(state__in=OPEN_STATES, policy_id__in=policy_ids).count()
    run = ReplanRun.objects.create(
        kind=ReplanKind.RECALCULATE, reason=("recalculate from the start: " + ", ".join(
            policies.values_list("name", flat=True)))[:200],
        policy_ids=policy_ids, requested_at=now, requested_by=actor, total=total)
    transaction.on_commit(lambda: _enqueue_recalculate(run.pk))
    return run


def _enqueue_recalculate(run_id: int) -> None:
    from otklik.sla.tasks import sla_recalculate_job

    try:
        sla_recalculate_job(run_id)
    except Exception:  # the run stays pending; `recalculate_run` can be called again
        logger.exception("could not enqueue SLA recalculation run %s", run_id)


def _rekeyed(events: Iterable[ClockEvent], keys: Mapping[int, str]) -> list[ClockEvent]:
    """The log with each calendar replaced by the current calendar of the policy in force then;
    earlier recalculations are left out (they are derived, not facts)."""
    result = []
    policy: object = None
    for event in events:
        if event.kind == "recalculate":
            continue
        data = dict(event.data)
        if event.kind in ("start", "policy_change"):
            policy = data.get("policy")
        if "calendar" in data and isinstance(policy, int) and keys.get(policy):
            data["calendar"] = keys[policy]
        result.append(ClockEvent(event.kind, event.at, data))
    return result


def _replayed(row: SlaClock, log: list[ClockEvent], keys: Mapping[int, str], lookup: CalendarLookup,
              now: datetime) -> ClockState:
    rekeyed = _rekeyed(log, keys)
    if any(event.kind == "replay" for event in rekeyed):
        # an event was logged late: the log alone is not the story, the ticket history is (replay.py)
        return replay_from_facts(metric=row.metric, log=rekeyed, history=ticket_history(row.ticket_id),
                                 statuses=status_book(), lookup=lookup, until=now)
    return fold(rekeyed, lookup)


def _recalculated(row: SlaClock, log: list[ClockEvent], keys: Mapping[int, str], lookup: CalendarLookup,
                  now: datetime, run: ReplanRun) -> tuple[ClockState, ClockEvent] | None:
    """One open clock replayed on the current calendars: its new state and log entry, or None when
    nothing changes (idempotent) or the log cannot be replayed (logged)."""
    try:
        replay = _replayed(row, log, keys, lookup, now)
    except (ClockLogError, SlaConfigError) as error:
        logger.error("SLA clock %s not recalculated: %s", row.pk, error)
        return None
    old = state_of(row)
    if replay.state != old.state:
        logger.error("SLA clock %s not recalculated: its log replays to %s, not %s", row.pk, replay.state, old.state)
        return None
    checkpoint = max(old.checkpoint_at, now) if old.state == RUNNING else old.checkpoint_at
    consumed = business_used(replay, checkpoint, lookup)
    used_before = business_used(old, checkpoint, lookup)
    if (old.calendar_key, used_before, old.computed_due_at, old.computed_warn_at) == (
            replay.calendar_key, consumed, replay.computed_due_at, replay.computed_warn_at):
        return None  # already what a replay gives
    event = ClockEvent("recalculate", now, {
        "calendar": replay.calendar_key, "consumed": consumed, "checkpoint": checkpoint.isoformat(),
        "due_at": event_to_data(replay.computed_due_at), "warn_at": event_to_data(replay.computed_warn_at),
        "consumed_before": used_before, "run": run.pk, "by": run.requested_by_id,
    })
    return apply_event(old, event, lookup), event


def _recalculate_batch(run: ReplanRun, ids: list[int], keys: Mapping[int, str],
                       now: datetime) -> tuple[int, int, list[int]]:
    """One transaction: (handled, changed, busy ids)."""
    with transaction.atomic():
        # tickets first, then their clocks: the lock order of the live path (services)
        ticket_ids = set(SlaClock.objects.filter(pk__in=ids).values_list("ticket_id", flat=True))
        tickets = {t.pk: t for t in lock_skipping(Ticket.objects.filter(pk__in=ticket_ids))}
        rows = list(lock_skipping(SlaClock.objects.filter(pk__in=ids, ticket_id__in=list(tickets))).order_by("id"))
        locked = {row.pk for row in rows}
        busy = [pk for pk in ids if pk not in locked]
        logs: dict[int, list[ClockEvent]] = defaultdict(list)
        for clock_id, kind, at, data in (SlaClockEvent.objects.filter(clock_id__in=locked)
                                         .order_by("clock_id", "id").values_list("clock_id", "kind", "at", "data")):
            logs[clock_id].append(ClockEvent(kind, at, data))
        lookup = calendars_lookup()
        changed_rows: list[SlaClock] = []
        entries: list[SlaClockEvent] = []
        by_ticket: dict[int, list[SlaClock]] = defaultdict(list)
        for row in rows:
            if row.state not in OPEN_STATES:
                continue
            outcome = _recalculated(row, logs[row.pk], keys, lookup, now, run)
            if outcome is None:
                continue
            state, event = outcome
            store_state(row, state)
            changed_rows.append(row)
            entries.append(SlaClockEvent(clock=row, at=event.at, kind=event.kind, data=event.data, recorded_at=now))
            by_ticket[row.ticket_id].append(row)
        if changed_rows:
            bulk_store(changed_rows, entries, now)
            refresh_next_due_bulk({pk: tickets[pk] for pk in by_ticket})
            ticket_services.event_record_bulk([(TicketEvent(
                ticket=tickets[pk], actor=run.requested_by, kind=EventKind.SLA_CHANGED, created_at=now,
                data={"reason": "recalculate", "run": run.pk, "clocks": [row.pk for row in clocks],
                      "metrics": [row.metric for row in clocks]}), tickets[pk]) for pk, clocks in by_ticket.items()])
        return len(rows), len(changed_rows), sorted(busy)


def recalculate_run(*, run_id: int, now: datetime, batch_size: int = 1000, busy_retries: int = 20) -> ReplanRun:
    """Replay every open clock of the run's policies from its own log on the current calendars, in
    batches, recording progress. Stopped clocks are never touched; running it again changes nothing."""
    run = ReplanRun.objects.select_related("requested_by").get(pk=run_id)
    if run.state == ReplanState.DONE:
        return run
    ReplanRun.objects.filter(pk=run.pk).update(state=ReplanState.RUNNING, started_at=now)
    processed = rebased = 0
    try:
        with transaction.atomic():
            calendars_refresh(now=now, reason="calendar edited")  # policy keys must be current first
        keys = {pk: key for pk, key in SlaPolicy.objects.values_list("pk", "calendar_key") if key}
        cursor = 0
        retry: list[int] = []
        while True:
            ids = list(SlaClock.objects.filter(policy_id__in=run.policy_ids, state__in=OPEN_STATES, pk__gt=cursor)
                       .order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            cursor = ids[-1]
            handled, changed, busy = _recalculate_batch(run, ids, keys, now)
            processed, rebased, retry = processed + handled, rebased + changed, retry + busy
            ReplanRun.objects.filter(pk=run.pk).update(processed=processed, rebased=rebased)
        for _round in range(busy_retries):
            if not retry:
                break
            time.sleep(0.2)
            handled, changed, retry = _recalculate_batch(run, retry, keys, now)
            processed, rebased = processed + handled, rebased + changed
            ReplanRun.objects.filter(pk=run.pk).update(processed=processed, rebased=rebased)
        if retry:
            raise RuntimeError(f"{len(retry)} clocks stayed locked by other work; run the recalculation again")
    except Exception as error:
        ReplanRun.objects.filter(pk=run.pk).update(state=ReplanState.FAILED, error=str(error)[:2000], finished_at=now)
        logger.exception("SLA recalculation run %s failed", run.pk)
        raise
    ReplanRun.objects.filter(pk=run.pk).update(state=ReplanState.DONE, finished_at=now)
    run.refresh_from_db()
    return run
