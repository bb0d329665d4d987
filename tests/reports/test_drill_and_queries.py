"""Every SLA, CSAT and specialists' number opens the ticket list of exactly its tickets, and each report page
and API answer costs a fixed number of queries whatever the amount of data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from otklik.reports import quality
from otklik.reports.drill import drill_tickets, drill_value
from otklik.reports.filters import ReportFilters
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import changes, services
from tests.reports.conftest import Desk, msk

pytestmark = pytest.mark.django_db

MARCH = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
QUERY = "from=2026-03-01&to=2026-03-31"
PAGES = ("overview", "breakdown", "load", "sla", "specialists", "csat", "forecast")
API = ("overview", "second-line", "breakdown", "load", "sla", "csat", "specialists", "forecast")


def _desk_month(people: Personas, *, copies: int, day: int = 2) -> None:
    """A month of work in March: answered fast and slow (SLA met and breached), resolved, rated 1..5, on
    both teams, one ticket left open; `copies` times the same shape."""
    for copy in range(copies):
        for index in range(5):
            at = msk(2026, 3, day + index, 10, copy)
            team = people.second_line if index % 2 else people.first_line
            ticket = factories.ticket(
                requester=people.alice, subject=f"Case {copy}-{index}", now=at, team=team, actor=people.sam
            )
            agent = people.sam if index % 2 else people.fiona
            changes.ticket_assign(actor=people.adam, ticket_id=ticket.pk, assignee=agent, now=at)
            # Replies after 30 minutes (met) or 3 hours (breached: the reaction target is 60 minutes).
            services.ticket_reply(
                actor=agent,
                ticket_id=ticket.pk,
                body_text="On it",
                now=at + timedelta(minutes=30 if index % 3 else 180),
            )
            services.ticket_add_note(actor=agent, ticket_id=ticket.pk, body_text="note", now=at + timedelta(hours=4))
            if index == 4:
                continue  # still open at the end of the month
            changes.ticket_resolve(actor=agent, ticket_id=ticket.pk, now=at + timedelta(hours=5 + 20 * (index % 2)))
            changes.ticket_rate(
                actor=people.alice,
                ticket_id=ticket.pk,
                score=index + 1 + (copy % 2),
                comment="ok",
                now=at + timedelta(days=1, hours=6),
            )


def _count(viewer: Any, metric: str, **kwargs: str) -> int:
    return drill_tickets(viewer, drill_value(MARCH, metric, **kwargs)).count()


@pytest.mark.parametrize("persona", ["adam", "mia", "sam"])
def test_sla_csat_and_specialists_numbers_equal_their_ticket_lists(people: Personas, desk: Desk, persona: str) -> None:
    _desk_month(people, copies=1)
    viewer = people.all_users()[persona]
    sla = quality.sla(viewer, MARCH)
    checked = 0
    for group in ("policy", "priority", "team"):
        for row in sla["groups"][group]:
            assert _count(viewer, "sla_met", by=group, key=row["key"], column=row["metric"]) == row["met"]
            assert _count(viewer, "sla_breached", by=group, key=row["key"], column=row["metric"]) == row["breached"]
            checked += row["breached"]
    assert checked > 0  # the data has breaches to follow
    csat = quality.csat(viewer, MARCH)
    assert _count(viewer, "csat") == csat["count"] > 0
    for row in csat["distribution"]:
        assert _count(viewer, "csat", key=str(row["score"])) == row["count"]
    for row in quality.specialists(viewer, MARCH):
        own = ReportFilters(start=MARCH.start, end=MARCH.end, assignee_id=int(row["key"]))
        assert drill_tickets(viewer, drill_value(own, "closed")).count() == row["resolved"]
        assert drill_tickets(viewer, drill_value(own, "csat")).count() == row["csat_count"]


def test_links_on_the_pages_open_lists_with_the_same_totals(people: Personas, desk: Desk) -> None:
    _desk_month(people, copies=1)
    client = Client()
    client.force_login(people.mia)
    followed = 0

    def follow(link: str, number: int) -> None:
        nonlocal followed
        response = client.get(link)
        assert response.status_code == 200
        assert response.context["report_total"] == number, link
        followed += 1

    data = client.get(reverse("reports:sla") + "?" + QUERY).context["data"]
    for group, rows in data["groups"].items():
        for row in rows:
            follow(row["links"]["met"], row["met"])
            follow(row["links"]["breached"], row["breached"])
            assert group in ("policy", "priority", "team", "month")
    data = client.get(reverse("reports:csat") + "?" + QUERY).context["data"]
    follow(data["link"], data["count"])
    for row in data["distribution"]:
        follow(row["link"], row["count"])
    for row in client.get(reverse("reports:specialists") + "?" + QUERY).context["data"]:
        follow(row["links"]["resolved"], row["resolved"])
        follow(row["links"]["csat"], row["csat_count"])
    assert followed > 20


def _queries(action: Any) -> int:
    cache.clear()  # the forecast's cache and the API throttle must not hide queries
    with CaptureQueriesContext(connection) as captured:
        response = action()
    assert response.status_code == 200
    return len(captured.captured_queries)


def _measure(people: Personas) -> dict[str, int]:
    client = Client()
    client.force_login(people.mia)
    api = APIClient()
    api.force_authenticate(people.mia)
    found = {}
    for page in PAGES:
        found[f"page:{page}"] = _queries(lambda page=page: client.get(reverse(f"reports:{page}") + "?" + QUERY))
        found[f"csv:{page}"] = _queries(
            lambda page=page: client.get(reverse(f"reports:{page}") + "?" + QUERY + "&format=csv")
        )
    found["page:breakdown-category"] = _queries(
        lambda: client.get(reverse("reports:breakdown") + "?" + QUERY + "&by=category")
    )
    for name in API:
        found[f"api:{name}"] = _queries(lambda name=name: api.get(f"/api/v1/reports/{name}/?{QUERY}"))
    return found


def test_query_counts_do_not_grow_with_the_data(people: Personas, desk: Desk, settings: Any) -> None:
    settings.DEBUG = True
    _desk_month(people, copies=1)
    small = _measure(people)
    _desk_month(people, copies=3, day=12)  # four times the tickets, events, clocks and ratings
    large = _measure(people)
    assert large == small
    assert max(small.values()) <= 40, small
