"""The breach and warning sweep (SPEC 8, 9): clocks that came due are stamped and announced once each.

The sweep takes clocks first, so it takes their tickets with SKIP LOCKED and leaves busy tickets for its
next round (lock order everywhere else: ticket, then its clocks).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q

from otklik.accounts.models import Team, User
from otklik.core.errors import DomainError
from otklik.sla import targets
from otklik.sla.clock import RUNNING
from otklik.sla.models import NoticeKind, SlaClock, SlaClockEvent, SlaNotice, SlaPolicy
from otklik.sla.services import lock_skipping
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import EventKind, Ticket, TicketEvent

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    breached: int = 0
    warned: int = 0
    suppressed: int = 0
    busy: int = 0
    batches: int = 0
    # Counts of the other targets the sweep watches (`otklik.sla.targets`), e.g. "chat_dialogs_breached".
    others: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {"breached": self.breached, "warned": self.warned, "suppressed": self.suppressed,
                "busy": self.busy, "batches": self.batches, **self.others}


def sla_sweep(*, now: datetime, batch_size: int = 500) -> SweepResult:
    """Stamp breaches and warnings that have come due and announce each once. Safe to run in any
    number of workers at the same time; catches up by itself after downtime."""
    result = SweepResult()
    while True:
        seen, done = _sweep_round(now, batch_size, result)
        result.batches += 1 if seen else 0
        if seen < batch_size or done == 0:
            break
    result.others = targets.sweep_hooks_run(now=now)
    return result


def _insert_notices(rows: list[tuple[int, str, datetime]], now: datetime) -> set[tuple[int, str]]:
    """Insert notice markers, skipping any that exist; returns the (clock, kind) pairs inserted."""
    if not rows:
        return set()
    table = SlaNotice._meta.db_table
    ops = connection.ops
    placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for clock_id, kind, due in rows:
        params += [clock_id, kind, ops.adapt_datetimefield_value(due), ops.adapt_datetimefield_value(now)]
    sql = (f"INSERT INTO {table} (clock_id, kind, due_at, created_at) VALUES {placeholders} "  # noqa: S608
           "ON CONFLICT (clock_id, kind, due_at) DO NOTHING RETURNING clock_id, kind")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(int(clock_id), str(kind)) for clock_id, kind in cursor.fetchall()}


def _sweep_round(now: datetime, batch_size: int, result: SweepResult) -> tuple[int, int]:
    """One transaction: up to `batch_size` breaches and as many warnings, a handful of statements
    whatever the batch size (the sweep must stay cheap at a million open tickets)."""
    breach_condition = Q(state=RUNNING, breached_at__isnull=True, due_at__lt=now)
    warning_condition = Q(state=RUNNING, warned_at__isnull=True, warn_at__lte=now)
    with transaction.atomic():
        due = list(lock_skipping(SlaClock.objects.filter(breach_condition)).order_by("due_at")[:batch_size])
        warn = list(lock_skipping(SlaClock.objects.filter(warning_condition)).order_by("warn_at")[:batch_size])
        if not due and not warn:
            return 0, 0
        ticket_ids = {row.ticket_id for row in due} | {row.ticket_id for row in warn}
        tickets = {t.pk: t for t in lock_skipping(Ticket.objects.filter(pk__in=ticket_ids))}
        due = [row for row in due if row.ticket_id in tickets]
        breached_ids = {row.pk for row in due}
        ready_warn = [row for row in warn if row.ticket_id in tickets]
        result.busy += len(ticket_ids) - len(tickets)
        clock_events: list[SlaClockEvent] = []
        announce: list[tuple[str, SlaClock]] = []
        # The fold of "breached" stamps breached_at = due_at, of "warned" warned_at = its instant
        # (clock.apply_event); written here with one UPDATE per kind for the whole batch.
        for row in due:
            row.breached_at = row.due_at
            clock_events.append(SlaClockEvent(clock=row, at=now, kind="breached", data={}, recorded_at=now))
            announce.append((NoticeKind.BREACH, row))
        for row in ready_warn:
            # a warning that comes due for a clock already late (after downtime) would only be noise
            late = row.pk in breached_ids or row.breached_at is not None or (
                row.due_at is not None and row.due_at < now)
            row.warned_at = now
            clock_events.append(SlaClockEvent(clock=row, at=now, kind="warned",
                                              data={"suppressed": True} if late else {}, recorded_at=now))
            if late:
                result.suppressed += 1
            else:
                announce.append((NoticeKind.WARNING, row))
        if due:
            SlaClock.objects.filter(pk__in=breached_ids).update(breached_at=F("due_at"), updated_at=now)
        if ready_warn:
            SlaClock.objects.filter(pk__in=[row.pk for row in ready_warn]).update(warned_at=now, updated_at=now)
        # breach events first in the log, so a clock both breached and warned folds in that order
        SlaClockEvent.objects.bulk_create(clock_events)
        inserted = _insert_notices([(row.pk, kind, row.due_at or now) for kind, row in announce], now)
        _announce([(kind, row) for kind, row in announce if (row.pk, kind) in inserted], tickets, now)
        result.breached += len(due)
        result.warned += sum(1 for kind, _row in announce if kind == NoticeKind.WARNING)
        return max(len(due), len(warn)), len(due) + len(ready_warn)


def _announce(rows: list[tuple[str, SlaClock]], tickets: Mapping[int, Ticket], now: datetime) -> None:
    """Ticket history events the notification outbox fans out (assignee; at breach also the
    policy's responsible person and the team lead)."""
    if not rows:
        return
    policies = SlaPolicy.objects.select_related("responsible_user").in_bulk(
        {row.policy_id for _kind, row in rows if row.policy_id is not None})
    team_ids = {team_id for kind, row in rows
                if kind == NoticeKind.BREACH and (team_id := tickets[row.ticket_id].team_id) is not None}
    leads = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "lead_id")) if team_ids else {}
    to_assign: list[tuple[Ticket, User]] = []
    events: list[tuple[TicketEvent, Ticket]] = []
    for kind, row in rows:
        ticket = tickets[row.ticket_id]
        policy = policies.get(row.policy_id) if row.policy_id is not None else None
        data: dict[str, Any] = {
            "clock": row.pk, "metric": row.metric, "policy": row.policy_id,
            "target_minutes": row.target_seconds // 60,
            "due_at": row.due_at.isoformat() if row.due_at else None,
            "warn_at": row.warn_at.isoformat() if row.warn_at else None,
            "overridden": row.manual_due_at is not None,
            "assignee_id": ticket.assignee_id,
        }
        if kind == NoticeKind.BREACH:
            data["responsible_user_id"] = policy.responsible_user_id if policy else None
            data["team_lead_id"] = leads.get(ticket.team_id) if ticket.team_id else None
        events.append((TicketEvent(
            ticket=ticket, actor=None, created_at=now, data=data,
            kind=EventKind.SLA_BREACHED if kind == NoticeKind.BREACH else EventKind.SLA_WARNING,
        ), ticket))
        if (kind == NoticeKind.BREACH and policy is not None and policy.assign_on_breach
                and policy.responsible_user is not None and ticket.assignee_id is None):
            to_assign.append((ticket, policy.responsible_user))
    ticket_services.event_record_bulk(events)
    for ticket, person in to_assign:
        try:
            with transaction.atomic():
                changes.ticket_assign(actor=None, ticket_id=ticket.pk, assignee=person, now=now)
        except DomainError as error:
            logger.warning("breached ticket %s not assigned to %s: %s", ticket.pk, person.pk, error.message)


