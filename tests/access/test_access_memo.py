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


def test_a_report_reads_the_viewers_teams_once_and_remembers_nothing_after(bare_world: World) -> None:
    from datetime import date

    from otklik.reports import quality
    from otklik.reports.filters import ReportFilters

    fiona = bare_world.user("fiona")
    filters = ReportFilters(start=date(2026, 1, 1), end=date(2026, 1, 20))  # no whole month: the per-row reads
    with CaptureQueriesContext(connection) as captured:
        quality.specialists(fiona, filters)  # outside a request: a job, a digest, an export
    assert sum('FROM "accounts_team" INNER JOIN' in query["sql"] for query in captured.captured_queries) == 1
    assert access._request_memo.get() is None  # the report is over: the next question goes to the database


def test_a_report_inside_a_request_shares_its_memo() -> None:
    with access.remembered_for_request():
        memo = access._request_memo.get()
        with access.remembered_for_read():
            assert access._request_memo.get() is memo
        assert access._request_memo.get() is memo
