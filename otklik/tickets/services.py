"""Every change to a ticket. Each public function locks the row, checks permission, writes,
and records its TicketEvent in the same transaction. Nothing else writes ticket rows."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Required, TypedDict, Unpack

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import Team, User
from otklik.accounts.selectors import teams_all
from otklik.accounts.services import requester_for_email
from otklik.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from otklik.core.inserts import insert_row
from otklik.core.text import sanitize_html
from otklik.tickets import numbers, selectors
from otklik.tickets.fields import clean_fields
from otklik.tickets.inbound import InboundAttachment, InboundMessage
from otklik.tickets.models import (
    DONE_KINDS,
    Category,
    EventKind,
    LinkKind,
    Message,
    Priority,
    RequestType,
    Source,
    Status,
    StatusKind,
    Ticket,
    TicketEvent,
    TicketLink,
)
from otklik.tickets.replies import cc_addresses_clean, reply_sign
from otklik.tickets.signals import ticket_event_recorded
from otklik.tickets.uploads import attachments_check, attachments_store

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- helpers


def tickets_locked() -> QuerySet[Ticket]:
    """Ticket rows locked until the surrounding transaction ends: only the ticket row is locked, and its
    status comes along (every change reads it). A channel adapter that finds the ticket a message answers
    reads it through this, in the transaction that then ingests the message, and hands it to ingest."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("status")


def ticket_lock(ticket_id: int) -> Ticket:
    """The ticket row, locked until the surrounding transaction ends."""
    try:
        return tickets_locked().get(pk=ticket_id)
    except Ticket.DoesNotExist as exc:
        raise NotFound() from exc


_event_origin: ContextVar[dict[str, Any] | None] = ContextVar("ticket_event_origin", default=None)


@contextmanager
def events_via(origin: dict[str, Any]) -> Iterator[None]:
    """Events recorded inside carry `origin` as data["via"]: who acted when the actor is the system
    (e.g. {"tracker": 3, "name": "Redmine"}), so the history says which connection moved the ticket."""
    token = _event_origin.set(origin)
    try:
        yield
    finally:
        _event_origin.reset(token)


def event_record(
    *, ticket: Ticket, actor: User | None, kind: str, data: dict[str, Any] | None = None, at: datetime,
    message: Message | None = None,
) -> TicketEvent:
    """`message`: the message this event just wrote (data["message"]), handed to the receivers so that
    none of them reads back a row written a moment ago in this very transaction."""
    origin = _event_origin.get()
    if origin is not None:
        data = {**(data or {}), "via": origin}
    event = insert_row(TicketEvent(ticket=ticket, actor=actor, kind=kind, data=data or {}, created_at=at))
    ticket_event_recorded.send(sender=TicketEvent, event=event, ticket=ticket, message=message)
    return event


def event_record_bulk(events: Sequence[tuple[TicketEvent, Ticket]]) -> None:
    """`event_record` for a batch: one INSERT, then the same signal per event.

    For sweeps that announce many events at once (SLA breaches); the caller holds the tickets' locks."""
    TicketEvent.objects.bulk_create([event for event, _ticket in events])
    for event, ticket in events:
        ticket_event_recorded.send(sender=TicketEvent, event=event, ticket=ticket)


def happened_at_check(ticket: Ticket, actor: User | None, happened_at: datetime | None, now: datetime) -> datetime:
    """When a logged event really happened (SPEC 7.2): an earlier instant for a call or message
    logged afterwards, never before the ticket's creation nor in the future. Staff and imports only."""
    if happened_at is None:
        return now
    if actor is not None and not actor.is_staff_member:
        raise InvalidInput(_("Only support staff may log something as having happened earlier."),
                           errors={"happened_at": _("Only support staff may set this.")})
    if happened_at.tzinfo is None:
        raise InvalidInput(_("The time it happened needs a time zone."),
                           errors={"happened_at": _("Give a time zone, e.g. 2026-03-02T10:15:00+03:00.")})
    if happened_at > now:
        raise InvalidInput(_("The time it happened cannot be in the future."),
                           errors={"happened_at": _("This time is in the future.")})
    if happened_at < ticket.created_at:
        raise InvalidInput(_("The time it happened cannot be before the ticket was created."),
                           errors={"happened_at": _("This time is before the ticket was created.")})
    return happened_at


