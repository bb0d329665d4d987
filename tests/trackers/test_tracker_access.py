"""Access matrix for every tracker route: the ticket page panel, the link/create/retry/profile pages and the
API. Linked issues are the ticket's internal side: only staff who handle the ticket see or change them."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.testing.personas import Personas
from otklik.trackers.models import ExternalIssue, IssueRequest, TicketIssueLink, TrackerConnection
from tests.access.world import HANDLED, PERSONAS, TICKETS, VISIBLE, World, build_world

# Every agent role (otto: only-assigned and watching; gina: another team): what they get depends on the ticket.
STAFF = {"fiona", "sam", "mia", "rita", "adam", "otto", "gina"}
WRITERS = {"fiona", "sam", "mia", "adam", "otto", "gina"}


@pytest.fixture
def scene(people: Personas, now: datetime) -> tuple[World, TrackerConnection]:
    cache.clear()
    world = build_world(people, now, with_files=False)
    # Nothing listens here: jobs run only after commit, which these tests' transactions never reach.
    connection = TrackerConnection.objects.create(name="Redmine", kind="redmine", base_url="http://127.0.0.1:9")
    for index, key in enumerate(TICKETS, start=1):
        issue = ExternalIssue.objects.create(connection=connection, key=str(index), title=f"issue-marker-{key}")
        TicketIssueLink.objects.create(ticket=world.ticket(key), issue=issue, created_at=now)
        IssueRequest.objects.create(connection=connection, ticket=world.ticket(key), project="1", subject="x",
                                    state="failed", created_at=now)
    return world, connection


def _web(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", TICKETS)
def test_web_routes(persona, key, scene):
    world, connection = scene
    client = _web(world, persona)
    ticket = world.ticket(key)
    handled = key in HANDLED[persona]
    agent_sees = persona in STAFF and key in VISIBLE[persona]

    # The issues panel comes after the page (its own GET, or with the other panels).
    page = client.get(f"/tickets/{ticket.number}/")
    assert f"issue-marker-{key}" not in page.content.decode()
    for part in ("panels/trackers/", "panels/"):
        panel = client.get(f"/tickets/{ticket.number}/{part}")
        assert (f"issue-marker-{key}" in panel.content.decode()) == handled

    create_form = client.get(f"/trackers/tickets/{ticket.number}/create/")
    profile = client.get(f"/trackers/tickets/{ticket.number}/profile/")
    assert create_form.status_code == (200 if handled else 404)
    assert profile.status_code == (200 if handled else 404)

    before = TicketIssueLink.objects.count()
    link = client.post(f"/trackers/tickets/{ticket.number}/link/", {"connection": connection.pk, "reference": "77"})
    assert link.status_code == (302 if agent_sees else 404)
    assert TicketIssueLink.objects.count() - before == (1 if handled and persona in WRITERS else 0)

    before_requests = IssueRequest.objects.filter(state="pending").count()
    create = client.post(f"/trackers/tickets/{ticket.number}/create/send/",
                         {"connection": connection.pk, "project": "1", "subject": "Bug", "description": ""})
    assert create.status_code == (302 if agent_sees else 404)
    retry_id = IssueRequest.objects.filter(ticket=ticket, state="failed").values_list("pk", flat=True).first()
    if retry_id is not None:
        client.post(f"/trackers/tickets/{ticket.number}/create/{retry_id}/retry/")
    made = IssueRequest.objects.filter(state="pending").count() - before_requests
    assert made == (2 if handled and persona in WRITERS else 0)

    first_link = TicketIssueLink.objects.filter(ticket=ticket).order_by("pk").first()
    assert first_link is not None
    unlink = client.post(f"/trackers/tickets/{ticket.number}/unlink/{first_link.pk}/")
    assert unlink.status_code == (302 if agent_sees else 404)
    assert TicketIssueLink.objects.filter(pk=first_link.pk).exists() == (not (handled and persona in WRITERS))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", TICKETS)
def test_api_external_links(persona, key, scene, now):
    world, connection = scene
    user = world.user(persona)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + token_create(
        actor=user, user=user, name="t", scopes=("read", "write"), now=now).secret)
    ticket = world.ticket(key)
    url = f"/api/v1/tickets/{ticket.number}/links/external/"
    handled = key in HANDLED[persona]
    visible = key in VISIBLE[persona]

    listing = client.get(url)
    assert listing.status_code == (200 if handled else 403 if visible else 404)
    if handled:
        assert [row["issue"]["title"] for row in listing.json()["results"]] == [f"issue-marker-{key}"]
    else:
        assert "issue-marker" not in listing.content.decode()

    added = client.post(url, {"connection": connection.pk, "reference": "#88"}, format="json")
    may_add = handled and persona in WRITERS
    assert added.status_code == (201 if may_add else 403 if visible else 404)
    if may_add:
        assert added.json()["issue"]["key"] == "88"
        assert added.json()["tracker"] == {"id": connection.pk, "name": "Redmine", "kind": "redmine"}

    link = TicketIssueLink.objects.filter(ticket=ticket).order_by("pk").first()
    assert link is not None
    removed = client.delete(f"{url}{link.pk}/")
    assert removed.status_code == (204 if may_add else 403 if visible else 404)
    assert TicketIssueLink.objects.filter(pk=link.pk).exists() == (not may_add)
    if may_add:  # a link of another ticket is not reachable through this one
        other = TicketIssueLink.objects.exclude(ticket=ticket).first()
        assert other is not None
        assert client.delete(f"{url}{other.pk}/").status_code == 404


def test_api_refuses_bad_input_and_duplicates(scene, people, now):
    world, connection = scene
    client = APIClient()
    client.force_authenticate(people.adam)
    url = f"/api/v1/tickets/{world.ticket('alice_first').number}/links/external/"
    assert client.post(url, {"connection": connection.pk}, format="json").status_code == 400
    bad = client.post(url, {"connection": connection.pk, "reference": "not an issue"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"
    unknown = client.post(url, {"connection": 9999, "reference": "5"}, format="json")
    assert unknown.status_code == 400
    assert client.post(url, {"connection": connection.pk, "reference": "5"}, format="json").status_code == 201
    again = client.post(url, {"connection": connection.pk, "reference": "5"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
