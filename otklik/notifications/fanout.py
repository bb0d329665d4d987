"""Who hears about a committed TicketEvent, and under which topic.

One function per event kind, each returning plain (recipient, topic) choices; delivery (preferences,
channels, templates, the internal-note guard) happens in services.notices_deliver for every producer.
A batch of events reads what its functions ask about (watchers, messages, people, staff replies) in one
query each (`_Facts`), however many events it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

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


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _may_come_with_reply(event: TicketEvent) -> bool:
    return event.kind == EventKind.STATUS_CHANGED and event.data.get("to_kind") in {StatusKind.NEW, StatusKind.OPEN}


@dataclass
class _Facts:
    """What the functions below ask the database about a batch of events, read once for the batch."""

    watchers: dict[int, list[User]] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    people: dict[int, User] = field(default_factory=dict)
    # (ticket, actor, instant) of public staff replies, for status changes recorded with one.
    staff_replies: set[tuple[int, int | None, datetime]] = field(default_factory=set)
    # (watcher, ticket) where the watcher handles the ticket (`access.handles`), for notes.
    handled: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def read(cls, pairs: list[tuple[TicketEvent, Ticket]]) -> _Facts:
        facts = cls()
        wanted = [(event, ticket) for event, ticket in pairs if event.kind in HANDLERS]
        if not wanted:
            return facts
        tickets = {ticket.pk: ticket for _event, ticket in wanted}
        through = Ticket.watchers.through
        facts.watchers = {pk: [] for pk in tickets}
        rows = (through.objects.filter(ticket_id__in=tickets, user__is_active=True)
                .select_related("user").order_by("user_id"))
        for row in rows:
            facts.watchers[row.ticket_id].append(row.user)
        message_ids = {message_id for event, _ticket in wanted
                       if event.kind in {EventKind.REPLIED, EventKind.NOTE_ADDED}
                       and (message_id := _int(event.data.get("message"))) is not None}
        if message_ids:
            facts.messages = {message.pk: message for message in Message.objects.filter(pk__in=message_ids)}
            for message in facts.messages.values():
                if message.ticket_id in tickets:
                    message.ticket = tickets[message.ticket_id]  # the internal-note guard asks about it
        person_ids: set[int | None] = set()
        for event, _ticket in wanted:
            if event.kind == EventKind.ASSIGNED:
                person_ids |= {_int(event.data.get("to")), _int(event.data.get("from"))}
            elif event.kind == EventKind.SLA_BREACHED:
                person_ids.add(_int(event.data.get("responsible_user_id")))
        person_ids.discard(None)
        if person_ids:
            facts.people = User.objects.in_bulk(person_ids)
        with_reply = [event for event, _ticket in wanted if _may_come_with_reply(event)]
        if with_reply:
            facts.staff_replies = set(TicketEvent.objects.filter(
                ticket_id__in={event.ticket_id for event in with_reply}, kind=EventKind.REPLIED,
                created_at__in={event.created_at for event in with_reply}, data__by="staff",
            ).values_list("ticket_id", "actor_id", "created_at"))
        facts.handled = _watchers_handling(facts, [ticket for event, ticket in wanted
                                                   if event.kind == EventKind.NOTE_ADDED])
        return facts


def _watchers_handling(facts: _Facts, tickets: list[Ticket]) -> set[tuple[int, int]]:
    """Which watchers of these tickets handle them: `access.handled_ticket_ids`, one query per person."""
    asked: dict[int, tuple[User, set[int]]] = {}
    for ticket in tickets:
        for watcher in facts.watchers[ticket.pk]:
            asked.setdefault(watcher.pk, (watcher, set()))[1].add(ticket.pk)
    return {(watcher.pk, ticket_id) for watcher, ticket_ids in asked.values()
            for ticket_id in access.handled_ticket_ids(watcher, ticket_ids)}


def _message(event: TicketEvent, facts: _Facts) -> Message | None:
    message = facts.messages.get(_int(event.data.get("message")) or 0)
    return message if message is not None and message.ticket_id == event.ticket_id else None


def _created(event: TicketEvent, ticket: Ticket, facts: _Facts, out: _Builder) -> Message | None:
    # The requester hears "received" even for their own action: it is the acknowledgement.
    out.actor_id = None
    out.add(ticket.requester, topics.REQUESTER_RECEIVED)
    out.actor_id = event.actor_id
    out.add_watchers(facts.watchers[ticket.pk])
    return None


def _replied(event: TicketEvent, ticket: Ticket, facts: _Facts, out: _Builder) -> Message | None:
    message = _message(event, facts)
    if message is None or message.is_internal:
        return None
    if event.data.get("by") == "staff":
        out.add(ticket.requester, topics.REQUESTER_REPLIED)
    else:
        out.add(ticket.assignee, topics.ASSIGNEE_REQUESTER_REPLIED, staff_only=True)
    out.add_watchers(facts.watchers[ticket.pk])
    return message


def _note_added(event: TicketEvent, ticket: Ticket, facts: _Facts, out: _Builder) -> Message | None:
    message = _message(event, facts)
    if message is None:
        return None
    # Notes are for staff: the requester and requester-watchers are never candidates.
    out.seen.add(ticket.requester_id)
    out.add(ticket.assignee, topics.STAFF_NOTE_ADDED, staff_only=True)
    for watcher in facts.watchers[ticket.pk]:
        # A note is news only for staff who handle this ticket, not for every staff member who watches it.
        if (watcher.pk, ticket.pk) in facts.handled:
            out.add(watcher, topics.STAFF_NOTE_ADDED, staff_only=True)
    return message


def _came_with_reply(event: TicketEvent, facts: _Facts) -> bool:
    """A status change recorded with a public staff reply at the same instant (e.g. new -> open)."""
    return (event.ticket_id, event.actor_id, event.created_at) in facts.staff_replies


def _status_changed(event: TicketEvent, ticket: Ticket, facts: _Facts, out: _Builder) -> Message | None:
    to_kind = event.data.get("to_kind")
    if to_kind == StatusKind.WAITING_CUSTOMER:
        topic = topics.REQUESTER_NEEDS_CLARIFICATION
    elif to_kind == StatusKind.RESOLVED:
        topic = topics.REQUESTER_RESOLVED
    else:
        topic = topics.REQUESTER_STATUS_CHANGED
    if _may_come_with_reply(event) and _came_with_reply(event, facts):
        return None  # the reply's own notice says it all
    out.add(ticket.requester, topic)
    out.add_watchers(facts.watchers[ticket.pk])
    return None


def _assigned(event: TicketEvent, ticket: Ticket, facts: _Facts, out: _Builder) -> Message | None:
    new_id, old_id = _int(event.data.get("to")), _int(event.data.get("from"))
    if new_id is not None:
        out.add(facts.people.get(new_id), topics.ASSIGNEE_ASSIGNED, staff_only=True)
    if old_id is not None and old_id != new_id:
        out.add(facts.people.get(old_id), topics.PREVIOUS_ASSIGNEE_REASSIGNED, staff_only=True)
    return None


def _lead(ticket: Ticket) -> User | None:
    return ticket.team.lead if ticket.team is not None else None


def _sla_warning(event: TicketEvent, ticket: Ticket, facts: _Facts, out: _Builder) -> Message | None:
    out.add(ticket.assignee or _lead(ticket), topics.SLA_WARNING, staff_only=True)
    return None


def _sla_breached(event: TicketEvent, ticket: Ticket, facts: _Facts, out: _Builder) -> Message | None:
    out.add(ticket.assignee, topics.SLA_BREACHED, staff_only=True)
    out.add(_lead(ticket), topics.LEAD_SLA_BREACHED, staff_only=True)
    # The SLA policy may name a person answerable for its breaches.
    responsible = facts.people.get(_int(event.data.get("responsible_user_id")) or 0)
    if responsible is not None and responsible.is_active:
        out.add(responsible, topics.LEAD_SLA_BREACHED, staff_only=True)
    return None


_Handler = Callable[[TicketEvent, Ticket, _Facts, _Builder], Message | None]
HANDLERS: dict[str, _Handler] = {
    EventKind.CREATED: _created,
    EventKind.REPLIED: _replied,
    EventKind.NOTE_ADDED: _note_added,
    EventKind.STATUS_CHANGED: _status_changed,
    EventKind.ASSIGNED: _assigned,
    EventKind.SLA_WARNING: _sla_warning,
    EventKind.SLA_BREACHED: _sla_breached,
}


def notices_for_events(pairs: Iterable[tuple[TicketEvent, Ticket]]) -> dict[int, EventNotices]:
    """The notices of each event (by event id), with one read per kind of fact for the whole batch."""
    pairs = list(pairs)
    facts = _Facts.read(pairs)
    answers = {}
    for event, ticket in pairs:
        handler = HANDLERS.get(event.kind)
        if handler is None:
            answers[event.pk] = EventNotices(recipients=[])
            continue
        builder = _Builder(event)
        message = handler(event, ticket, facts, builder)
        answers[event.pk] = EventNotices(recipients=builder.items, message=message)
    return answers


def notices_for_event(event: TicketEvent, ticket: Ticket) -> EventNotices:
    return notices_for_events([(event, ticket)])[event.pk]
