"""Assignment rules and strategies.

Rules are evaluated inside the transaction that created or changed the ticket (through the
`ticket_event_recorded` signal), so a new ticket is never visible unrouted. Actions go through the
ticket services with `actor=None` (the system), which record their own events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Greatest

from otklik.accounts.models import Role, Team, User
from otklik.automation import chain
from otklik.automation.availability import assignable_members
from otklik.automation.conditions import CONDITION_PREFETCH, MatchContext, conditions_match
from otklik.automation.models import AssigneeStrategy, AssignmentRule, AutomationSettings, TeamRouting
from otklik.core import lookups
from otklik.core.errors import DomainError
from otklik.notifications import topics
from otklik.notifications.services import notify_direct
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import ACTIVE_KINDS, EventKind, Ticket, TicketEvent

logger = logging.getLogger(__name__)

CREATE_EVENTS = frozenset({EventKind.CREATED})
CHANGE_EVENTS = frozenset({EventKind.CATEGORY_CHANGED, EventKind.REQUEST_TYPE_CHANGED, EventKind.PRIORITY_CHANGED})


# ---------------------------------------------------------------- strategies


def _routing_locked(team: Team) -> TeamRouting:
    """The team's routing row, locked: assignments within a team are decided one at a time."""
    # One query when the row exists (SELECT ... FOR UPDATE); a new row is created inside the caller's transaction.
    routing, _created = TeamRouting.objects.select_for_update().get_or_create(team=team)
    return routing


def _rotated(members: list[User], after_id: int | None) -> list[User]:
    """Members in id order, starting with the first one after `after_id` (wrapping around)."""
    if after_id is None:
        return members
    split = next((index for index, member in enumerate(members) if member.pk > after_id), 0)
    return members[split:] + members[:split]


def pick_round_robin(team: Team, *, at: datetime) -> User | None:
    routing = _routing_locked(team)
    members = assignable_members(team, at)
    if not members:
        return None
    chosen = _rotated(members, routing.last_assigned_id)[0]
    routing.last_assigned = chosen
    routing.save(update_fields=["last_assigned"])
    return chosen


def open_load(user_ids: list[int], *, exclude_ticket_id: int | None = None) -> dict[int, tuple[int, int]]:
    """(priority-weighted load, open ticket count) per user: each open ticket weighs its priority rank."""
    tickets = Ticket.objects.filter(assignee_id__in=user_ids, status__kind__in=ACTIVE_KINDS)
    if exclude_ticket_id is not None:
        tickets = tickets.exclude(pk=exclude_ticket_id)
    rows = tickets.values("assignee_id").annotate(
        weight=Sum(Greatest("priority__rank", Value(1), output_field=IntegerField())), count=Count("pk")
    )
    return {row["assignee_id"]: (row["weight"] or 0, row["count"]) for row in rows}


def pick_least_loaded(team: Team, *, at: datetime, ticket_id: int | None = None) -> User | None:
    routing = _routing_locked(team)
    members = assignable_members(team, at)
    if not members:
        return None
    loads = open_load([member.pk for member in members], exclude_ticket_id=ticket_id)
    # Ties go round the team, so equal loads do not always favour the same person.
    order = _rotated(members, routing.last_assigned_id)
    chosen = min(order, key=lambda member: (*loads.get(member.pk, (0, 0)), order.index(member)))
    routing.last_assigned = chosen
    routing.save(update_fields=["last_assigned"])
    return chosen


def _usable(user: User | None) -> User | None:
    if user is None or not user.is_active or not (user.can_write or user.is_superuser):
        return None
    return user


def default_responsible(team: Team | None) -> User | None:
    if team is not None:
        routing = TeamRouting.objects.filter(team=team).select_related("default_assignee").first()
        if routing is not None and _usable(routing.default_assignee):
            return routing.default_assignee
    return _usable(AutomationSettings.load().default_assignee)


@dataclass
class AssignOutcome:
    changed: list[str] = field(default_factory=list)
    nobody_found: bool = False


def assignee_apply(
    *, ticket: Ticket, strategy: str, person: User | None, team: Team | None, now: datetime, reason_key: str,
    keep_team_member: bool,
) -> AssignOutcome:
    """Apply an assignee strategy to a ticket. With `keep_team_member`, an assignee who already belongs
    to the target team keeps the ticket (a rule re-run must not reshuffle work)."""
    outcome = AssignOutcome()
    if strategy == AssigneeStrategy.KEEP:
        return outcome
    if strategy == AssigneeStrategy.UNASSIGN:
        if ticket.assignee_id is not None:
            changes.ticket_assign(actor=None, ticket_id=ticket.pk, assignee=None, now=now)
            outcome.changed.append("assignee")
        return outcome
    chosen: User | None
    if strategy == AssigneeStrategy.PERSON:
        chosen = _usable(person)
    else:
        if (
            keep_team_member and team is not None and ticket.assignee_id is not None
            and team.members.filter(pk=ticket.assignee_id).exists()
        ):
            return outcome
        chosen = None
        if team is not None:
            if strategy == AssigneeStrategy.ROUND_ROBIN:
                chosen = pick_round_robin(team, at=now)
            elif strategy == AssigneeStrategy.LEAST_LOADED:
                chosen = pick_least_loaded(team, at=now, ticket_id=ticket.pk)
    if chosen is None:
        chosen = default_responsible(team)
    if chosen is None:
        outcome.nobody_found = True
        _notify_nobody_found(ticket=ticket, team=team, now=now, key=reason_key)
        return outcome
    if chosen.pk != ticket.assignee_id:
        changes.ticket_assign(actor=None, ticket_id=ticket.pk, assignee=chosen, now=now)
        outcome.changed.append("assignee")
    return outcome