def _late(at: datetime, now: datetime) -> dict[str, Any]:
    """Marks an event logged after it happened, so its receivers replay rather than append."""
    return {"logged_at": now.isoformat()} if at < now else {}


def status_default(kind: str) -> Status:
    status = selectors.status_default(kind)
    if status is None:
        raise Conflict(_("No active status of kind %(kind)s is configured.") % {"kind": kind})
    return status


def priority_default() -> Priority:
    priority = selectors.priority_default()
    if priority is None:
        raise Conflict(_("No priority is configured."))
    return priority


def ticket_number_allocate() -> int:
    """The next ticket number; a sequence on PostgreSQL, so concurrent creates do not wait on each other."""
    return numbers.reserve()


def ticket_touch(ticket: Ticket, now: datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])


def request_type_ensure_may_submit(user: User, request_type: RequestType, *, actor: User | None = None) -> None:
    """The request type's submit rule (`selectors.submit_scope`), enforced the same in every channel.

    `user` is the requester; `actor`, when someone else files for them, is the staff member doing it."""
    if not request_type.is_active:
        raise InvalidInput(_("This request type is not available."))
    if not selectors.request_type_may_submit(user, request_type, actor=actor):
        raise PermissionDenied(_("You may not submit this type of request."))


# ---------------------------------------------------------------- creation


@dataclass(frozen=True)
class IngestResult:
    ticket: Ticket
    message: Message | None
    outcome: str  # "new_ticket", "reply" or "duplicate"


class TicketDetails(TypedDict, total=False):
    """What a channel may say about a new ticket besides who files it, for whom and when."""

    body_html: str
    request_type: RequestType | None
    category: Category | None
    priority: Priority | None
    fields: dict[str, Any] | None
    attachments: Sequence[InboundAttachment]
    external_id: str
    raw_ref: str
    mailbox: str


class TicketCreateOptions(TicketDetails, total=False):
    requester: Required[User]
    subject: Required[str]
    now: Required[datetime]
    body_text: str
    source: str


def ticket_create(*, actor: User | None, team: Team | None = None, watchers: Iterable[User] = (),
                  **options: Unpack[TicketCreateOptions]) -> Ticket:
    """A new ticket with its first message. The actor is the requester themselves or staff on their behalf.

    Routing to a team and copying people in are the support team's decisions, in every channel (portal,
    API, bot): a requester who names a team or watchers is refused. Adapters whose routing comes from
    the channel's own configuration (a mailbox's team, the Cc'd people of an email) go through
    `ticket_ingest`, which routes as configured."""
    watchers = list(watchers)
    chosen = [name for name, value in (("team", team), ("watchers", watchers)) if value]
    if chosen and actor is not None and not (actor.is_active and (actor.is_superuser or actor.can_write)):
        raise PermissionDenied(
            _("Only support staff may set: %(fields)s.") % {"fields": ", ".join(chosen)},
        )
    return _ticket_create(actor=actor, team=team, watchers=watchers, **options)


@transaction.atomic
def _ticket_create(*, actor: User | None, team: Team | None = None, watchers: Iterable[User] = (),
                   **options: Unpack[TicketCreateOptions]) -> Ticket:
    """`ticket_create` without the staff-only routing check, for routing set by a channel's configuration."""
    return _ticket_open(actor=actor, team=team, watchers=watchers, **options)[0]


