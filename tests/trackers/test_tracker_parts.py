"""The smaller parts: credentials at rest, reading what agents paste, the connection test, the admin, the
customer profile panel, the sweep, the demo, outgoing webhooks for link changes and query counts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from otklik.core.errors import InvalidInput, PermissionDenied
from otklik.integrations.models import WebhookDelivery, WebhookSubscription
from otklik.testing import factories
from otklik.testing.personas import PASSWORD
from otklik.testing.queries import count_queries
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import EventKind, Message, Ticket, TicketEvent
from otklik.trackers import services
from otklik.trackers.clients import client_for
from otklik.trackers.demo import seed_demo_trackers
from otklik.trackers.models import (
    ExternalIssue,
    HookState,
    InboundHook,
    ProfileSource,
    StatusMapping,
    TicketIssueLink,
    TrackerConnection,
)
from otklik.trackers.tasks import trackers_sweep

from .fakes import TOKEN


def test_credentials_are_stored_encrypted_and_unreadable_with_another_secret_key(db, settings):
    connection = TrackerConnection(name="R", kind="redmine", base_url="http://127.0.0.1:9")
    connection.set_token(TOKEN)
    connection.save()
    stored = TrackerConnection.objects.values_list("credentials_encrypted", flat=True).get()
    assert TOKEN not in stored and stored
    assert TrackerConnection.objects.get().token == TOKEN
    settings.SECRET_KEY = "another-installation-secret-key-0123456789"
    assert TrackerConnection.objects.get().token == ""


@pytest.mark.parametrize(("kind", "project", "typed", "key"), [
    ("redmine", "", "#42", "42"),
    ("redmine", "", "https://redmine.example.com/issues/42?tab=history", "42"),
    ("jira", "SHOP", "shop-7", "SHOP-7"),
    ("jira", "SHOP", "https://acme.atlassian.net/browse/OPS-12", "OPS-12"),
    ("jira", "SHOP", "#12", "SHOP-12"),
    ("gitlab", "dev/shop", "https://gitlab.example.com/dev/sub/shop/-/issues/3", "dev/sub/shop#3"),
    ("gitlab", "dev/shop", "other/app#9", "other/app#9"),
    ("gitlab", "dev/shop", "9", "dev/shop#9"),
    ("github", "acme/shop", "https://github.com/acme/api/issues/15", "acme/api#15"),
    ("github", "acme/shop", "#15", "acme/shop#15"),
])
def test_what_agents_paste_becomes_the_issue_key(kind, project, typed, key):
    connection = TrackerConnection(name="x", kind=kind, base_url="http://127.0.0.1:9", default_project=project)
    assert client_for(connection).parse_reference(typed) == key


@pytest.mark.parametrize("kind", ["redmine", "jira", "gitlab", "github"])
def test_nonsense_references_are_refused(kind):
    connection = TrackerConnection(name="x", kind=kind, base_url="http://127.0.0.1:9")
    with pytest.raises(InvalidInput):
        client_for(connection).parse_reference("the bug from yesterday")


@pytest.mark.parametrize("kind", ["redmine", "jira", "gitlab", "github"])
def test_connection_test_shows_what_the_tracker_answered(kind, people, fakes, connect):
    fake = fakes(kind)
    connection = connect(fake)
    result = services.connection_test(actor=people.adam, connection_id=connection.pk, now=timezone.now())
    assert result.ok and "otklik" in result.summary.lower()

    connection.set_token("wrong")
    connection.save()
    refused = services.connection_test(actor=people.adam, connection_id=connection.pk, now=timezone.now())
    assert not refused.ok and refused.status == 401 and "401" in refused.summary
    connection.refresh_from_db()
    assert "401" in connection.last_error
    with pytest.raises(PermissionDenied):
        services.connection_test(actor=people.fiona, connection_id=connection.pk, now=timezone.now())


def test_admin_tests_a_connection_and_keeps_the_token_write_only(people, fakes, connect, client):
    fake = fakes("redmine")
    connection = connect(fake)
    client.login(email="adam@otklik.test", password=PASSWORD)

    page = client.get(f"/admin/trackers/trackerconnection/{connection.pk}/change/")
    response = client.post("/admin/trackers/trackerconnection/",
                           {"action": "test_connection", "_selected_action": [connection.pk]}, follow=True)

    assert page.status_code == 200
    assert TOKEN.encode() not in page.content and b"Resolved" in page.content  # the mapping is readable
    assert f"/trackers/hooks/{connection.pk}/hook-secret/".encode() in page.content
    assert b"otklik" in response.content and b"users/current.json" in response.content


def test_events_via_marks_every_event_recorded_inside(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    with ticket_services.events_via({"tracker": 5}):
        changes.ticket_resolve(actor=None, ticket_id=ticket.pk, now=now)
    changes.ticket_reopen(actor=None, ticket_id=ticket.pk, now=now)
    marked = TicketEvent.objects.filter(ticket=ticket, data__via__tracker=5).values_list("kind", flat=True)
    assert set(marked) == {EventKind.STATUS_CHANGED, EventKind.RESOLVED}
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REOPENED, data__has_key="via").exists()


def test_a_link_is_announced_to_webhook_subscribers(people, now):
    WebhookSubscription.objects.create(name="crm", url="http://127.0.0.1:9/hook", event_kinds=["linked"])
    connection = TrackerConnection.objects.create(name="GitHub", kind="github", base_url="http://127.0.0.1:9",
                                                  default_project="acme/shop")
    ticket = factories.ticket(requester=people.alice, now=now)
    services.issue_link(actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk, reference="3", now=now)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_kind == "linked" and delivery.event is not None
    assert delivery.event.data["external"] == {"tracker": connection.pk, "kind": "github", "issue": "acme/shop#3",
                                               "url": ""}


def test_an_unlink_is_announced_and_shown_in_the_history(people, now, client):
    WebhookSubscription.objects.create(name="crm", url="http://127.0.0.1:9/hook", event_kinds=["unlinked"])
    connection = TrackerConnection.objects.create(name="Jira", kind="jira", base_url="http://127.0.0.1:9")
    ticket = factories.ticket(requester=people.alice, now=now)
    link = services.issue_link(actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk,
                               reference="OPS-4", now=now)
    services.issue_unlink(actor=people.adam, ticket_id=ticket.pk, link_id=link.pk, now=now)

    delivery = WebhookDelivery.objects.get()
    assert delivery.event is not None
    assert delivery.event_kind == "unlinked" and delivery.event.data["external"]["issue"] == "OPS-4"
    assert ExternalIssue.objects.filter(key="OPS-4").exists() and not TicketIssueLink.objects.exists()
    client.force_login(people.adam)
    assert "Unlinked from tracker issue OPS-4" in client.get(f"/tickets/{ticket.number}/").content.decode()


def test_the_sweep_processes_calls_whose_job_was_lost_and_polls(people, fakes, connect, bot):
    fake = fakes("redmine")
    fake.add("8", "Bug", "Resolved")
    connection = connect(fake)
    ticket = factories.ticket(requester=people.alice)
    issue = ExternalIssue.objects.create(connection=connection, key="8")
    TicketIssueLink.objects.create(ticket=ticket, issue=issue, created_at=timezone.now())
    _headers, body = fake.webhook("8", connection.webhook_secret)
    # Stored, but its job never ran (the queue was down).
    InboundHook.objects.create(connection=connection, delivery_key="lost", body=body, headers={},
                               received_at=timezone.now() - timedelta(minutes=5))

    counts = trackers_sweep()

    assert counts["hooks"] == 1 and counts["polled"] == 1
    assert InboundHook.objects.get().state == HookState.PROCESSED
    ticket.refresh_from_db()
    assert ticket.status.code == "in_progress"
    assert Message.objects.filter(ticket=ticket, author=bot).count() == 1


def test_demo_connection_has_a_readable_mapping_and_seeding_twice_changes_nothing(db):
    seed_demo_trackers()
    seed_demo_trackers()
    connection = TrackerConnection.objects.get()
    mappings = {m.tracker_value: (m.ticket_status.code if m.ticket_status else None, m.answer_requester)
                for m in StatusMapping.objects.filter(connection=connection).select_related("ticket_status")}
    assert mappings == {"Resolved": ("in_progress", True), "Feedback": ("needs_clarification", False),
                        "Rejected": ("in_progress", True)}
    reply = StatusMapping.objects.get(tracker_value="Resolved").reply
    assert reply is not None and "{{ issue_key }}" in reply.body and reply.body_ru


# ---------------------------------------------------------------- customer profile


@pytest.fixture
def crm() -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"calls": 0, "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            state["calls"] += 1
            state["path"] = self.path
            body = json.dumps({"account": {"plan": "Gold", "manager": "Olga"}, "orders": [{"total": 1200}]}).encode()
            self.send_response(state["status"])
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if state["status"] == 200 else b"oops")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    cache.clear()
    yield state
    server.shutdown()
    server.server_close()
    cache.clear()


def test_customer_profile_shows_labelled_values_cached(people, crm, client):
    ProfileSource.objects.create(name="CRM", url_template=crm["url"] + "/customers?email={email}", fields=[
        ["account.plan", "Plan"], ["orders.0.total", "Last order"], ["account.missing", "Nothing"]])
    ticket = factories.ticket(requester=people.alice)
    client.force_login(people.adam)

    page = client.get(f"/tickets/{ticket.number}/")
    first = client.get(f"/trackers/tickets/{ticket.number}/profile/")
    second = client.get(f"/trackers/tickets/{ticket.number}/profile/")

    assert f"/trackers/tickets/{ticket.number}/profile/" in page.content.decode()
    text = first.content.decode()
    assert "Plan" in text and "Gold" in text and "Last order" in text and "1200" in text and "Nothing" not in text
    assert crm["path"] == "/customers?email=alice%40a.example"
    assert second.content == first.content and crm["calls"] == 1


def test_a_failing_profile_source_shows_a_quiet_notice(people, crm, client):
    crm["status"] = 500
    ProfileSource.objects.create(name="CRM", url_template=crm["url"] + "/c/{domain}", fields=[["a", "A"]])
    ProfileSource.objects.create(name="Down", url_template="http://127.0.0.1:9/{email}", fields=[["a", "A"]])
    ticket = factories.ticket(requester=people.alice)
    client.force_login(people.fiona)
    response = client.get(f"/trackers/tickets/{ticket.number}/profile/")
    assert response.status_code == 200
    assert response.content.decode().count("The profile is not available right now.") == 2


# ---------------------------------------------------------------- a query per list


def _links(ticket, connection, count):
    for index in range(count):
        issue = ExternalIssue.objects.create(connection=connection, key=f"{ticket.pk}-{index}", title=f"t{index}")
        TicketIssueLink.objects.create(ticket=ticket, issue=issue, created_at=timezone.now())


def test_the_panel_and_the_api_list_cost_the_same_for_2_and_20_links(people, client):
    from rest_framework.test import APIClient

    connection = TrackerConnection.objects.create(name="Redmine", kind="redmine", base_url="http://127.0.0.1:9")
    small, large = factories.ticket(requester=people.alice), factories.ticket(requester=people.bob)
    _links(small, connection, 2)
    _links(large, connection, 20)
    client.force_login(people.adam)
    api = APIClient()
    api.force_authenticate(people.adam)

    def page_of(ticket: Ticket) -> int:
        return count_queries(lambda: client.get(f"/tickets/{ticket.number}/"))

    def listing_of(ticket: Ticket) -> int:
        return count_queries(lambda: api.get(f"/api/v1/tickets/{ticket.number}/links/external/"))

    # The first request fills the remembered configuration (otklik.core.lookups); count the ones after it.
    client.get(f"/tickets/{small.number}/")
    api.get(f"/api/v1/tickets/{small.number}/links/external/")
    page = [page_of(small), page_of(large)]
    listing = [listing_of(small), listing_of(large)]

    assert page[0] == page[1]
    assert listing[0] == listing[1]
    assert len(api.get(f"/api/v1/tickets/{large.number}/links/external/?limit=50").json()["results"]) == 20


def test_the_history_names_the_issue_and_the_connection_that_moved_the_ticket(people, client):
    from otklik.tickets.models import Status
    from otklik.trackers.clients import IssueData

    connection = TrackerConnection.objects.create(name="Redmine dev", kind="redmine", base_url="http://127.0.0.1:9")
    StatusMapping.objects.create(connection=connection, tracker_value="Feedback",
                                 ticket_status=Status.objects.get(code="needs_clarification"))
    ticket = factories.ticket(requester=people.alice)
    link = services.issue_link(actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk, reference="31",
                               now=timezone.now())
    services.issue_apply(issue_id=link.issue_id, data=IssueData(key="31", status="Feedback"), now=timezone.now())
    client.force_login(people.adam)

    page = client.get(f"/tickets/{ticket.number}/").content.decode()

    assert "Linked to tracker issue 31" in page
    assert "Redmine dev" in page and "Needs clarification" in page
    client.force_login(people.alice)
    assert "Redmine dev" not in client.get(f"/tickets/{ticket.number}/").content.decode()
