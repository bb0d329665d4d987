"""Writes of the SLA part: clocks driven by ticket events, rebase on policy and calendar changes,
manual due times and the re-plan job (the breach and warning sweep is `otklik.sla.sweep`).

Ticket events arrive through `otklik.tickets.signals.ticket_event_recorded`, inside the ticket
service's transaction with the ticket row locked, so a clock always changes atomically with its
ticket. Every clock change appends an `SlaClockEvent` and stores the fold (`otklik.sla.clock`).
Lock order everywhere: ticket, then its clocks. The sweep and the re-plan job take clocks first,
so they take tickets with SKIP LOCKED and leave busy tickets for their next round.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models import Min, Q
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core.errors import Conflict, InvalidInput, NotFound
from otklik.sla.calendars import SlaConfigError, calendar_for_key, policy_calendar
from otklik.sla.clock import (
    CANCELLED,
    OPEN_STATES,
    RUNNING,
    CalendarLookup,
    ClockEvent,
    ClockState,
    apply_event,
    snapshot_calendars,
)
from otklik.sla.history import NEXT_REPLY, REACTION, RESOLUTION, StatusBook, StatusInfo, TicketHistoryItem, clock_moves
from otklik.sla.models import ReplanRun, ReplanState, SlaClock, SlaClockEvent, SlaPolicy
from otklik.sla.policies import TicketFacts, policy_for
from otklik.tickets import services as ticket_services
from otklik.tickets.models import EventKind, Status, Ticket, TicketEvent

logger = logging.getLogger(__name__)

METRICS = (REACTION, RESOLUTION)
SLA_EVENT_KINDS = frozenset({EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.SLA_CHANGED})
REMATCH_KINDS = frozenset({
    EventKind.CATEGORY_CHANGED, EventKind.PRIORITY_CHANGED, EventKind.REQUEST_TYPE_CHANGED, EventKind.TEAM_CHANGED,
})
CLOCK_KINDS = frozenset({EventKind.STATUS_CHANGED, EventKind.REPLIED, EventKind.MERGED})

M = TypeVar("M", bound=models.Model)


# ---------------------------------------------------------------- helpers


def lock_skipping[M: models.Model](queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """FOR UPDATE SKIP LOCKED where the database has it (PostgreSQL); SQLite has one writer anyway."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()


def calendars_lookup() -> CalendarLookup:
    return snapshot_calendars(calendar_for_key)


def status_book(codes: Iterable[object] | None = None) -> dict[str, StatusInfo]:
    statuses = Status.objects.all()
    if codes is not None:
        statuses = statuses.filter(code__in=[code for code in codes if isinstance(code, str)])
    return {code: StatusInfo(kind, pauses) for code, kind, pauses in statuses.values_list("code", "kind", "pauses_sla")}


STATE_FIELDS = (
    "policy_id", "target_seconds", "warn_before_seconds", "calendar_key", "state", "started_at", "checkpoint_at",
    "consumed_seconds", "computed_due_at", "computed_warn_at", "manual_due_at", "manual_due_by_id",
    "manual_due_reason", "due_at", "warn_at", "breached_at", "warned_at", "stopped_at", "final_business_seconds",
    "met", "reopen_count", "paused_seconds",
)


def state_of(row: SlaClock) -> ClockState:
    values = {name: getattr(row, name) for name in STATE_FIELDS}
    return ClockState(metric=row.metric, **values)


def store_state(row: SlaClock, state: ClockState) -> None:
    for name in STATE_FIELDS:
        setattr(row, name, getattr(state, name))


def _record(row: SlaClock, state: ClockState | None, event: ClockEvent, lookup: CalendarLookup,
            recorded_at: datetime) -> ClockState:
    """Apply one event to a stored clock: append it to the log and store the fold."""
    new = apply_event(state, event, lookup)
    store_state(row, new)
    if row.pk is None:
        row.save(force_insert=True)
    else:
        row.save()
    SlaClockEvent.objects.create(clock=row, at=event.at, kind=event.kind, data=event.data, recorded_at=recorded_at)
    return new


