"""Changes to an existing ticket by its people: status, assignment, team, category, priority, subject,
request type and fields; links between tickets, merging and the requester's rating. Each locks the ticket,
asks `access.ensure_can`, writes and records one event, like the rest of `tickets.services`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import Team, User
from otklik.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from otklik.tickets import selectors
from otklik.tickets.fields import clean_fields
from otklik.tickets.models import (
    DONE_KINDS,
    Attachment,
    Category,
    EventKind,
    LinkKind,
    Message,
    Priority,
    RequestType,
    Status,
    StatusKind,
    Ticket,
    TicketLink,
    TicketRating,
)
from otklik.tickets.services import (
    event_record,
    happened_at_check,
    status_default,
    status_set,
    ticket_lock,
    ticket_touch,
)


@transaction.atomic
def ticket_change_status(*, actor: User | None, ticket_id: int, status: Status, now: datetime,
                         happened_at: datetime | None = None) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    if not status.is_active:
        raise InvalidInput(_("This status is not in use."))
    at = happened_at_check(ticket, actor, happened_at, now)
    status_set(ticket=ticket, actor=actor, status=status, now=at, logged_at=now)
    return ticket


@transaction.atomic
def ticket_resolve(*, actor: User | None, ticket_id: int, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    if ticket.status.kind in DONE_KINDS:
        raise Conflict(_("The ticket is already resolved."))
    status_set(ticket=ticket, actor=actor, status=status_default(StatusKind.RESOLVED), now=now)
    return ticket


@transaction.atomic
def ticket_close(*, actor: User | None, ticket_id: int, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "close", ticket)
    if ticket.status.kind == StatusKind.CLOSED:
        raise Conflict(_("The ticket is already closed."))
    status_set(ticket=ticket, actor=actor, status=status_default(StatusKind.CLOSED), now=now)
    return ticket


@transaction.atomic
def ticket_reopen(*, actor: User | None, ticket_id: int, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "reopen", ticket)
    if ticket.status.kind not in DONE_KINDS:
        raise Conflict(_("Only a resolved or closed ticket can be reopened."))
    if ticket.merged_into_id is not None:
        raise Conflict(_("This ticket was merged into another one."))
    status_set(ticket=ticket, actor=actor, status=status_default(StatusKind.OPEN), now=now)
    return ticket


def _ensure_agent(user: User) -> None:
    if not user.is_active or not (user.can_write or user.is_superuser):
        message = _("Tickets can only be assigned to active agents.")
        raise InvalidInput(message, errors={"assignee": message})


@transaction.atomic
def ticket_assign(*, actor: User | None, ticket_id: int, assignee: User | None, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "assign", ticket)
    if assignee is not None:
        _ensure_agent(assignee)
    old = ticket.assignee_id
    if old == (assignee.pk if assignee else None):
        return ticket
    ticket.assignee = assignee
    ticket_touch(ticket, now, "assignee")
    event_record(ticket=ticket, actor=actor, kind=EventKind.ASSIGNED, at=now,
                 data={"from": old, "to": assignee.pk if assignee else None})
    return ticket


@transaction.atomic
def ticket_change_team(*, actor: User | None, ticket_id: int, team: Team | None, now: datetime) -> Ticket:
    """Hand a ticket to another line or department; an assignee outside the new team lets go."""
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    old = ticket.team_id
    if old == (team.pk if team else None):
        return ticket
    ticket.team = team
    changed = ["team"]
    old_assignee = ticket.assignee_id
    if team is not None and old_assignee is not None and not team.members.filter(pk=old_assignee).exists():
        ticket.assignee = None
        changed.append("assignee")
    ticket_touch(ticket, now, *changed)
    event_record(ticket=ticket, actor=actor, kind=EventKind.TEAM_CHANGED, at=now,
                 data={"from": old, "to": team.pk if team else None})
    if "assignee" in changed:
        event_record(ticket=ticket, actor=actor, kind=EventKind.ASSIGNED, at=now,
                     data={"from": old_assignee, "to": None, "reason": "team_changed"})
    return ticket


@transaction.atomic
def ticket_change_category(
    *, actor: User | None, ticket_id: int, category: Category | None, now: datetime
) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    old = ticket.category_id
    if old == (category.pk if category else None):
        return ticket
    ticket.category = category
    ticket_touch(ticket, now, "category")
    event_record(ticket=ticket, actor=actor, kind=EventKind.CATEGORY_CHANGED, at=now,
                 data={"from": old, "to": category.pk if category else None})
    return ticket


@transaction.atomic
def ticket_change_priority(*, actor: User | None, ticket_id: int, priority: Priority, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    old = ticket.priority
    if old.pk == priority.pk:
        return ticket
    ticket.priority = priority
    ticket_touch(ticket, now, "priority")
    event_record(ticket=ticket, actor=actor, kind=EventKind.PRIORITY_CHANGED, at=now,
                 data={"from": old.code, "to": priority.code})
    return ticket


@transaction.atomic
def ticket_change_subject(*, actor: User | None, ticket_id: int, subject: str, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    subject = " ".join(subject.split())[:500]
    if not subject:
        raise InvalidInput(_("A subject is required."))
    old = ticket.subject
    if old == subject:
        return ticket
    ticket.subject = subject
    ticket_touch(ticket, now, "subject")
    event_record(ticket=ticket, actor=actor, kind=EventKind.SUBJECT_CHANGED, at=now,
                 data={"from": old, "to": subject})
    return ticket


@transaction.atomic
def ticket_change_request_type(
    *, actor: User | None, ticket_id: int, request_type: RequestType | None, fields: dict[str, Any] | None = None,
    now: datetime,
) -> Ticket:
    """A new request type brings its own fields; values of fields it does not have are dropped (and logged)."""
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    old = ticket.request_type
    if (old.pk if old else None) == (request_type.pk if request_type else None) and fields is None:
        return ticket
    cleaned = clean_fields(request_type, fields or {})
    old_fields = ticket.fields
    ticket.request_type = request_type
    ticket.fields = cleaned
    ticket_touch(ticket, now, "request_type", "fields")
    event_record(ticket=ticket, actor=actor, kind=EventKind.REQUEST_TYPE_CHANGED, at=now,
                 data={"from": old.code if old else None, "to": request_type.code if request_type else None,
                       "fields_before": old_fields, "fields_after": cleaned})
    return ticket


@transaction.atomic
def ticket_set_fields(*, actor: User | None, ticket_id: int, values: dict[str, Any], now: datetime) -> Ticket:
    """Change some custom field values; fields not named keep their values."""
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "change", ticket)
    access.ensure_may_set_fields(actor, ticket.request_type_id, values.keys())
    merged = {**ticket.fields, **values}
    merged = {code: value for code, value in merged.items() if value not in (None, "", [])}
    cleaned = clean_fields(ticket.request_type, merged, previous=ticket.fields)
    changes = {
        code: {"from": ticket.fields.get(code), "to": cleaned.get(code)}
        for code in set(ticket.fields) | set(cleaned)
        if ticket.fields.get(code) != cleaned.get(code)
    }
    if not changes:
        return ticket
    ticket.fields = cleaned
    ticket_touch(ticket, now, "fields")
    event_record(ticket=ticket, actor=actor, kind=EventKind.FIELDS_CHANGED, at=now, data={"changes": changes})
    return ticket


# ---------------------------------------------------------------- links, merging, rating


def _lock_pair(first_id: int, second_id: int) -> tuple[Ticket, Ticket]:
    # Always lock in id order, so two opposite merges cannot deadlock.
    locked = {ticket.pk: ticket for ticket in
              Ticket.objects.select_for_update().filter(pk__in=sorted({first_id, second_id})).order_by("pk")}
    if first_id not in locked or second_id not in locked:
        raise NotFound()
    return locked[first_id], locked[second_id]


@transaction.atomic
def ticket_link(
    *, actor: User | None, ticket_id: int, other_id: int, kind: str, now: datetime
) -> TicketLink:
    if kind not in LinkKind.values:
        raise InvalidInput(_("Unknown link kind."))
    if ticket_id == other_id:
        raise InvalidInput(_("A ticket cannot be linked to itself."))
    ticket, other = _lock_pair(ticket_id, other_id)
    access.ensure_can(actor, "link", ticket)
    access.ensure_can(actor, "link", other)
    link, created = TicketLink.objects.get_or_create(
        from_ticket=ticket, to_ticket=other, kind=kind, defaults={"created_at": now, "created_by": actor}
    )
    if created:
        ticket_touch(ticket, now)
        event_record(ticket=ticket, actor=actor, kind=EventKind.LINKED, at=now,
                     data={"kind": kind, "ticket": other.number, "direction": "out"})
        event_record(ticket=other, actor=actor, kind=EventKind.LINKED, at=now,
                     data={"kind": kind, "ticket": ticket.number, "direction": "in"})
    return link


@transaction.atomic
def ticket_merge(*, actor: User | None, source_id: int, target_id: int, now: datetime) -> Ticket:
    """Move the source's conversation into the target and close the source, pointing at the target."""
    if source_id == target_id:
        raise InvalidInput(_("A ticket cannot be merged into itself."))
    source, target = _lock_pair(source_id, target_id)
    access.ensure_can(actor, "merge", source)
    access.ensure_can(actor, "merge", target)
    if source.merged_into_id is not None:
        raise Conflict(_("This ticket was already merged."))
    if target.merged_into_id is not None:
        raise Conflict(_("The target ticket was itself merged into another one."))
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    new_watchers = [source.requester_id, *source.watchers.values_list("pk", flat=True)]
    new_watchers = [pk for pk in new_watchers if pk != target.requester_id]
    if new_watchers:
        target.watchers.add(*new_watchers)
    source.merged_into = target
    ticket_touch(source, now, "merged_into")
    if source.status.kind != StatusKind.CLOSED:
        status_set(ticket=source, actor=actor, status=status_default(StatusKind.CLOSED), now=now)
    ticket_touch(target, now)
    event_record(ticket=source, actor=actor, kind=EventKind.MERGED, at=now,
                 data={"into": target.number, "messages": moved})
    event_record(ticket=target, actor=actor, kind=EventKind.MERGED_IN, at=now,
                 data={"from": source.number, "messages": moved})
    return target


@transaction.atomic
def ticket_rate(*, actor: User, ticket_id: int, score: int, comment: str = "", now: datetime) -> TicketRating:
    """The requester rates the answer once per resolution; a later reopen and resolve allows a new rating."""
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "rate", ticket)
    # The rules of selectors.may_rate, each with its own answer.
    if not selectors.is_rater(actor, ticket):
        raise PermissionDenied(_("Only the requester can rate the answer."))
    if ticket.status.kind not in DONE_KINDS or ticket.resolved_at is None:
        raise Conflict(_("A ticket can be rated once it is resolved."))
    if not 1 <= int(score) <= 5:
        raise InvalidInput(_("The score is from 1 to 5."), errors={"score": _("Choose 1 to 5.")})
    if selectors.rating_current(ticket) is not None:
        raise Conflict(_("This answer has already been rated."))
    rating = TicketRating.objects.create(
        ticket=ticket, rated_by=actor, score=int(score), comment=comment.strip()[:5000],
        resolved_at=ticket.resolved_at, created_at=now,
    )
    ticket_touch(ticket, now)
    event_record(ticket=ticket, actor=actor, kind=EventKind.RATED, at=now,
                 data={"score": rating.score, "has_comment": bool(rating.comment)})
    return rating
