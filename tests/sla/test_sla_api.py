"""The API side of the SLA work: late-logged replies and status changes, the SLA endpoint's figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.testing import factories
from otklik.tickets.models import Message

from .helpers import clock

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    issued = token_create(actor=user, user=user, name="test", scopes=("read", "write"), now=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


@pytest.fixture
def sla_247(sla):
    """Calendar time, so the figures do not depend on when the test runs."""
    sla.schedule.week = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")
    sla.schedule.save()
    return sla


def test_a_reply_posted_with_happened_at_stops_the_clock_then(sla_247, people):
    created = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=created)
    response = api(people.fiona).post(f"/api/v1/tickets/{ticket.number}/replies/", {
        "body_text": "Phoned back.", "happened_at": (created + timedelta(minutes=45)).isoformat(),
    }, format="json")
    assert response.status_code == 201, response.content
    reaction = clock(ticket, "reaction")
    assert (reaction.state, reaction.met, reaction.final_business_seconds) == ("stopped", True, 45 * 60)
    assert Message.objects.get(pk=response.json()["id"]).created_at == created + timedelta(minutes=45)


@pytest.mark.parametrize("offset", [timedelta(hours=-4), timedelta(hours=5)])
def test_happened_at_outside_the_ticket_life_is_a_400_naming_the_field(sla_247, people, offset):
    created = timezone.now() - timedelta(hours=3)
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=created)
    response = api(people.fiona).post(f"/api/v1/tickets/{ticket.number}/replies/", {
        "body_text": "x", "happened_at": (created + offset).isoformat(),
    }, format="json")
    assert response.status_code == 400
    assert "happened_at" in response.json()["error"]["fields"]
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_a_status_change_posted_late_pauses_from_when_it_happened(sla_247, people):
    created = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=created)
    response = api(people.fiona).post(f"/api/v1/tickets/{ticket.number}/status/", {
        "status": "paused", "happened_at": (created + timedelta(minutes=20)).isoformat(),
    }, format="json")
    assert response.status_code == 200, response.content
    resolution = clock(ticket, "resolution")
    assert (resolution.state, resolution.consumed_seconds) == ("paused", 20 * 60)