def start_event(metric: str, policy: SlaPolicy, calendar_key: str, at: datetime, paused: bool) -> ClockEvent:
    minutes = policy.target_minutes(metric)
    assert minutes is not None
    return ClockEvent("start", at, {
        "metric": metric, "policy": policy.pk, "target": minutes * 60,
        "warn_before": policy.warn_minutes(minutes) * 60, "calendar": calendar_key, "paused": paused,
    })


def _latest_clocks(ticket_id: int) -> dict[str, SlaClock]:
    """The current cycle of each metric, locked (the caller holds the ticket lock)."""
    rows = SlaClock.objects.select_for_update().filter(ticket_id=ticket_id).order_by("metric", "cycle")
    return {row.metric: row for row in rows}


def refresh_next_due(ticket: Ticket, clocks: Iterable[SlaClock]) -> None:
    """`Ticket.sla_next_due_at` = the earliest due instant of the running clocks (the one Ticket
    column the SLA part writes, for sorting the agents' lists).

    Decision (issue 11): this function and `refresh_next_due_bulk` are the column's only writers, and they
    stay here rather than behind a tickets service: the column is a cache of the SLA clocks, derived in
    the same transaction as the ticket event that moved them, with no meaning (and no TicketEvent) of its
    own; the ticket core knows nothing of SLA (the layering in docs/architecture.md). A test in
    tests/access/test_access_write_paths.py keeps every other module from writing it."""
    dues = [clock.due_at for clock in clocks if clock.state == RUNNING and clock.due_at is not None]
    value = min(dues, default=None)
    if value != ticket.sla_next_due_at:
        Ticket.objects.filter(pk=ticket.pk).update(sla_next_due_at=value)
        ticket.sla_next_due_at = value


def _facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(ticket.organization_id, ticket.category_id, ticket.request_type_id, ticket.priority_id)


# ---------------------------------------------------------------- ticket events


def on_ticket_event(sender: Any, event: TicketEvent, ticket: Ticket, **kwargs: Any) -> None:
    """Receiver of `ticket_event_recorded`; runs in the ticket service's transaction."""
    if event.kind in SLA_EVENT_KINDS:
        return
    if event.kind != EventKind.CREATED and event.kind not in REMATCH_KINDS and event.kind not in CLOCK_KINDS:
        return
    try:
        if event.kind == EventKind.CREATED:
            # A new ticket has no clocks yet: the policy is read first (reads change nothing), and the
            # savepoint is opened only when there are clocks to write, not for every create of a desk
            # whose tickets match no policy.
            policy = policy_for(_facts(ticket))
            if policy is not None:
                with transaction.atomic():
                    _start_clocks(ticket, policy, event.created_at)
            return
        clocks: dict[str, SlaClock] | None = None
        if _moves_clocks(event):
            # A reply or a status change: the clocks are read (and locked) before the savepoint, which is
            # opened only when one of them may move or a next-reply cycle may start (a ticket no policy
            # matched has no clock: nothing to write, no savepoint).
            from otklik.sla.conversation import next_reply_may_start

            clocks = _latest_clocks(ticket.pk)
            if not clocks and not next_reply_may_start(ticket, event):
                return
        with transaction.atomic():
            clocks_on_ticket_event(ticket=ticket, event=event, clocks=clocks)
    except SlaConfigError as error:
        # A broken calendar must not stop support from taking requests: log it loudly, keep the ticket.
        logger.error("SLA clocks of ticket %s not updated for %s: %s", ticket.pk, event.kind, error)


def _moves_clocks(event: TicketEvent) -> bool:
    """Whether `clocks_on_ticket_event` appends the event to the current clocks (`_move_clocks`)."""
    return event.kind != EventKind.CREATED and event.kind not in REMATCH_KINDS and not event.data.get("logged_at")


def clocks_on_ticket_event(*, ticket: Ticket, event: TicketEvent, clocks: dict[str, SlaClock] | None = None) -> None:
    """`clocks`: the ticket's current clocks, when the caller already read them locked (`_latest_clocks`)."""
    # conversation builds on this module's helpers, so it is imported here, not at the top
    from otklik.sla.conversation import on_conversation_event

    at = event.created_at
    if event.kind == EventKind.CREATED:
        _apply_policy_at_creation(ticket, at)
    elif event.kind in REMATCH_KINDS:
        clocks_rematch(ticket=ticket, at=at, reason=event.kind)
    elif not _moves_clocks(event):
        on_conversation_event(ticket, event)  # logged late: the clocks are replayed, not appended to
    else:
        _move_clocks(ticket, event.kind, event.data, at, rows=clocks)
        on_conversation_event(ticket, event)


