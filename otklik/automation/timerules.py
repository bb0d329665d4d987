"""Time-based rules, run by a periodic job with an injected `now`.

Each step a rule takes on a ticket is recorded (TimeRuleStep) with the start of the episode it belongs
to (when the ticket was resolved, started waiting, or lost its assignee), under a unique key, in the same
transaction as the step itself: a step happens once per episode, whatever the number of runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from otklik.accounts.models import Role, TeamKind, User
from otklik.automation.models import TimeRule, TimeRuleKind, TimeRuleStep
from otklik.core.errors import DomainError
from otklik.notifications import topics
from otklik.notifications.services import notify_direct
from otklik.tickets import changes
from otklik.tickets.models import ACTIVE_KINDS, EventKind, Message, StatusKind, Ticket, TicketEvent

logger = logging.getLogger(__name__)

BATCH_LIMIT = 500


@dataclass
class TimeRulesReport:
    closed: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)


def _scoped(rule: TimeRule, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    team_ids = list(rule.teams.values_list("pk", flat=True))
    return tickets.filter(team_id__in=team_ids) if team_ids else tickets


def _step_once(rule: TimeRule, ticket: Ticket, step: str, episode_start: datetime, now: datetime) -> bool:
    """Record a step; False when it was already taken in this episode."""
    try:
        with transaction.atomic():
            TimeRuleStep.objects.create(
                rule=rule, ticket=ticket, step=step, episode_start=episode_start, created_at=now
            )
    except IntegrityError:
        return False
    return True


def _close(rule: TimeRule, ticket: Ticket, episode_start: datetime, now: datetime) -> bool:
    try:
        with transaction.atomic():
            if not _step_once(rule, ticket, "closed", episode_start, now):
                return False
            changes.ticket_close(actor=None, ticket_id=ticket.pk, now=now)
    except DomainError as exc:
        logger.warning("time rule %s could not close ticket %s: %s", rule.pk, ticket.pk, exc.message)
        return False
    return True


def _step_taken(rule: TimeRule, step: str, episode: str) -> Exists:
    """Whether the step was already taken in the ticket's current episode (`episode` names the outer
    column or annotation holding its start). Served by the unique index time_rule_step_once
    (rule, ticket, step, episode_start), so the rule selects only what is still due: tickets handled in
    earlier runs never fill a batch and starve the newer ones."""
    return Exists(TimeRuleStep.objects.filter(rule=rule, ticket_id=OuterRef("pk"), step=step,
                                              episode_start=OuterRef(episode)))


def auto_close_resolved(rule: TimeRule, *, now: datetime, report: TimeRulesReport) -> None:
    """Resolved tickets whose requester did not answer within N days are closed."""
    if rule.after_days is None:
        return
    cutoff = now - timedelta(days=rule.after_days)
    answered = Exists(Message.objects.filter(
        ticket_id=OuterRef("pk"), is_internal=False, author_id=OuterRef("requester_id"),
        created_at__gt=OuterRef("resolved_at"),
    ))
    tickets = _scoped(rule, Ticket.objects.filter(
        status__kind=StatusKind.RESOLVED, resolved_at__lte=cutoff, merged_into__isnull=True
    )).filter(~answered, ~_step_taken(rule, "closed", "resolved_at")).order_by("resolved_at", "pk")[:BATCH_LIMIT]
    for ticket in tickets:
        assert ticket.resolved_at is not None
        if _close(rule, ticket, ticket.resolved_at, now):
            report.closed.append(ticket.pk)


def _waiting_since() -> Subquery:
    return Subquery(
        TicketEvent.objects.filter(
            ticket_id=OuterRef("pk"), kind=EventKind.STATUS_CHANGED, data__to_kind=StatusKind.WAITING_CUSTOMER
        ).order_by("-created_at", "-id").values("created_at")[:1],
        output_field=DateTimeField(),
    )


def remind_then_close(rule: TimeRule, *, now: datetime, report: TimeRulesReport) -> None:
    """Tickets waiting for the requester's clarification: a reminder after N days, then closing after M more."""
    if rule.after_days is None:
        return
    cutoff = now - timedelta(days=rule.after_days)
    tickets = _scoped(rule, Ticket.objects.filter(status__kind=StatusKind.WAITING_CUSTOMER, merged_into__isnull=True))
    reminded_at = Subquery(
        TimeRuleStep.objects.filter(rule=rule, ticket_id=OuterRef("pk"), step="reminded",
                                    episode_start=OuterRef("waiting_since")).values("created_at")[:1],
        output_field=DateTimeField(),
    )
    # Still due: not reminded in this episode yet, or reminded long enough ago and not closed yet.
    due = Q(reminded_at__isnull=True)
    if rule.close_after_days is not None:
        due |= Q(reminded_at__lte=now - timedelta(days=rule.close_after_days))
    tickets = tickets.annotate(waiting_since=Coalesce(_waiting_since(), "updated_at")).filter(
        waiting_since__lte=cutoff
    ).annotate(reminded_at=reminded_at).filter(due, ~_step_taken(rule, "closed", "waiting_since")).select_related(
        "status", "priority", "team", "assignee", "requester"
    ).order_by("waiting_since", "pk")[:BATCH_LIMIT]
    for ticket in tickets:
        since: datetime = ticket.waiting_since
        if ticket.reminded_at is None:
            with transaction.atomic():
                if _step_once(rule, ticket, "reminded", since, now):
                    notify_direct(
                        recipients=[ticket.requester], topic=topics.REQUESTER_CLARIFICATION_REMINDER, ticket=ticket,
                        key=f"time_rule:{rule.pk}:reminded:{since.isoformat()}", now=now,
                    )
                    report.reminded.append(ticket.pk)
            continue
        if rule.close_after_days is not None and _close(rule, ticket, since, now):
            report.closed.append(ticket.pk)