def _ticket_open(
    *,
    actor: User | None,
    requester: User,
    subject: str,
    body_text: str = "",
    body_html: str = "",
    source: str = Source.WEB,
    request_type: RequestType | None = None,
    category: Category | None = None,
    priority: Priority | None = None,
    team: Team | None = None,
    fields: dict[str, Any] | None = None,
    attachments: Sequence[InboundAttachment] = (),
    external_id: str = "",
    raw_ref: str = "",
    watchers: Iterable[User] = (),
    mailbox: str = "",
    now: datetime,
) -> tuple[Ticket, Message]:
    """`_ticket_create`, also answering with the first message it wrote (so no caller reads it back).

    Runs in its caller's transaction (`_ticket_create` and `ticket_ingest` are atomic): no savepoint of its own."""
    access.ensure_may_submit(actor or requester)
    if actor is not None and actor.pk != requester.pk:
        access.ensure_staff_writer(actor)
        if not requester.is_active:
            raise InvalidInput(_("This account is disabled."), errors={"requester": _("Disabled account.")})
    subject = " ".join(subject.split())[:500]
    if not subject:
        raise InvalidInput(_("A subject is required."), errors={"subject": _("This field is required.")})
    if source not in Source.values:
        raise InvalidInput(_("Unknown source."))
    if request_type is not None:
        request_type_ensure_may_submit(requester, request_type, actor=actor)
    access.ensure_may_set_fields(actor or requester, request_type.pk if request_type else None, (fields or {}).keys())
    cleaned_fields = clean_fields(request_type, fields or {})
    attachments_check(attachments, actor or requester)
    # Criticality is the support team's call unless the request type lets requesters choose it.
    requester_may_choose = request_type is not None and request_type.requester_sets_priority
    if priority is not None and not requester_may_choose and actor is not None and actor.is_requester:
        priority = None
    ticket = insert_row(Ticket(
        number=ticket_number_allocate(),
        subject=subject,
        requester=requester,
        # The organization row itself when the caller already holds it (answers are built from this object).
        **({"organization": requester.organization} if User._meta.get_field("organization").is_cached(requester)
           else {"organization_id": requester.organization_id}),
        category=category or (request_type.category if request_type else None),
        request_type=request_type,
        priority=priority or (request_type.default_priority if request_type else None) or priority_default(),
        status=status_default(StatusKind.NEW),
        source=source,
        team=team or (request_type.team if request_type else None),
        fields=cleaned_fields,
        created_at=now,
        updated_at=now,
    ))
    message = insert_row(Message(
        ticket=ticket, author=requester, channel=source, body_text=body_text,
        body_html=sanitize_html(body_html), external_id=external_id[:998], raw_ref=raw_ref, created_at=now,
    ))
    attachments_store(ticket=ticket, message=message, files=attachments, uploader=actor or requester, now=now)
    watcher_list = [user for user in watchers if user.pk != requester.pk]
    if watcher_list:
        ticket.watchers.add(*watcher_list)
    event_record(
        ticket=ticket, actor=actor, kind=EventKind.CREATED, at=now,
        data={
            "source": source, "status": ticket.status.code, "priority": ticket.priority.code,
            "request_type": request_type.code if request_type else None,
            "category": ticket.category_id, "team": ticket.team_id, "message": message.pk,
            "on_behalf": actor is not None and actor.pk != requester.pk,
            **({"mailbox": mailbox.lower()} if mailbox else {}),
        },
        message=message,
    )
    return ticket, message


def ticket_create_on_behalf(
    *, actor: User, requester: User, subject: str, body_text: str, source: str = Source.PHONE, now: datetime,
    team: Team | None = None, watchers: Iterable[User] = (), **options: Unpack[TicketDetails],
) -> Ticket:
    """An agent types in a request that came by phone (or another channel) for a requester."""
    access.ensure_staff_writer(actor)
    return ticket_create(
        actor=actor, requester=requester, subject=subject, body_text=body_text, source=source, now=now, team=team,
        watchers=watchers, **options,
    )


def _thread_target(inbound: InboundMessage, locked: Ticket | None = None) -> Ticket | None:
    """The ticket the message answers, locked (the reply writes it; its status comes along), merges followed;
    `locked` (the caller's locked read of `inbound.ticket_id`) is not read again; a target gone is None."""
    target_id = inbound.ticket_id
    if target_id is None:
        references = [ref for ref in inbound.references if ref]
        if references:
            target_id = (
                Message.objects.filter(external_id__in=references).order_by("-created_at")
                .values_list("ticket_id", flat=True).first()
            )
    if target_id is None:
        return None
    target = locked if locked is not None and locked.pk == target_id else tickets_locked().filter(pk=target_id).first()
    while target is not None and target.merged_into_id is not None:
        target = ticket_lock(target.merged_into_id)
    return target


