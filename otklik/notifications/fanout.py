"""Who hears about a committed TicketEvent, and under which topic.

One function per event kind, each returning plain (recipient, topic) choices; delivery (preferences,
channels, templates, the internal-note guard) happens in services.notices_deliver for every producer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.notifications import topics
from otklik.tickets.models import EventKind, Message, StatusKind, Ticket, TicketEvent


@dataclass(frozen=True)
class Recipient:
    user: User
    topic: str


@dataclass(frozen=True)
class EventNotices:
    recipients: list[Recipient]
    # The public reply or note the event is about: quoted in the text when the recipient may read it.
    message: Message | None = None


class _Builder:
    """Collects recipients in role order; a person hears about one event once, under their first role,
    and never about their own action."""

    def __init__(self, event: TicketEvent) -> None:
        self.actor_id = event.actor_id
        self.items: list[Recipient] = []
        self.seen: set[int] = set()

    def add(self, user: User | None, topic: str, *, staff_only: bool = False) -> None:
        if user is None or user.pk in self.seen or user.pk == self.actor_id:
            return
        if staff_only and not (user.is_staff_member or user.is_superuser):
            return
        self.seen.add(user.pk)
        self.items.append(Recipient(user, topic))

    def add_watchers(self, watchers: list[User], *, staff_only: bool = False) -> None:
        for watcher in watchers:
            self.add(watcher, topics.WATCHER_UPDATE, staff_only=staff_only)


def _message(event: TicketEvent) -> Message | None:
    message_id = event.data.get("message")
    if not isinstance(message_id, int):
        return None
    return Message.objects.filter(pk=message_id, ticket_id=event.ticket_id).first()


def _created(event: TicketEvent, ticket: Ticket, watchers: list[User], out: _Builder) -> Message | None:
    # The requester hears "received" even for their own action: it is the acknowledgement.
    out.actor_id = None
    out.add(ticket.requester, topics.REQUESTER_RECEIVED)
    out.actor_id = event.actor_id
    out.add_watchers(watchers)
    return None


def _replied(event: TicketEvent, ticket: Ticket, watchers: list[User], out: _Builder) -> Message | None:
    message = _message(event)
    if message is None or message.is_internal:
        return None
    if event.data.get("by") == "staff":
        out.add(ticket.requester, topics.REQUESTER_REPLIED)
    else:
        out.add(ticket.assignee, topics.ASSIGNEE_REQUESTER_REPLIED, staff_only=True)
    out.add_watchers(watchers)
    return message


def _note_added(event: TicketEvent, ticket: Ticket, watchers: list[User], out: _Builder) -> Message | None:
    message = _message(event)
    if message is None:
        return None
    # Notes are for staff: the requester and requester-watchers are never candidates.
    out.seen.add(ticket.requester_id)
    out.add(ticket.assignee, topics.STAFF_NOTE_ADDED, staff_only=True)
    for watcher in watchers:
        # A note is news only for staff who handle this ticket, not for every staff member who watches it.
        if access.handles(watcher, ticket):
            out.add(watcher, topics.STAFF_NOTE_ADDED, staff_only=True)
    return message


def _came_with_reply(event: TicketEvent) -> bool:
    """A status change recorded with a public staff reply at the same instant (e.g. new -> open)."""
    return TicketEvent.objects.filter(
        ticket_id=event.ticket_id, kind=EventKind.REPLIED, actor_id=event.actor_id, created_at=event.created_at,
        data__by="staff",
    ).exists()


def _status_changed(event: TicketEvent, ticket: Ticket, watchers: list[User], out: _Builder) -> Message | None:
    to_kind = event.data.get("to_kind")
    if to_kind == StatusKind.WAITING_CUSTOMER:
        topic = topics.REQUESTER_NEEDS_CLARIFICATION
    elif to_kind == StatusKind.RESOLVED:
        topic = topics.REQUESTER_RESOLVED
    else:
        topic = topics.REQUESTER_STATUS_CHANGED
    if to_kind in {StatusKind.NEW, StatusKind.OPEN} and _came_with_reply(event):
        return None  # the reply's own notice says it all
    out.add(ticket.requester, topic)
    out.add_watchers(watchers)
    return None


def _assigned(event: TicketEvent, ticket: Ticket, watchers: list[User], out: _Builder) -> Message | None:
    new_id, old_id = event.data.get("to"), event.data.get("from")
    people = {user.pk: user for user in User.objects.filter(pk__in=[pk for pk in (new_id, old_id) if pk])}
    if isinstance(new_id, int):
        out.add(people.get(new_id), topics.ASSIGNEE_ASSIGNED, staff_only=True)
    if isinstance(old_id, int) and old_id != new_id:
        out.add(people.get(old_id), topics.PREVIOUS_ASSIGNEE_REASSIGNED, staff_only=True)
    return None


def _lead(ticket: Ticket) -> User | None:
    return ticket.team.lead if ticket.team is not None else None


def _sla_warning(event: TicketEvent, ticket: Ticket, watchers: list[User], out: _Builder) -> Message | None:
    out.add(ticket.assignee or _lead(ticket), topics.SLA_WARNING, staff_only=True)
    return None


def _sla_breached(event: TicketEvent, ticket: Ticket, watchers: list[User], out: _Builder) -> Message | None:
    out.add(ticket.assignee, topics.SLA_BREACHED, staff_only=True)
    out.add(_lead(ticket), topics.LEAD_SLA_BREACHED, staff_only=True)
    # The SLA policy may name a person answerable for its breaches.
    responsible_id = event.data.get("responsible_user_id")
    if isinstance(responsible_id, int):
        out.add(User.objects.filter(pk=responsible_id, is_active=True).first(), topics.LEAD_SLA_BREACHED,
                staff_only=True)
    return None


_Handler = Callable[[TicketEvent, Ticket, list[User], _Builder], Message | None]
HANDLERS: dict[str, _Handler] = {
    EventKind.CREATED: _created,
    EventKind.REPLIED: _replied,
    EventKind.NOTE_ADDED: _note_added,
    EventKind.STATUS_CHANGED: _status_changed,
    EventKind.ASSIGNED: _assigned,
    EventKind.SLA_WARNING: _sla_warning,
    EventKind.SLA_BREACHED: _sla_breached,
}


def notices_for_event(event: TicketEvent, ticket: Ticket) -> EventNotices:
    handler = HANDLERS.get(event.kind)
    if handler is None:
        return EventNotices(recipients=[])
    watchers = list(ticket.watchers.filter(is_active=True).order_by("pk"))
    builder = _Builder(event)
    message = handler(event, ticket, watchers, builder)
    return EventNotices(recipients=builder.items, message=message)
