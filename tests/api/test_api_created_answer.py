"""A new ticket's answer is written out from the rows just written (`otklik.api.answers`), and it must stay
what `TicketSerializer` says: the same keys, order and values as the serializer, and as reading the ticket
back (GET), for requesters and staff, with and without request types, internal fields and references."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIRequestFactory

from otklik.api import serializers as s
from otklik.api.answers import ticket_answer
from otklik.testing import factories
from otklik.tickets.models import CustomField, FieldKind, Ticket
from otklik.tickets.tags import ticket_change_tags


@pytest.fixture
def laptop_request(people):
    category = factories.category("Hardware")
    request_type = factories.request_type("laptop", name_ru="Ноутбук", team=people.second_line, category=category,
                                          requester_sets_priority=True)
    CustomField.objects.create(request_type=request_type, code="model", label="Model", kind=FieldKind.TEXT, order=1)
    CustomField.objects.create(request_type=request_type, code="cost_centre", label="Cost centre",
                               kind=FieldKind.TEXT, internal_only=True, order=2)
    return request_type


def _text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "requester, nothing optional": ("alice", {"subject": "Printer jam", "body_text": "Floor 3"}),
    "requester, request type with fields and priority": ("alice", {
        "subject": "New laptop", "body_text": "Mine broke.", "request_type": "laptop",
        "fields": {"model": "X1"}, "priority": "high",
    }),
    "admin on behalf, team, internal field": ("adam", {
        "subject": "Called in", "body_text": "By phone", "requester": "bob", "source": "phone",
        "request_type": "laptop", "fields": {"model": "X1", "cost_centre": "CC-7"}, "team": "first_line",
    }),
    "agent on behalf of someone without an organization": ("fiona", {
        "subject": "Walk-in", "body_text": "At the desk", "requester": "solo", "team": "first_line",
    }),
}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_created_answer_is_what_reading_the_ticket_back_answers(people, client_for, laptop_request, case,
                                                                     language):
    solo = factories.user(email="solo@nowhere.example", first_name="Solo")
    viewer_name, payload = CASES[case]
    viewer = getattr(people, viewer_name)
    references = {"bob": people.bob.pk, "solo": solo.pk, "first_line": people.first_line.pk}
    payload = {key: references.get(value, value) if isinstance(value, str) else value
               for key, value in payload.items()}
    client = client_for(viewer)

    created = client.post("/api/v1/tickets/", payload, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert created.status_code == 201, created.json()
    read = client.get(f"/api/v1/tickets/{created.json()['number']}/", HTTP_ACCEPT_LANGUAGE=language)

    assert read.status_code == 200
    assert created.content.decode() == read.content.decode()


@pytest.mark.parametrize("staff", [False, True])
def test_the_answer_equals_the_serializer_for_every_reference_set(people, laptop_request, staff):
    now = timezone.now()
    ticket = factories.ticket(requester=people.alice, actor=people.fiona, request_type=laptop_request,
                              fields={"model": "X1", "cost_centre": "CC-7"}, team=people.first_line, now=now)
    other = factories.ticket(requester=people.alice, now=now)
    Ticket.objects.filter(pk=ticket.pk).update(
        assignee=people.fiona, merged_into=other, first_response_at=now + timedelta(minutes=1),
        resolved_at=now + timedelta(hours=2), closed_at=now + timedelta(hours=3),
        sla_next_due_at=now + timedelta(days=1, microseconds=7),
    )
    ticket_change_tags(actor=people.adam, ticket_id=ticket.pk, add=["vip", "printer"], now=now)
    ticket = Ticket.objects.select_related(
        "status", "priority", "requester", "assignee", "organization", "team", "category", "request_type",
        "merged_into",
    ).get(pk=ticket.pk)
    viewer = people.fiona if staff else people.alice
    request = APIRequestFactory().get("/")
    request.user = viewer

    for language, zone in (("en", "UTC"), ("ru", "Europe/Moscow")):
        with translation.override(language), timezone.override(zone):
            expected = s.TicketSerializer(
                ticket, context={"request": request, "staff_ticket_ids": {ticket.pk} if staff else set()}
            ).data
            assert _text(ticket_answer(viewer, ticket, staff=staff)) == _text(expected)
    assert expected["merged_into"] == other.number and expected["assignee"] is not None