def ticket_ingest(
    *, inbound: InboundMessage, now: datetime, external_id_unused: bool = False, savepoint: bool = True,
    locked_target: Ticket | None = None,
) -> IngestResult:
    """Find-or-create: a duplicate changes nothing, a reply joins its ticket, anything else opens one.

    `external_id_unused`: the caller read, in this transaction, that no message of the channel carries
    `inbound.external_id` (the mail adapter asks while threading), so the duplicate check is not asked twice.
    `savepoint=False`: the caller's transaction is rolled back as a whole when ingest fails (the mail
    adapter's is), so no savepoint is opened; a caller that catches ingest's errors and goes on keeps the default.
    `locked_target`: the ticket `inbound.ticket_id` names, read by the caller through `tickets_locked()` in
    this transaction (the mail adapter's threading read): not locked twice."""
    with transaction.atomic(savepoint=savepoint):
        return _ingest(inbound=inbound, now=now, external_id_unused=external_id_unused, locked_target=locked_target)


def _ingest(
    *, inbound: InboundMessage, now: datetime, external_id_unused: bool, locked_target: Ticket | None = None
) -> IngestResult:
    if inbound.external_id and not external_id_unused:
        existing = Message.objects.filter(external_id=inbound.external_id[:998], channel=inbound.channel).first()
        if existing is not None:
            return IngestResult(ticket=existing.ticket, message=existing, outcome="duplicate")
    sender = requester_for_email(inbound.sender_email, name=inbound.sender_name)
    watchers = [
        requester_for_email(email) for email in inbound.watcher_emails if email.lower() != sender.email
    ]
    target = _thread_target(inbound, locked_target)
    replying = target is not None and target.status.kind != StatusKind.CLOSED
    if target is not None and replying:
        try:
            # The reply's own permission check, asked once, on the locked row: a ticket the sender may not
            # see (NotFound) gets a new ticket instead; one they see but may not answer is refused, as before.
            access.ensure_can(sender, "reply", target)
        except NotFound:
            replying = False
    if target is not None and replying:
        message = _reply_write(
            actor=sender, ticket=target, body_text=inbound.body_text, body_html=inbound.body_html,
            channel=inbound.channel, external_id=inbound.external_id, raw_ref=inbound.raw_ref,
            attachments=inbound.attachments, now=now,
        )
        for watcher in watchers:  # ticket_watch leaves someone already watching as they are
            target = ticket_watch(actor=None, ticket_id=target.pk, user_id=watcher.pk, now=now)
        # The locked row, as the reply (and any watcher added) left it: nothing to read back.
        return IngestResult(ticket=target, message=message, outcome="reply")
    # The team (a mailbox's) and the watchers (Cc'd people) come from the channel, not from the sender's choice.
    ticket, message = _ticket_open(
        actor=sender, requester=sender, subject=inbound.subject or _("(no subject)"),
        body_text=inbound.body_text, body_html=inbound.body_html, source=inbound.channel,
        **_ingest_routing(inbound), fields=inbound.fields, attachments=inbound.attachments,
        external_id=inbound.external_id, raw_ref=inbound.raw_ref, watchers=watchers, mailbox=inbound.mailbox, now=now,
    )
    if target is not None:
        # A reply to a closed ticket starts a follow-up that remembers where it came from.
        TicketLink.objects.create(
            from_ticket=ticket, to_ticket=target, kind=LinkKind.RELATED, created_at=now, created_by=None
        )
        event_record(ticket=ticket, actor=None, kind=EventKind.LINKED, at=now,
                     data={"kind": LinkKind.RELATED, "ticket": target.number, "follow_up": True})
    return IngestResult(ticket=ticket, message=message, outcome="new_ticket")


class _Routing(TypedDict):
    request_type: RequestType | None
    category: Category | None
    team: Team | None
    priority: Priority | None