def _apply_policy_at_creation(ticket: Ticket, at: datetime) -> None:
    policy = policy_for(_facts(ticket))
    if policy is not None:
        _start_clocks(ticket, policy, at)


def _start_clocks(ticket: Ticket, policy: SlaPolicy, at: datetime) -> None:
    key, _calendar = policy_calendar(policy, at)
    lookup = calendars_lookup()
    paused = bool(ticket.status.pauses_sla)
    rows = []
    for metric in METRICS:
        if policy.target_minutes(metric):
            row = SlaClock(ticket_id=ticket.pk, metric=metric, cycle=1)
            _record(row, None, start_event(metric, policy, key, at, paused), lookup, at)
            rows.append(row)
    refresh_next_due(ticket, rows)


def _catch_up_event(state: ClockState, at: datetime,
                    policies: Mapping[int, tuple[str, datetime | None]]) -> ClockEvent | None:
    """The calendar change a clock still owes after an edit (SPEC 7.4), if any."""
    if state.state not in OPEN_STATES or state.policy_id is None or state.policy_id not in policies:
        return None
    key, changed_at = policies[state.policy_id]
    if not key or key == state.calendar_key:
        return None
    moment = min(at, max(changed_at or at, state.checkpoint_at))
    return ClockEvent("calendar_change", moment, {"calendar": key})


def _catch_up_calendar(row: SlaClock, state: ClockState, at: datetime, lookup: CalendarLookup,
                       policies: Mapping[int, tuple[str, datetime | None]]) -> ClockState:
    """A calendar edit the re-plan job has not reached yet is applied before the next event (SPEC 7.4)."""
    event = _catch_up_event(state, at, policies)
    return state if event is None else _record(row, state, event, lookup, at)


