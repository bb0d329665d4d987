"""API conformance found by schemathesis (issue 11): every answer has the documented JSON error shape,
empty filter values are refused, and paging keeps what docs/api.md promises."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.testing import factories
from otklik.tickets import services


@pytest.mark.parametrize("path", [
    "/api/v1/tickets/null%2Cnull/",
    "/api/v1/tickets/abc/events/",
    "/api/v1/users/1.5/",
    "/api/v1/no-such-endpoint/",
])
def test_a_path_that_matches_no_route_is_the_json_404(people, client_for, path):
    response = client_for(people.fiona).get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_pages_outside_the_api_keep_the_html_404(people, client):
    client.force_login(people.fiona)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("query", ["updated_before=", "created_after=", "requester=", "sort=", "team=",
                                   "status="])
def test_empty_ticket_filters_are_a_clear_400(people, client_for, query):
    response = client_for(people.fiona).get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid_input"
    assert query.rstrip("=") in body["fields"]


def test_empty_directory_role_is_a_clear_400(people, client_for):
    response = client_for(people.fiona).get("/api/v1/users/?role=")
    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]
    assert client_for(people.fiona).get("/api/v1/users/?q=").status_code == 200  # a blank search is allowed


def test_empty_priority_in_a_change_is_a_clear_400(people, client_for, now):
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    response = client_for(people.fiona).patch(f"/api/v1/tickets/{ticket.number}/", {"priority": ""}, format="json")
    assert response.status_code == 400
    assert "priority" in response.json()["error"]["fields"]


def _all_pages(client, url: str, between=None) -> list[int]:
    numbers: list[int] = []
    while url:
        page = client.get(url).json()
        numbers += [row["number"] for row in page["results"]]
        if between is not None:
            between()
        url = page["next"]
    return numbers


def test_paging_by_number_never_skips_or_repeats_while_tickets_change(people, client_for, now):
    tickets = [factories.ticket(requester=people.alice, team=people.first_line, now=now) for _ in range(7)]
    client = client_for(people.fiona)
    moment = [now]

    def touch_the_oldest() -> None:
        moment[0] += timedelta(minutes=1)
        for ticket in tickets[:3]:
            services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="busy", now=moment[0])

    numbers = _all_pages(client, "/api/v1/tickets/?sort=number&limit=2", touch_the_oldest)
    assert sorted(numbers) == sorted(t.number for t in tickets)
    assert len(numbers) == len(set(numbers))


def test_paging_by_update_never_repeats_while_tickets_change(people, client_for, now):
    tickets = [factories.ticket(requester=people.alice, team=people.first_line, now=now + timedelta(seconds=i))
               for i in range(7)]
    client = client_for(people.fiona)
    moment = [now + timedelta(hours=1)]

    def touch_every_ticket() -> None:
        moment[0] += timedelta(minutes=1)
        for ticket in tickets:
            services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="busy", now=moment[0])

    numbers = _all_pages(client, "/api/v1/tickets/?limit=2", touch_every_ticket)
    assert len(numbers) == len(set(numbers))
    quiet = _all_pages(client, "/api/v1/tickets/?limit=2")
    assert sorted(quiet) == sorted(t.number for t in tickets)  # nothing changes: every row, once