def _ingest_routing(inbound: InboundMessage) -> _Routing:
    """The request type, category, team and priority a channel's configuration names, from the remembered
    configuration (`core.lookups`); a row not (yet) remembered there is read, so an unknown one is None as before."""
    routing: _Routing = {"request_type": None, "category": None, "team": None, "priority": None}
    configuration = selectors.configuration_by_id()
    if code := inbound.request_type_code:
        routing["request_type"] = (next((row for row in configuration["request_type"].values() if row.code == code),
                                        None) or RequestType.objects.filter(code=code).first())
    if category_id := inbound.category_id:
        routing["category"] = (configuration["category"].get(category_id)
                               or Category.objects.filter(pk=category_id).first())
    if team_id := inbound.team_id:
        routing["team"] = (next((team for team in teams_all() if team.pk == team_id), None)
                           or Team.objects.filter(pk=team_id).first())
    if priority_code := inbound.priority_code:
        routing["priority"] = (next((row for row in selectors.priorities_all() if row.code == priority_code), None)
                               or Priority.objects.filter(code=priority_code).first())
    return routing


# ---------------------------------------------------------------- conversation


def status_set(*, ticket: Ticket, actor: User | None, status: Status, now: datetime,
                logged_at: datetime | None = None) -> None:
    """`now` is when the change happened; `logged_at` when it was logged, if later (SPEC 7.2)."""
    late = _late(now, logged_at) if logged_at is not None else {}
    old = ticket.status
    if old.pk == status.pk:
        return
    ticket.status = status
    changed = ["status"]
    if status.kind == StatusKind.RESOLVED and ticket.resolved_at is None:
        ticket.resolved_at = now
        changed.append("resolved_at")
    if status.kind == StatusKind.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            changed.append("resolved_at")
    if old.kind in DONE_KINDS and status.kind not in DONE_KINDS:
        ticket.resolved_at = None
        ticket.closed_at = None
        changed += ["resolved_at", "closed_at"]
    ticket_touch(ticket, logged_at or now, *changed)
    event_record(
        ticket=ticket, actor=actor, kind=EventKind.STATUS_CHANGED, at=now,
        data={"from": old.code, "to": status.code, "from_kind": old.kind, "to_kind": status.kind, **late},
    )
    if status.kind == StatusKind.RESOLVED:
        event_record(ticket=ticket, actor=actor, kind=EventKind.RESOLVED, at=now, data={**late})
    elif status.kind == StatusKind.CLOSED:
        event_record(ticket=ticket, actor=actor, kind=EventKind.CLOSED, at=now, data={**late})
    elif old.kind in DONE_KINDS:
        event_record(ticket=ticket, actor=actor, kind=EventKind.REOPENED, at=now, data={"from": old.code, **late})


@transaction.atomic
def ticket_reply(
    *,
    actor: User | None,
    ticket_id: int,
    body_text: str,
    body_html: str = "",
    channel: str = Source.WEB,
    attachments: Sequence[InboundAttachment] = (),
    external_id: str = "",
    raw_ref: str = "",
    new_status: Status | None = None,
    happened_at: datetime | None = None,
    markdown: bool = False,
    cc: Sequence[str] = (),
    signed: bool = False,
    now: datetime,
) -> Message:
    """A public reply. Staff's first reply is the first response; a requester's answer wakes a waiting ticket.

    `markdown`: the text is Markdown (rendered and sanitised wherever it is shown). `cc`: more addresses
    the reply mail is copied to. `signed`: the author's signature (their profile) is appended.

    `happened_at`: when a call or message logged afterwards really happened (SPEC 7.2); the message
    and its events carry that instant and the SLA clocks replay their log with it."""
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "reply", ticket)
    return _reply_write(
        actor=actor, ticket=ticket, body_text=body_text, body_html=body_html, channel=channel,
        attachments=attachments, external_id=external_id, raw_ref=raw_ref, new_status=new_status,
        happened_at=happened_at, markdown=markdown, cc=cc, signed=signed, now=now,
    )


