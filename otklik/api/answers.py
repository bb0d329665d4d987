"""A new ticket's answer written out from the rows the service just wrote, without DRF's serializer walk.

`TicketSerializer` stays the answer's definition (the OpenAPI schema and every other answer come from it);
DRF builds its nine nested serializers' fields anew for every answer (deep copies of declared fields,
bound per instance), about a sixth of an API create's CPU (issue #16, creates round 5). This writes the
same keys in the same order with the same conversions (DRF's own `DateTimeField` for times, so the active
time zone and format apply); `tests/api/test_api_created_answer.py` holds it equal to the serializer's
output for requesters, staff, request types with internal fields and every optional reference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from otklik.accounts.access import person_email, person_label
from otklik.accounts.models import User
from otklik.api.serializers import ticket_field_values, ticket_tag_names
from otklik.tickets.models import Ticket

_TIME = serializers.DateTimeField()  # stateless in use: format and time zone are read on each call


def _time(value: datetime | None) -> str | None:
    return None if value is None else _TIME.to_representation(value)


def _person(viewer: User, person: User | None) -> dict[str, Any] | None:
    """`PersonSerializer`: requesters never see other people's email."""
    if person is None:
        return None
    return {"id": person.pk, "email": person_email(viewer, person), "name": person_label(viewer, person)}


def ticket_answer(viewer: User, ticket: Ticket, *, staff: bool) -> dict[str, Any]:
    """`TicketSerializer(ticket).data` for a ticket the viewer sees, `staff` saying whether they handle it.

    The ticket's related rows are read through its attributes as the serializer reads them (the caller
    loads the ones the service did not hold)."""
    status, priority = ticket.status, ticket.priority
    organization, team, category = ticket.organization, ticket.team, ticket.category
    request_type = ticket.request_type
    return {
        "id": ticket.pk,
        "number": int(ticket.number),
        "subject": str(ticket.subject),
        "status": {"code": str(status.code), "name": str(status.name), "kind": str(status.kind)},
        "priority": {
            "code": str(priority.code), "name": str(priority.name), "rank": int(priority.rank),
            "color": str(priority.color),
        },
        "source": str(ticket.source),
        "requester": _person(viewer, ticket.requester),
        "organization": None if organization is None else {"id": organization.pk, "name": str(organization.name)},
        "assignee": _person(viewer, ticket.assignee),
        "team": None if team is None else {"id": team.pk, "name": str(team.name)},
        "category": None if category is None else {
            "id": category.pk, "name": str(category.name), "path": str(category.path),
        },
        "request_type": None if request_type is None else {
            "id": request_type.pk, "code": str(request_type.code), "name": str(request_type.name),
        },
        "fields": ticket_field_values(ticket, staff=staff),
        "tags": ticket_tag_names(ticket, staff=staff),
        "merged_into": None if ticket.merged_into_id is None else ticket.merged_into.number,  # type: ignore[union-attr]
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
        "first_response_at": _time(ticket.first_response_at),
        "resolved_at": _time(ticket.resolved_at),
        "closed_at": _time(ticket.closed_at),
        "sla_next_due_at": _time(ticket.sla_next_due_at),
    }
