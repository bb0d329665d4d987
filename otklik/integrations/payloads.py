"""What a webhook receiver gets for a ticket event, filtered by the subscription's scope.

A public subscription sees what the ticket's requester could see: no internal notes (their events are
not even sent), no staff-only custom fields, in the ticket or in change events.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from otklik.accounts.access import internal_field_codes
from otklik.accounts.models import User
from otklik.integrations.models import SubscriptionScope, WebhookDelivery
from otklik.tickets.models import EventKind, Message, Ticket, TicketEvent

PAYLOAD_VERSION = 1


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.get_full_name() or user.email}


def _without(values: Any, hidden: set[str]) -> Any:
    if not isinstance(values, dict):
        return values
    return {code: value for code, value in values.items() if code not in hidden}


def _event_data(event: TicketEvent, hidden: set[str]) -> dict[str, Any]:
    data = dict(event.data)
    if event.kind == EventKind.FIELDS_CHANGED:
        data["changes"] = _without(data.get("changes", {}), hidden)
    if event.kind == EventKind.REQUEST_TYPE_CHANGED:
        data["fields_before"] = _without(data.get("fields_before", {}), hidden)
        data["fields_after"] = _without(data.get("fields_after", {}), hidden)
    return data


def _message(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "is_internal": message.is_internal,
        "author": person(message.author),
        "channel": message.channel,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {"filename": item.filename, "content_type": item.content_type, "size": item.size}
            for item in message.attachments.all()
        ],
    }


def payload_build(delivery: WebhookDelivery) -> dict[str, Any]:
    """A ticket event's payload (a chat event's is written with its delivery, `chat_events.py`)."""
    assert delivery.event_id is not None
    event = TicketEvent.objects.select_related("actor").get(pk=delivery.event_id)
    ticket = Ticket.objects.select_related(
        "status",
        "priority",
        "requester",
        "organization",
        "assignee",
        "team",
        "category",
        "request_type",
    ).get(pk=event.ticket_id)
    staff = delivery.subscription.scope == SubscriptionScope.STAFF
    hidden: set[str] = set() if staff else set(internal_field_codes(ticket))
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "delivery": str(delivery.uuid),
        "scope": delivery.subscription.scope,
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "created_at": event.created_at.isoformat(),
            "actor": person(event.actor),
            "data": _event_data(event, hidden),
        },
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            # Where a person opens it (OTKLIK_BASE_URL + the ticket page; access is checked there).
            "url": settings.OTKLIK_BASE_URL + reverse("ticket", kwargs={"number": ticket.number}),
            "subject": ticket.subject,
            "status": {"code": ticket.status.code, "kind": ticket.status.kind},
            "priority": {"code": ticket.priority.code, "rank": ticket.priority.rank},
            "source": ticket.source,
            "requester": person(ticket.requester),
            "organization": (
                {"id": ticket.organization_id, "name": ticket.organization.name} if ticket.organization else None
            ),
            "assignee": person(ticket.assignee),
            "team": {"id": ticket.team_id, "name": ticket.team.name} if ticket.team else None,
            "category": {"id": ticket.category_id, "path": ticket.category.path} if ticket.category else None,
            "request_type": ticket.request_type.code if ticket.request_type else None,
            "fields": _without(ticket.fields, hidden),
            "created_at": ticket.created_at.isoformat(),
            "updated_at": ticket.updated_at.isoformat(),
            "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
            "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        },
        "message": None,
    }
    message_id = event.data.get("message") if isinstance(event.data, dict) else None
    if isinstance(message_id, int):
        message = Message.objects.select_related("author").prefetch_related("attachments").filter(pk=message_id).first()
        if message is not None and (staff or not message.is_internal):
            payload["message"] = _message(message)
    return payload