def bulk_store(rows: list[SlaClock], entries: list[SlaClockEvent], now: datetime) -> None:
    """Store many folded clocks and append their log entries: a couple of statements per batch.

    On PostgreSQL one UPDATE ... FROM (VALUES ...): Django's bulk_update builds a CASE per row and
    field, which costs more than the replay itself. Elsewhere bulk_update."""
    if not rows:
        return
    for row in rows:
        row.updated_at = now
    names = [*STATE_FIELDS, "updated_at"]
    if connection.vendor != "postgresql":
        SlaClock.objects.bulk_update(rows, names, batch_size=200)
    else:
        fields = [field for name in names if isinstance(field := SlaClock._meta.get_field(name), models.Field)]
        columns = ", ".join(f'"{field.column}"' for field in fields)
        sets = ", ".join(f'"{field.column}" = v."{field.column}"' for field in fields)
        row_sql = "(" + ", ".join(["%s::bigint", *(f"%s::{field.db_type(connection)}" for field in fields)]) + ")"
        params: list[Any] = []
        for row in rows:
            params.append(row.pk)
            params += [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        values = ", ".join([row_sql] * len(rows))
        sql = (f'UPDATE "{SlaClock._meta.db_table}" AS c SET {sets} '  # noqa: S608 (column names from the model)
               f"FROM (VALUES {values}) AS v(id, {columns}) WHERE c.id = v.id")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    SlaClockEvent.objects.bulk_create(entries)


def refresh_next_due_bulk(tickets: Mapping[int, Ticket]) -> None:
    """`refresh_next_due` for many tickets: one read, one bulk write of those whose value moved."""
    dues = dict(SlaClock.objects.filter(ticket_id__in=list(tickets), state=RUNNING, due_at__isnull=False)
                .values("ticket_id").annotate(first=Min("due_at")).values_list("ticket_id", "first"))
    moved = []
    for pk, ticket in tickets.items():
        value = dues.get(pk)
        if value != ticket.sla_next_due_at:
            ticket.sla_next_due_at = value
            moved.append(ticket)
    if moved:
        Ticket.objects.bulk_update(moved, ["sla_next_due_at"])


def _policy_keys(rows: Iterable[SlaClock]) -> dict[int, tuple[str, datetime | None]]:
    ids = {row.policy_id for row in rows if row.policy_id is not None and row.state in OPEN_STATES}
    if not ids:
        return {}
    return {pk: (key, changed) for pk, key, changed in
            SlaPolicy.objects.filter(pk__in=ids).values_list("pk", "calendar_key", "calendar_changed_at")}


def _move_clocks(ticket: Ticket, kind: str, data: Mapping[str, Any], at: datetime,
                 rows: dict[str, SlaClock] | None = None) -> None:
    rows = _latest_clocks(ticket.pk) if rows is None else rows
    if not rows:
        return
    statuses: StatusBook = status_book([data.get("from"), data.get("to")]) if kind == EventKind.STATUS_CHANGED else {}
    lookup = calendars_lookup()
    policies: dict[int, tuple[str, datetime | None]] | None = None
    for metric, row in rows.items():
        state = state_of(row)
        moves = clock_moves(metric=metric, clock_state=state.state, kind=kind, data=data, statuses=statuses)
        if not moves:
            continue
        if policies is None:
            policies = _policy_keys(rows.values())
        state = _catch_up_calendar(row, state, at, lookup, policies)
        for move_kind, move_data in moves:
            state = _record(row, state, ClockEvent(move_kind, at, move_data), lookup, at)
    refresh_next_due(ticket, rows.values())


# ---------------------------------------------------------------- policy changes (SPEC 7.3)


def clocks_rematch(*, ticket: Ticket, at: datetime, reason: str) -> bool:
    """Match the ticket's policy again; rebase, cancel or add clocks. True when anything changed."""
    policy = policy_for(_facts(ticket))
    rows = _latest_clocks(ticket.pk)
    key = policy_calendar(policy, at)[0] if policy is not None else None
    lookup = calendars_lookup()
    old_policies = sorted({row.policy_id for row in rows.values() if row.state in OPEN_STATES and row.policy_id})
    changed = False
    for metric in (*METRICS, NEXT_REPLY):
        row = rows.get(metric)
        minutes = policy.target_minutes(metric) if policy is not None else None
        if metric == NEXT_REPLY and (row is None or row.state not in OPEN_STATES):
            continue  # next-reply cycles start at requester messages only (conversation.py)
        if row is None or row.state == CANCELLED:
            if policy is not None and key is not None and minutes and ticket.merged_into_id is None:
                cycle = 1 if row is None else row.cycle + 1
                rows[metric] = _start_replayed(ticket, metric, cycle, policy, key, at, lookup)
                changed = True
            continue
        if row.state not in OPEN_STATES:
            continue  # a stopped clock keeps the level it was judged by (SPEC 7.3)
        state = state_of(row)
        if policy is None or not minutes:
            _record(row, state, ClockEvent("cancel", at, {"reason": "policy_has_no_target"}), lookup, at)
            changed = True
            continue
        assert key is not None
        wanted = (policy.pk, minutes * 60, policy.warn_minutes(minutes) * 60)
        if (state.policy_id, state.target_seconds, state.warn_before_seconds) != wanted:
            _record(row, state, ClockEvent("policy_change", at, {
                "policy": policy.pk, "target": minutes * 60, "warn_before": policy.warn_minutes(minutes) * 60,
                "calendar": key, "reason": reason,
            }), lookup, at)
            changed = True
        elif state.calendar_key != key:
            _record(row, state, ClockEvent("calendar_change", at, {"calendar": key}), lookup, at)
            changed = True
    refresh_next_due(ticket, rows.values())
    new_policy = policy.pk if policy is not None else None
    if changed and old_policies != ([new_policy] if new_policy else []):
        ticket_services.event_record(ticket=ticket, actor=None, kind=EventKind.SLA_CHANGED, at=at, data={
            "reason": reason, "from_policies": old_policies, "to_policy": new_policy,
        })
    return changed


def ticket_history(ticket_id: int) -> list[TicketHistoryItem]:
    rows = TicketEvent.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")
    return [TicketHistoryItem(kind, at, data) for kind, at, data in rows.values_list("kind", "created_at", "data")]


def replay_events(*, metric: str, start: ClockEvent, history: Iterable[TicketHistoryItem],
                  statuses: StatusBook, lookup: CalendarLookup,
                  until: datetime) -> tuple[list[ClockEvent], ClockState]:
    """The clock events a ticket's history implies for a clock started by `start` (SPEC 7.3, 7.6).

    A breach or warning already in the past at `until` is recorded as suppressed, so nobody is
    notified about history."""
    events = [start]
    state = apply_event(None, start, lookup)
    for item in history:
        if item.kind == EventKind.CREATED or item.at < start.at or item.at > until:
            continue
        for kind, data in clock_moves(metric=metric, clock_state=state.state, kind=item.kind, data=item.data,
                                      statuses=statuses):
            event = ClockEvent(kind, item.at, data)
            state = apply_event(state, event, lookup)
            events.append(event)
    if state.state == RUNNING:
        if state.due_at is not None and state.due_at < until and state.breached_at is None:
            event = ClockEvent("breached", until, {"suppressed": True})
            state = apply_event(state, event, lookup)
            events.append(event)
        if state.warn_at is not None and state.warn_at <= until and state.warned_at is None:
            event = ClockEvent("warned", until, {"suppressed": True})
            state = apply_event(state, event, lookup)
            events.append(event)
    return events, state


def _start_replayed(ticket: Ticket, metric: str, cycle: int, policy: SlaPolicy, key: str, at: datetime,
                    lookup: CalendarLookup) -> SlaClock:
    """A clock the new policy adds starts at the ticket's creation, replayed from its history."""
    history = ticket_history(ticket.pk)
    statuses = status_book()
    created = next((item for item in history if item.kind == EventKind.CREATED), None)
    code = created.data.get("status") if created else None
    paused = bool(isinstance(code, str) and code in statuses and statuses[code].pauses_sla)
    start = start_event(metric, policy, key, ticket.created_at, paused)
    row = SlaClock(ticket_id=ticket.pk, metric=metric, cycle=cycle)
    state: ClockState | None = None
    events, _final = replay_events(metric=metric, start=start, history=history, statuses=statuses, lookup=lookup,
                                   until=at)
    for event in events:
        state = _record(row, state, event, lookup, at)
    return row


# ---------------------------------------------------------------- manual due time (SPEC 7.5)


@transaction.atomic
def clock_override_due(*, actor: User, ticket_id: int, metric: str, due_at: datetime | None, reason: str,
                       now: datetime) -> SlaClock:
    """Set (or, with `due_at=None`, clear) a clock's due time by hand; audited in both logs."""
    ticket = ticket_services.ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    if not (actor.is_staff_member or actor.is_superuser):
        raise NotFound()
    reason = " ".join(reason.split())[:500]
    if due_at is not None and not reason:
        raise InvalidInput(_("Say why the due time is changed."), errors={"reason": _("This field is required.")})
    if due_at is not None and due_at.tzinfo is None:
        raise InvalidInput(_("The due time needs a time zone."))
    rows = _latest_clocks(ticket.pk)
    row = rows.get(metric)
    if row is None or row.state not in OPEN_STATES:
        raise Conflict(_("This SLA clock is not running."))
    lookup = calendars_lookup()
    state = state_of(row)
    if due_at is None and state.manual_due_at is None:
        return row
    _record(row, state, ClockEvent("override", now, {
        "due_at": due_at.isoformat() if due_at else None, "by": actor.pk, "reason": reason,
    }), lookup, now)
    refresh_next_due(ticket, rows.values())
    ticket_services.event_record(ticket=ticket, actor=actor, kind=EventKind.SLA_CHANGED, at=now, data={
        "reason": "override", "metric": metric, "clock": row.pk,
        "due_at": due_at.isoformat() if due_at else None, "note": reason,
    })
    return row


# ---------------------------------------------------------------- calendar edits (SPEC 7.4)


def calendars_refresh(*, now: datetime, reason: str) -> ReplanRun | None:
    """Recompute each policy's calendar key after an edit; open clocks on an old key are re-planned
    by a background job (enqueued after commit). Returns the run, if one is needed."""
    changed: list[int] = []
    for policy in SlaPolicy.objects.select_related("schedule"):
        try:
            key, _calendar = policy_calendar(policy, now)
        except SlaConfigError as error:
            logger.error("calendar of SLA policy %s is not valid, clocks keep the old one: %s", policy.pk, error)
            continue
        if key != policy.calendar_key:
            SlaPolicy.objects.filter(pk=policy.pk).update(calendar_key=key, calendar_changed_at=now)
            changed.append(policy.pk)
    if not changed:
        return None
    stale = SlaClock.objects.filter(state__in=OPEN_STATES, policy_id__in=changed)
    keys = dict(SlaPolicy.objects.filter(pk__in=changed).values_list("pk", "calendar_key"))
    stale_count = sum(stale.filter(policy_id=pk).exclude(calendar_key=key).count() for pk, key in keys.items())
    if not stale_count:
        return None
    run = ReplanRun.objects.create(reason=reason[:200], policy_ids=changed, requested_at=now, total=stale_count)
    transaction.on_commit(lambda: _enqueue_replan(run.pk))
    return run


def _enqueue_replan(run_id: int) -> None:
    from otklik.sla.tasks import sla_replan_job

    try:
        sla_replan_job(run_id)
    except Exception:  # the next calendar save or `sla_replan` re-runs it; a save must not fail here
        logger.exception("could not enqueue SLA re-plan run %s", run_id)


def replan_run(*, run_id: int, now: datetime, batch_size: int = 1000, busy_retries: int = 20) -> ReplanRun:
    """Re-plan every open clock of the run's policies onto the policy's current calendar, in
    batches, recording progress; idempotent (clocks already on the current key are skipped)."""
    run = ReplanRun.objects.get(pk=run_id)
    if run.state == ReplanState.DONE:
        return run
    ReplanRun.objects.filter(pk=run.pk).update(state=ReplanState.RUNNING, started_at=now)
    processed = rebased = 0
    try:
        idle_rounds = 0
        while True:
            seen, done = _replan_batch(run.policy_ids, now, batch_size)
            processed += done
            rebased += done
            ReplanRun.objects.filter(pk=run.pk).update(processed=processed, rebased=rebased)
            if seen == 0:
                break
            if done == 0:
                idle_rounds += 1
                if idle_rounds > busy_retries:
                    raise RuntimeError(f"{seen} clocks stayed locked by other work; run the re-plan again")
                time.sleep(0.2)
            else:
                idle_rounds = 0
    except Exception as error:
        ReplanRun.objects.filter(pk=run.pk).update(state=ReplanState.FAILED, error=str(error)[:2000], finished_at=now)
        logger.exception("SLA re-plan run %s failed", run.pk)
        raise
    ReplanRun.objects.filter(pk=run.pk).update(state=ReplanState.DONE, finished_at=now)
    run.refresh_from_db()
    return run


def _replan_batch(policy_ids: list[int], now: datetime, batch_size: int) -> tuple[int, int]:
    policies = {pk: (key, changed) for pk, key, changed in
                SlaPolicy.objects.filter(pk__in=policy_ids).values_list("pk", "calendar_key", "calendar_changed_at")}
    with transaction.atomic():
        condition = Q()
        for pk, (key, _changed) in policies.items():
            condition |= Q(policy_id=pk) & ~Q(calendar_key=key)
        if not policies:
            return 0, 0
        rows = list(lock_skipping(SlaClock.objects.filter(condition, state__in=OPEN_STATES)).order_by("id")
                    [:batch_size])
        if not rows:
            return 0, 0
        tickets = {t.pk: t for t in lock_skipping(Ticket.objects.filter(pk__in={r.ticket_id for r in rows}))}
        lookup = calendars_lookup()
        stored: list[SlaClock] = []
        entries: list[SlaClockEvent] = []
        for row in rows:
            if row.ticket_id not in tickets:
                continue  # busy with live work: a later round takes it
            state = state_of(row)
            event = _catch_up_event(state, now, policies)
            if event is None:
                continue
            store_state(row, apply_event(state, event, lookup))
            stored.append(row)
            entries.append(SlaClockEvent(clock=row, at=event.at, kind=event.kind, data=event.data, recorded_at=now))
        bulk_store(stored, entries, now)
        refresh_next_due_bulk({row.ticket_id: tickets[row.ticket_id] for row in stored})
        return len(rows), len(stored)