def _reply_write(
    *,
    actor: User | None,
    ticket: Ticket,
    body_text: str,
    body_html: str = "",
    channel: str = Source.WEB,
    attachments: Sequence[InboundAttachment] = (),
    external_id: str = "",
    raw_ref: str = "",
    new_status: Status | None = None,
    happened_at: datetime | None = None,
    markdown: bool = False,
    cc: Sequence[str] = (),
    signed: bool = False,
    now: datetime,
) -> Message:
    """`ticket_reply` after its lock and its permission check (`ticket_ingest` does both itself, once),
    in the caller's transaction."""
    logged_at = now
    now = happened_at_check(ticket, actor, happened_at, logged_at)
    if not body_text.strip() and not body_html.strip() and not attachments:
        raise InvalidInput(_("The reply is empty."))
    if ticket.status.kind == StatusKind.CLOSED and (actor is None or actor.is_requester):
        raise Conflict(_("This ticket is closed. Please open a new request."))
    attachments_check(attachments, actor)
    copied = cc_addresses_clean(cc)
    if signed and actor is not None:
        body_text = reply_sign(body_text, actor)
    message = Message.objects.create(
        ticket=ticket, author=actor, is_internal=False, channel=channel, body_text=body_text,
        body_html=sanitize_html(body_html), external_id=external_id[:998], raw_ref=raw_ref, created_at=now,
        markdown=markdown, cc=copied,
    )
    stored = attachments_store(ticket=ticket, message=message, files=attachments, uploader=actor, now=now)
    by_staff = actor is not None and actor.is_staff_member
    changed = []
    # a call logged late may have come before the reply that was recorded first
    if by_staff and (ticket.first_response_at is None or now < ticket.first_response_at):
        ticket.first_response_at = now
        changed.append("first_response_at")
    ticket_touch(ticket, logged_at, *changed)
    event_record(
        ticket=ticket, actor=actor, kind=EventKind.REPLIED, at=now,
        data={"message": message.pk, "by": "staff" if by_staff else "requester", "channel": channel,
              "attachments": len(stored), "first_response": "first_response_at" in changed, **_late(now, logged_at)},
        message=message,
    )
    if new_status is not None:
        access.ensure_can(actor, "change", ticket)
        status_set(ticket=ticket, actor=actor, status=new_status, now=now, logged_at=logged_at)
    elif not by_staff and ticket.status.kind in {StatusKind.WAITING_CUSTOMER, StatusKind.RESOLVED}:
        # The requester answered: the ball is back with support.
        status_set(ticket=ticket, actor=actor, status=status_default(StatusKind.OPEN), now=now, logged_at=logged_at)
    elif by_staff and ticket.status.kind == StatusKind.NEW:
        status_set(ticket=ticket, actor=actor, status=status_default(StatusKind.OPEN), now=now, logged_at=logged_at)
    return message


@transaction.atomic
def ticket_add_note(
    *, actor: User | None, ticket_id: int, body_text: str, body_html: str = "",
    attachments: Sequence[InboundAttachment] = (), now: datetime,
) -> Message:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "note", ticket)
    if not body_text.strip() and not body_html.strip() and not attachments:
        raise InvalidInput(_("The note is empty."))
    attachments_check(attachments, actor)
    message = Message.objects.create(
        ticket=ticket, author=actor, is_internal=True, channel=Source.WEB, body_text=body_text,
        body_html=sanitize_html(body_html), created_at=now,
    )
    attachments_store(ticket=ticket, message=message, files=attachments, uploader=actor, now=now)
    ticket_touch(ticket, now)
    event_record(ticket=ticket, actor=actor, kind=EventKind.NOTE_ADDED, at=now, data={"message": message.pk},
                 message=message)
    return message


# ---------------------------------------------------------------- people and relations


@transaction.atomic
def ticket_watch(*, actor: User | None, ticket_id: int, user_id: int, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    access.ensure_can(actor, "watch", ticket)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidInput(_("Unknown user."))
    if ticket.watchers.filter(pk=user.pk).exists():
        return ticket
    ticket.watchers.add(user)
    ticket_touch(ticket, now)
    event_record(ticket=ticket, actor=actor, kind=EventKind.WATCHER_ADDED, at=now, data={"user": user.pk})
    return ticket


@transaction.atomic
def ticket_unwatch(*, actor: User | None, ticket_id: int, user_id: int, now: datetime) -> Ticket:
    ticket = ticket_lock(ticket_id)
    if actor is not None and actor.pk == user_id:
        access.ensure_can(actor, "view", ticket)  # anyone may stop watching
    else:
        access.ensure_can(actor, "watch", ticket)
    if not ticket.watchers.filter(pk=user_id).exists():
        return ticket
    ticket.watchers.remove(user_id)
    ticket_touch(ticket, now)
    event_record(ticket=ticket, actor=actor, kind=EventKind.WATCHER_REMOVED, at=now, data={"user": user_id})
    return ticket