def _notify_nobody_found(*, ticket: Ticket, team: Team | None, now: datetime, key: str) -> None:
    recipients = list(User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True)))
    if team is not None and team.lead is not None:
        recipients.insert(0, team.lead)
    logger.warning("no assignee could be determined for ticket %s (team %s)", ticket.pk, team.pk if team else None)
    fresh = Ticket.objects.select_related("status", "priority", "team", "assignee").get(pk=ticket.pk)
    notify_direct(recipients=recipients, topic=topics.LEAD_NO_ASSIGNEE_FOUND, ticket=fresh, key=key, now=now)


# ---------------------------------------------------------------- rules


def _fresh(ticket_id: int) -> Ticket:
    return Ticket.objects.select_related("category", "priority", "team__lead", "assignee", "status").get(pk=ticket_id)


lookups.depends_on("automation.any_assignment_rule", AssignmentRule)


def any_active_rule() -> bool:
    """Whether any assignment rule is switched on; remembered until a rule is saved or deleted, so the
    creates of a desk without rules pay no query for them."""
    return lookups.remembered("automation.any_assignment_rule",
                              lambda: AssignmentRule.objects.filter(is_active=True).exists())


def rules_for(event_kind: str) -> list[AssignmentRule]:
    if not any_active_rule():
        return []
    rules = AssignmentRule.objects.filter(is_active=True).order_by("order", "id")
    if event_kind in CREATE_EVENTS:
        rules = rules.filter(run_on_create=True)
    elif event_kind in CHANGE_EVENTS:
        rules = rules.filter(run_on_change=True)
    else:
        return []
    return list(rules.select_related("set_team__lead", "assignee", "set_priority").prefetch_related(
        *CONDITION_PREFETCH, "add_watchers"
    ))


def mailbox_of(ticket: Ticket, event: TicketEvent) -> str:
    """The mailbox a ticket came through, as recorded in its creation event by the email channel."""
    data = event.data if event.kind == EventKind.CREATED else (
        TicketEvent.objects.filter(ticket_id=ticket.pk, kind=EventKind.CREATED).values_list("data", flat=True).first()
    )
    value = (data or {}).get("mailbox", "")
    return value if isinstance(value, str) else ""


def rule_first_match(rules: list[AssignmentRule], ticket: Ticket, context: MatchContext) -> AssignmentRule | None:
    return next((rule for rule in rules if conditions_match(rule, ticket, context)), None)


def rule_apply(rule: AssignmentRule, ticket: Ticket, *, event: TicketEvent, now: datetime) -> list[str]:
    """Apply one rule's actions; each action is its own savepoint, a refused one is logged and skipped."""
    done: list[str] = []
    rerun = event.kind != EventKind.CREATED

    def attempt(label: str, action: object) -> None:
        try:
            result = action() if callable(action) else None
        except DomainError as exc:
            logger.warning("rule %s: %s on ticket %s refused: %s", rule.pk, label, ticket.pk, exc.message)
            return
        if result is not False:
            done.append(label)

    if rule.set_priority is not None and rule.set_priority.pk != ticket.priority_id:
        priority = rule.set_priority
        attempt("priority", lambda: changes.ticket_change_priority(
            actor=None, ticket_id=ticket.pk, priority=priority, now=now))
    if rule.set_team is not None and rule.set_team.pk != ticket.team_id:
        team = rule.set_team
        attempt("team", lambda: changes.ticket_change_team(
            actor=None, ticket_id=ticket.pk, team=team, now=now))
    current = _fresh(ticket.pk)
    if rule.assignee_strategy:
        target_team = rule.set_team or current.team

        def assign() -> bool:
            outcome = assignee_apply(
                ticket=current, strategy=rule.assignee_strategy, person=rule.assignee, team=target_team,
                now=now, reason_key=f"no_assignee:{ticket.pk}:{event.pk}", keep_team_member=rerun,
            )
            return bool(outcome.changed)

        attempt("assignee", assign)
    watcher_ids = set(current.watchers.values_list("pk", flat=True))
    for watcher in rule.add_watchers.all():
        if watcher.pk not in watcher_ids and watcher.pk != current.requester_id and watcher.is_active:
            attempt("watcher", lambda watcher=watcher: ticket_services.ticket_watch(
                actor=None, ticket_id=ticket.pk, user_id=watcher.pk, now=now))
    return done


def rules_run_for_event(event: TicketEvent, ticket_id: int) -> AssignmentRule | None:
    """Run the first matching rule for a create or routing-relevant change; returns the rule applied."""
    if event.kind not in CREATE_EVENTS | CHANGE_EVENTS:
        return None
    if chain.current().in_rules:
        return None  # our own change: rules never re-run on what rules did
    rules = rules_for(event.kind)
    if not rules:
        return None
    ticket = _fresh(ticket_id)
    needs_mailbox = any(rule.mailbox_list() for rule in rules)
    context = MatchContext(at=event.created_at, mailbox=mailbox_of(ticket, event) if needs_mailbox else "")
    rule = rule_first_match(rules, ticket, context)
    if rule is None:
        return None
    try:
        with chain.entered(in_rules=True, cause_event_id=event.pk):
            done = rule_apply(rule, ticket, event=event, now=event.created_at)
    except chain.ChainTooDeep:
        return None
    logger.info("assignment rule %s applied to ticket %s: %s", rule.pk, ticket.pk, ", ".join(done) or "no change")
    return rule
