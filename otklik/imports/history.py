"""The history of an imported ticket, rebuilt from its rows on every run.

A source rarely keeps a full change log, so the history says what the rows prove: created, each reply or
note at its original time, the assignee, and one status change to the status it has now (at its
resolution or closing time, else at its last imported message). Every event carries
data["imported"] = {"source": ..., "run": ...}: the notification, trigger and bot outboxes skip such
events, and a re-run replaces exactly these events (events recorded in Otklik after the import stay).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from otklik.demodata.bulk import insert_rows
from otklik.tickets.models import EventKind, Message, Status, StatusKind, Ticket, TicketEvent

IMPORTED_RAW_REF = "import:"


@dataclass
class Rebuilt:
    # the tickets whose first_response_at changed (the writer sets it from the records, so usually none)
    changed: list[Ticket] = field(default_factory=list)
    # the events written for the tickets given in memory, in their stored order
    events: dict[int, list[TicketEvent]] = field(default_factory=dict)


def raw_ref(namespace: str) -> str:
    return f"{IMPORTED_RAW_REF}{namespace}"[:200]


def history_rebuild(
    *,
    ticket_ids: list[int],
    existing_ids: set[int],
    namespace: str,
    run_id: int,
    new_status: Status,
    staff: set[int],
    known: dict[int, tuple[Ticket, list[Message]]] | None = None,
) -> Rebuilt:
    """Replace the imported events of these tickets.

    `known`: tickets new in this batch, held in memory with every message they have (their status and
    priority set as objects): they are not read back, and their events are returned for the report rows."""
    rebuilt = Rebuilt()
    if not ticket_ids:
        return rebuilt
    known = known or {}
    # Only tickets from an earlier batch or run have imported events to replace (new ones have none).
    if existing_ids:
        TicketEvent.objects.filter(ticket_id__in=sorted(existing_ids), data__has_key="imported").delete()
    messages: dict[int, list[Message]] = defaultdict(list)
    tickets: list[Ticket] = []
    for pk, (ticket, ticket_messages) in known.items():
        tickets.append(ticket)
        # The order the query below reads them in.
        messages[pk] = sorted(ticket_messages, key=lambda message: (message.created_at, message.pk))
    read_ids = [pk for pk in ticket_ids if pk not in known]
    if read_ids:
        tickets += Ticket.objects.filter(pk__in=read_ids).select_related("status", "priority")
        rows = (
            Message.objects.filter(ticket_id__in=read_ids, raw_ref__startswith=IMPORTED_RAW_REF)
            .order_by("ticket_id", "created_at", "id")
            .only("pk", "ticket_id", "author_id", "is_internal", "channel", "created_at")
        )
        for message in rows:
            messages[message.ticket_id].append(message)
    attachments = _attachment_counts(ticket_ids)
    marker = {"source": namespace, "run": run_id}
    events: list[TicketEvent] = []
    for ticket in tickets:
        stored = ticket.first_response_at
        ticket_events = _ticket_events(ticket, messages[ticket.pk], new_status, staff, attachments, marker)
        events.extend(ticket_events)
        if ticket.pk in known:
            rebuilt.events[ticket.pk] = ticket_events
        if ticket.first_response_at != stored:
            rebuilt.changed.append(ticket)
    insert_rows(TicketEvent, events)  # ids in list order: a ticket's events by (created_at, id) as sorted
    return rebuilt


def _attachment_counts(ticket_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    from otklik.tickets.models import Attachment

    rows = (
        Attachment.objects.filter(ticket_id__in=ticket_ids, message__isnull=False)
        .values("message_id")
        .annotate(n=Count("id"))
        .values_list("message_id", "n")
    )
    return dict(rows)


def _event(
    ticket: Ticket, actor: int | None, kind: str, at: datetime, data: dict[str, Any], marker: dict[str, Any]
) -> TicketEvent:
    return TicketEvent(ticket_id=ticket.pk, actor_id=actor, kind=kind, created_at=at, data={**data, "imported": marker})


def _ticket_events(
    ticket: Ticket,
    messages: list[Message],
    new_status: Status,
    staff: set[int],
    attachments: dict[int, int],
    marker: dict[str, Any],
) -> list[TicketEvent]:
    first = messages[0] if messages else None
    events = [
        _event(
            ticket,
            ticket.requester_id,
            EventKind.CREATED,
            ticket.created_at,
            {
                "source": ticket.source,
                "status": new_status.code,
                "priority": ticket.priority.code,
                "request_type": None,
                "category": ticket.category_id,
                "team": ticket.team_id,
                "message": first.pk if first else None,
                "on_behalf": False,
            },
            marker,
        )
    ]
    first_response: datetime | None = None
    last = ticket.created_at
    for message in messages[1:]:
        last = max(last, message.created_at)
        if message.is_internal:
            events.append(
                _event(
                    ticket, message.author_id, EventKind.NOTE_ADDED, message.created_at, {"message": message.pk}, marker
                )
            )
            continue
        by_staff = message.author_id in staff
        is_first = by_staff and first_response is None
        if is_first:
            first_response = message.created_at
        events.append(
            _event(
                ticket,
                message.author_id,
                EventKind.REPLIED,
                message.created_at,
                {
                    "message": message.pk,
                    "by": "staff" if by_staff else "requester",
                    "channel": message.channel,
                    "attachments": attachments.get(message.pk, 0),
                    "first_response": is_first,
                },
                marker,
            )
        )
    if ticket.assignee_id is not None:
        events.append(
            _event(
                ticket, None, EventKind.ASSIGNED, ticket.created_at, {"from": None, "to": ticket.assignee_id}, marker
            )
        )
    status = ticket.status
    if status.pk != new_status.pk:
        at = ticket.closed_at or ticket.resolved_at if status.kind in (StatusKind.RESOLVED, StatusKind.CLOSED) else None
        at = max(at or last, ticket.created_at)
        events.append(
            _event(
                ticket,
                ticket.assignee_id,
                EventKind.STATUS_CHANGED,
                at,
                {
                    "from": new_status.code,
                    "to": status.code,
                    "from_kind": new_status.kind,
                    "to_kind": status.kind,
                },
                marker,
            )
        )
        if status.kind == StatusKind.RESOLVED:
            events.append(_event(ticket, ticket.assignee_id, EventKind.RESOLVED, at, {}, marker))
        elif status.kind == StatusKind.CLOSED:
            events.append(_event(ticket, ticket.assignee_id, EventKind.CLOSED, at, {}, marker))
    ticket.first_response_at = first_response
    events.sort(key=lambda event: event.created_at)
    return events
