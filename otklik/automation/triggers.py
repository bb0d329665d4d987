"""Triggers: when EVENT and CONDITIONS then ACTIONS, run from committed events (the outbox).

Every matching trigger runs once per event, in order. Events recorded by a trigger's actions are marked
(TriggerOrigin) in the same transaction and never fire triggers, so two triggers cannot ping-pong;
assignment rules still react to them (a trigger that sets a category gets the right specialist).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from otklik.accounts import access
from otklik.accounts.models import Role, User
from otklik.automation import chain
from otklik.automation.assignment import assignee_apply
from otklik.automation.conditions import (
    CONDITION_PREFETCH,
    MatchContext,
    field_values_match,
    trigger_matches,
    trigger_q,
)
from otklik.automation.models import AutomationSettings, NotifyRole, Trigger, TriggerEvent, TriggerOrigin, TriggerRun
from otklik.core.errors import DomainError
from otklik.notifications import topics
from otklik.notifications.outbox import outbox_run
from otklik.notifications.rendering import language_of, render_text
from otklik.notifications.services import notify_direct
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import EventKind, Ticket, TicketEvent
from otklik.tickets.tags import ticket_change_tags

logger = logging.getLogger(__name__)

OUTBOX_CONSUMER = "automation.triggers"

_UPDATE_KINDS = frozenset({
    EventKind.STATUS_CHANGED, EventKind.ASSIGNED, EventKind.TEAM_CHANGED, EventKind.CATEGORY_CHANGED,
    EventKind.PRIORITY_CHANGED, EventKind.REQUEST_TYPE_CHANGED, EventKind.FIELDS_CHANGED, EventKind.SUBJECT_CHANGED,
    EventKind.TAGS_CHANGED,
})


def trigger_events_for(event: TicketEvent) -> set[str]:
    """The trigger events a recorded ticket event stands for."""
    kinds: set[str] = set()
    if event.kind == EventKind.CREATED:
        kinds.add(TriggerEvent.CREATED)
    elif event.kind == EventKind.REPLIED:
        by_staff = event.data.get("by") == "staff"
        kinds.add(TriggerEvent.REPLIED_BY_AGENT if by_staff else TriggerEvent.REPLIED_BY_REQUESTER)
    elif event.kind == EventKind.SLA_WARNING:
        kinds.add(TriggerEvent.SLA_WARNING)
    elif event.kind == EventKind.SLA_BREACHED:
        kinds.add(TriggerEvent.SLA_BREACHED)
    if event.kind == EventKind.STATUS_CHANGED:
        kinds.add(TriggerEvent.STATUS_CHANGED)
    if event.kind in _UPDATE_KINDS:
        kinds.add(TriggerEvent.UPDATED)
    return kinds


def _fresh(ticket_id: int) -> Ticket:
    return Ticket.objects.select_related(
        "category", "priority", "team__lead", "assignee", "status", "requester"
    ).get(pk=ticket_id)


def _notify_recipients(trigger: Trigger, ticket: Ticket) -> list[User]:
    roles = set(trigger.notify_roles or [])
    people: list[User] = []
    if NotifyRole.REQUESTER in roles:
        people.append(ticket.requester)
    if NotifyRole.ASSIGNEE in roles and ticket.assignee is not None:
        people.append(ticket.assignee)
    if NotifyRole.WATCHERS in roles:
        people.extend(ticket.watchers.filter(is_active=True))
    if NotifyRole.TEAM_LEAD in roles and ticket.team is not None and ticket.team.lead is not None:
        people.append(ticket.team.lead)
    if NotifyRole.ADMINS in roles:
        people.extend(User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True)))
    return people


def _custom_text(source: str, ticket: Ticket) -> str:
    return render_text(source, {
        "ticket_number": str(ticket.number), "ticket_subject": ticket.subject, "status": ticket.status.label,
        "priority": ticket.priority.label, "team": ticket.team.name if ticket.team else "",
    })


def trigger_execute(trigger: Trigger, ticket: Ticket, *, event: TicketEvent, now: datetime) -> list[str]:
    """Run the actions of one trigger; each action is its own savepoint, a refused one is noted and skipped."""
    outcome: list[str] = []

    def attempt(label: str, action: Callable[[], object]) -> None:
        try:
            action()
        except DomainError as exc:
            outcome.append(f"{label}: refused ({exc.message})")
            logger.warning("trigger %s: %s on ticket %s refused: %s", trigger.pk, label, ticket.pk, exc.message)
            return
        outcome.append(label)

    tid = ticket.pk
    if trigger.set_priority is not None and trigger.set_priority.pk != ticket.priority_id:
        priority = trigger.set_priority
        attempt("priority", lambda: changes.ticket_change_priority(
            actor=None, ticket_id=tid, priority=priority, now=now))
    if trigger.set_team is not None and trigger.set_team.pk != ticket.team_id:
        team = trigger.set_team
        attempt("team", lambda: changes.ticket_change_team(actor=None, ticket_id=tid, team=team, now=now))
    if trigger.set_status is not None and trigger.set_status.pk != _fresh(tid).status_id:
        status = trigger.set_status
        attempt("status", lambda: changes.ticket_change_status(
            actor=None, ticket_id=tid, status=status, now=now))
    if trigger.assignee_strategy:
        current = _fresh(tid)
        attempt("assignee", lambda: assignee_apply(
            ticket=current, strategy=trigger.assignee_strategy, person=trigger.assignee,
            team=trigger.set_team or current.team, now=now, reason_key=f"no_assignee:{tid}:{event.pk}",
            keep_team_member=False,
        ))
    adding = [tag.name for tag in trigger.add_tags.all()]
    if adding:
        attempt("tags", lambda: ticket_change_tags(actor=None, ticket_id=tid, add=adding, now=now))
    automation_user = AutomationSettings.load().automation_user
    if trigger.add_note.strip():
        note = _custom_text(trigger.add_note, _fresh(tid))
        # The system may write notes: ensure_can lets actor=None through.
        attempt("note", lambda: ticket_services.ticket_add_note(
            actor=automation_user, ticket_id=tid, body_text=note, now=now))
    if trigger.send_reply is not None and trigger.send_reply.is_active:
        canned = trigger.send_reply
        if automation_user is None or not automation_user.is_staff_member:
            outcome.append("reply: skipped (no staff automation account is configured)")
        else:
            current = _fresh(tid)
            text = _custom_text(canned.text_for(language_of(current.requester)), current)
            attempt("reply", lambda: ticket_services.ticket_reply(
                actor=automation_user, ticket_id=tid, body_text=text, now=now))
    if trigger.notify_roles:
        current = _fresh(tid)
        recipients = _notify_recipients(trigger, current)
        subject = _custom_text(trigger.notify_subject or trigger.name, current)
        body = _custom_text(trigger.notify_body, current)
        attempt("notify", lambda: notify_direct(
            recipients=recipients, topic=topics.AUTOMATION_NOTICE, ticket=current,
            key=f"trigger:{trigger.pk}:{event.pk}", now=now,
            extra={"custom_subject": subject, "custom_body": body},
        ))
    return outcome


def active_trigger_events() -> frozenset[str]:
    """The trigger events some active trigger listens to."""
    return frozenset(Trigger.objects.filter(is_active=True).values_list("event", flat=True).distinct())


def active_triggers(kinds: set[str]) -> list[Trigger]:
    return list(
        Trigger.objects.filter(is_active=True, event__in=kinds)
        .order_by("order", "id")
        .select_related("set_status", "set_priority", "set_team", "assignee", "send_reply")
        .prefetch_related(*CONDITION_PREFETCH, "statuses", "teams", "tags", "add_tags")
    )


def triggers_handle_event(event: TicketEvent, *, listened: frozenset[str] | None = None) -> list[TriggerRun]:
    """Fire the triggers an event matches. Trigger-made events fire nothing.

    `listened`: `active_trigger_events()` when the caller asked it for a run of events (the dispatcher asks
    once per run, so an event no active trigger listens to costs no query); read here when not given."""
    kinds = trigger_events_for(event) & (active_trigger_events() if listened is None else listened)
    if not kinds:
        return []
    if TriggerOrigin.objects.filter(event_id=event.pk).exists():
        return []
    triggers = active_triggers(kinds)
    if not triggers:
        return []
    runs = []
    for trigger in triggers:
        ticket = _fresh(event.ticket_id)
        if not trigger_matches(trigger, ticket, MatchContext(at=event.created_at)):
            continue
        try:
            with chain.entered(trigger_id=trigger.pk, cause_event_id=event.pk):
                outcome = trigger_execute(trigger, ticket, event=event, now=event.created_at)
        except chain.ChainTooDeep:
            continue
        runs.append(TriggerRun.objects.create(
            trigger=trigger, event=event, ticket=ticket, outcome="; ".join(outcome) or "no change",
            created_at=event.created_at,
        ))
    return runs


def triggers_process(*, now: datetime) -> int:
    listened = active_trigger_events()  # once per run, not once per event

    def handle(event: TicketEvent) -> None:
        triggers_handle_event(event, listened=listened)

    return outbox_run(consumer=OUTBOX_CONSUMER, handler=handle, now=now)


def trigger_origin_mark(event: TicketEvent) -> None:
    """Called for every event recorded while a trigger runs."""
    state = chain.current()
    if state.trigger_id is None:
        return
    TriggerOrigin.objects.create(
        event=event, trigger_id=state.trigger_id, cause_event_id=state.cause_event_id or 0, depth=state.depth
    )


# ---------------------------------------------------------------- preview


@dataclass(frozen=True)
class Preview:
    tickets: list[Ticket]
    matched: int
    examined: int
    truncated: bool


PREVIEW_EXAMINE_LIMIT = 5000


def trigger_preview(viewer: User, trigger: Trigger, *, limit: int = 50) -> Preview:
    """Existing tickets, among those the viewer may see, that the trigger's conditions match now.
    Time of day and mailbox exist only at event time and are not checked here."""
    base: QuerySet[Ticket] = access.tickets_visible_to(viewer).filter(trigger_q(trigger)).select_related(
        "status", "priority", "team", "assignee", "requester", "category"
    ).order_by("-updated_at", "-id")
    matched: list[Ticket] = []
    count = 0
    examined = 0
    for ticket in base.iterator(chunk_size=500):
        examined += 1
        if examined > PREVIEW_EXAMINE_LIMIT:
            break
        if not field_values_match(trigger, ticket.fields or {}):
            continue
        count += 1
        if len(matched) < limit:
            matched.append(ticket)
    return Preview(tickets=matched, matched=count, examined=min(examined, PREVIEW_EXAMINE_LIMIT),
                   truncated=examined > PREVIEW_EXAMINE_LIMIT)
