"""The access module remembers answers for one read-only request only, and never across a write."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from otklik.accounts import access
from otklik.accounts.middleware import AccessMemoMiddleware
from tests.access.world import World

pytestmark = pytest.mark.django_db


def test_outside_a_request_every_question_goes_to_the_database(bare_world: World) -> None:
    sam, ticket = bare_world.user("sam"), bare_world.tickets["alice_first"]
    assert not access.handles(sam, ticket)
    sam.teams.add(ticket.team_id)  # type: ignore[arg-type]  # a job or a service sees the change at once
    assert access.handles(sam, ticket)


def test_within_a_request_the_answer_is_asked_once(bare_world: World, django_assert_num_queries) -> None:
    sam, ticket = bare_world.user("sam"), bare_world.tickets["alice_first"]
    with access.remembered_for_request():
        assert not access.handles(sam, ticket)
        sam.teams.add(ticket.team_id)  # type: ignore[arg-type]
        with django_assert_num_queries(0):
            assert not access.handles(sam, ticket)  # remembered: a read-only request does not change it
    assert access.handles(sam, ticket)  # the request is over: asked afresh


def _team_reads(client: Client, method: str, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        getattr(client, method)(url)
    return sum('FROM "accounts_team" INNER JOIN' in query["sql"] for query in captured.captured_queries)


def test_a_ticket_page_reads_the_viewers_teams_once(bare_world: World) -> None:
    client = Client()
    client.force_login(bare_world.user("fiona"))
    assert _team_reads(client, "get", f"/tickets/{bare_world.tickets['alice_first'].number}/") == 1


@pytest.mark.parametrize(("method", "remembers"), [("get", True), ("head", True), ("post", False), ("patch", False)])
def test_only_read_only_requests_remember(method: str, remembers: bool) -> None:
    seen: list[object] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(access._request_memo.get())
        return HttpResponse()

    AccessMemoMiddleware(view)(getattr(RequestFactory(), method)("/tickets/1/"))
    assert (seen[0] is not None) is remembers
    assert access._request_memo.get() is None  # nothing outlives the request