def _unassigned_since() -> Subquery:
    # With no assignee now, the latest assignment event is the one that removed the assignee.
    return Subquery(
        TicketEvent.objects.filter(ticket_id=OuterRef("pk"), kind=EventKind.ASSIGNED)
        .order_by("-created_at", "-id").values("created_at")[:1],
        output_field=DateTimeField(),
    )


def _escalation_recipients(rule: TimeRule, ticket: Ticket) -> list[User]:
    people: list[User] = []
    if ticket.team is not None and ticket.team.lead is not None:
        people.append(ticket.team.lead)
    elif ticket.team is None:
        # Unrouted tickets wait in the first line's queue: its leads answer for them.
        people.extend(User.objects.filter(led_teams__kind=TeamKind.FIRST_LINE, is_active=True).distinct())
    if rule.escalate_to is not None:
        people.append(rule.escalate_to)
    if not people:
        people.extend(User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True)))
    return people


def escalate_unassigned(rule: TimeRule, *, now: datetime, report: TimeRulesReport) -> None:
    """Open tickets without an assignee for N minutes are escalated to the team lead, once per episode."""
    if rule.after_minutes is None:
        return
    cutoff = now - timedelta(minutes=rule.after_minutes)
    tickets = _scoped(rule, Ticket.objects.filter(
        status__kind__in=ACTIVE_KINDS, assignee__isnull=True, merged_into__isnull=True
    )).annotate(unassigned_since=Coalesce(_unassigned_since(), "created_at")).filter(
        unassigned_since__lte=cutoff
    ).filter(~_step_taken(rule, "escalated", "unassigned_since")).select_related(
        "status", "priority", "team__lead", "requester"
    ).order_by("unassigned_since", "pk")[:BATCH_LIMIT]
    for ticket in tickets:
        since: datetime = ticket.unassigned_since
        with transaction.atomic():
            if not _step_once(rule, ticket, "escalated", since, now):
                continue
            minutes = int((now - since).total_seconds() // 60)
            notify_direct(
                recipients=_escalation_recipients(rule, ticket), topic=topics.LEAD_UNASSIGNED_TOO_LONG,
                ticket=ticket, key=f"time_rule:{rule.pk}:escalated:{since.isoformat()}", now=now,
                extra={"minutes": str(minutes)},
            )
            report.escalated.append(ticket.pk)


RUNNERS = {
    TimeRuleKind.AUTO_CLOSE_RESOLVED: auto_close_resolved,
    TimeRuleKind.REMIND_THEN_CLOSE: remind_then_close,
    TimeRuleKind.ESCALATE_UNASSIGNED: escalate_unassigned,
}


def time_rules_run(*, now: datetime) -> TimeRulesReport:
    """Run every active time rule once; safe to repeat (steps are once per episode)."""
    report = TimeRulesReport()
    for rule in TimeRule.objects.filter(is_active=True).prefetch_related("teams").select_related("escalate_to"):
        runner = RUNNERS.get(TimeRuleKind(rule.kind))
        if runner is None:
            continue
        try:
            runner(rule, now=now, report=report)
        except Exception:  # one broken rule must not stop the others
            logger.exception("time rule %s failed", rule.pk)
    return report
