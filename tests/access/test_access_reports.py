"""Channel: reports (pages, API, exports, drill-down lists). Requesters get nothing; agents their own figures;
managers, auditors and admins their staff scope (world.py's HANDLED)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.reports.drill import drill_value
from otklik.reports.filters import ReportFilters
from otklik.tickets import changes
from tests.access.world import HANDLED, PERSONAS, World

PAGES = ("overview", "breakdown", "load", "sla", "specialists", "csat", "forecast")
API = ("overview", "second-line", "breakdown", "load", "sla", "csat", "specialists", "forecast")
REQUESTERS = {"alice", "bob", "carol"}
ASSIGNED = {"fiona": {"alice_first"}, "sam": {"bob_second"}}
QUERY = "from=2026-03-01&to=2026-03-31"


def _report_scope(persona: str) -> set[str]:
    if persona in REQUESTERS:
        return set()
    return set(ASSIGNED.get(persona, HANDLED[persona]))  # agents: their own tickets only


@pytest.fixture
def assigned(world: World, now: datetime) -> World:
    cache.clear()  # API throttle counters outlive the test database
    changes.ticket_assign(actor=None, ticket_id=world.tickets["alice_first"].pk, assignee=world.people.fiona, now=now)
    changes.ticket_assign(actor=None, ticket_id=world.tickets["bob_second"].pk, assignee=world.people.sam, now=now)
    return world


def _web(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def _api(world: World, persona: str, now: datetime) -> APIClient:
    user = world.user(persona)
    issued = token_create(actor=user, user=user, name="reports", scopes=("read",), now=now)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_report_pages(persona: str, assigned: World) -> None:
    client = _web(assigned, persona)
    for page in PAGES:
        response = client.get(reverse(f"reports:{page}") + "?" + QUERY)
        assert response.status_code == (404 if persona in REQUESTERS else 200), page
        export = client.get(reverse(f"reports:{page}") + "?" + QUERY + "&format=csv")
        assert export.status_code == (404 if persona in REQUESTERS else 200), page
        if persona not in REQUESTERS:
            for key in HANDLED["adam"] - _report_scope(persona):
                assert f"Subject of {key}" not in response.content.decode()


def test_anonymous_people_are_sent_to_sign_in(assigned: World) -> None:
    response = Client().get(reverse("reports:overview"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_report_api(persona: str, assigned: World, now: datetime) -> None:
    client = _api(assigned, persona, now)
    for name in API:
        response = client.get(f"/api/v1/reports/{name}/?{QUERY}")
        assert response.status_code == (404 if persona in REQUESTERS else 200), name
    if persona in REQUESTERS:
        return
    numbers = client.get(f"/api/v1/reports/second-line/?{QUERY}").json()
    assert numbers["new"] == len(_report_scope(persona))
    rows = client.get(f"/api/v1/reports/breakdown/?{QUERY}&by=team").json()
    assert sum(row["count"] for row in rows) == len(_report_scope(persona))


@pytest.mark.parametrize("persona", PERSONAS)
def test_drill_down_lists_show_exactly_the_counted_tickets(persona: str, assigned: World, now: datetime) -> None:
    value = drill_value(ReportFilters(start=now.date().replace(day=1), end=now.date().replace(day=31)), "new")
    expected = {assigned.tickets[key].number for key in _report_scope(persona)}
    api = _api(assigned, persona, now).get("/api/v1/tickets/", {"report": value})
    assert api.status_code == 200
    assert {row["number"] for row in api.json()["results"]} == expected
    web = _web(assigned, persona).get(reverse("home"), {"report": value})
    if persona in REQUESTERS:
        assert web.status_code == 302  # requesters land on their portal, never on a report
        return
    assert web.context["report_total"] == len(expected)
