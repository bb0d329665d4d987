"""The agent's lists as a new team meets them: landing queue, totals, Previous/Next, filter errors,
full-text `q` in the list and the API, and search pages with a true count."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.testing import factories
from otklik.tickets import changes
from otklik.tickets.selectors import TicketFilters
from otklik.web import selectors

pytestmark = pytest.mark.django_db


def _tickets(people, now, count, **options):
    return [
        factories.ticket(requester=people.alice, subject=f"Ticket {index}", now=now + timedelta(minutes=index),
                         **options)
        for index in range(count)
    ]


def test_an_agent_lands_on_their_open_work_never_on_closed_tickets(people, now, client_for):
    mine, _other, done = _tickets(people, now, 3)
    changes.ticket_assign(actor=people.fiona, ticket_id=mine.pk, assignee=people.fiona, now=now)
    changes.ticket_assign(actor=people.fiona, ticket_id=done.pk, assignee=people.fiona, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=done.pk, now=now)
    response = client_for(people.fiona).get("/")
    assert response.context["queue_key"] == "mine"
    assert [ticket.pk for ticket in response.context["page"].rows] == [mine.pk]


def test_without_own_work_an_agent_lands_on_unassigned_tickets_of_their_team(people, now, client_for):
    ours = factories.ticket(requester=people.alice, subject="Ours", team=people.first_line, now=now)
    factories.ticket(requester=people.alice, subject="Nobody's", now=now)
    closed = factories.ticket(requester=people.alice, subject="Closed", team=people.first_line, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=closed.pk, now=now)
    response = client_for(people.fiona).get("/")
    assert response.context["queue_key"] == "team_unassigned"
    assert [ticket.pk for ticket in response.context["page"].rows] == [ours.pk]
    # The polling refresh keeps that list even if the landing choice would change meanwhile.
    assert 'hx-get="?queue=team_unassigned"' in response.content.decode()


def test_pages_show_their_place_in_the_total_and_walk_back(people, now, client_for, settings):
    settings.OTKLIK_LIST_PAGE_SIZE = 2
    _tickets(people, now, 5)
    fiona = client_for(people.fiona)
    first = fiona.get("/", {"queue": "all", "sort": "created"})
    assert "1–2 of 5" in first.content.decode()
    assert first.context["page"].prev_cursor is None
    page = first.context["page"]
    second = fiona.get("/", {"queue": "all", "sort": "created", "cursor": page.next_cursor,
                             "start": page.next_start})
    assert "3–4 of 5" in second.content.decode()
    assert [t.subject for t in second.context["page"].rows] == ["Ticket 2", "Ticket 1"]
    back = fiona.get("/", {"queue": "all", "sort": "created", "before": second.context["page"].prev_cursor,
                           "start": 0})
    assert [t.subject for t in back.context["page"].rows] == ["Ticket 4", "Ticket 3"]
    assert back.context["page"].prev_cursor is None  # the first page again: no Previous
    assert "1–2 of 5" in back.content.decode()


@pytest.mark.parametrize("sort", ["updated", "created", "priority", "sla"])
def test_previous_pages_mirror_next_pages_in_every_sort(people, now, sort):
    _tickets(people, now, 7)
    pages = [selectors.ticket_list_page(people.fiona, TicketFilters(), sort=sort,
                                        queue="all", size=2)]
    while pages[-1].next_cursor:
        pages.append(selectors.ticket_list_page(people.fiona, TicketFilters(),
                                                sort=sort, queue="all", size=2, cursor=pages[-1].next_cursor))
    for earlier, later in pairwise(pages):
        back = selectors.ticket_list_page(people.fiona, TicketFilters(), sort=sort,
                                          queue="all", size=2, before=later.prev_cursor or "")
        assert [t.pk for t in back.rows] == [t.pk for t in earlier.rows]


def test_a_total_beyond_the_counting_limit_is_shown_as_such(people, now, client_for, monkeypatch):
    monkeypatch.setattr(selectors, "EXACT_COUNT_LIMIT", 3)
    _tickets(people, now, 5)
    fiona = client_for(people.fiona)
    html = fiona.get("/", {"queue": "all", "organization": people.org_a.pk}).content.decode()
    assert "1–5 of about" in html or "1–5 of more than 3" in html
    # A queue shown without filters: its own count (exact, kept) is the list's total.
    assert "1–5 of 5" in fiona.get("/", {"queue": "all"}).content.decode()


def test_bad_filter_input_says_what_is_wrong(people, now, client_for):
    _tickets(people, now, 2)
    fiona = client_for(people.fiona)
    inverted = fiona.get("/", {"queue": "all", "created_from": "2026-03-10", "created_to": "2026-03-01"})
    assert "the end date is before the start date" in inverted.content.decode()
    unknown = fiona.get("/", {"queue": "all", "requester": "nobody@nowhere.example"})
    html = unknown.content.decode()
    assert "Nobody has the email nobody@nowhere.example" in html
    assert "data-filter-errors" in html
    assert unknown.context["page"].rows == []
    fine = fiona.get("/", {"queue": "all", "requester": "alice@a.example"}).content.decode()
    assert "data-filter-errors" not in fine


def test_list_and_api_text_filter_use_the_full_text_index(people, now, client_for):
    found = factories.ticket(requester=people.alice, subject="Cannot log in", body="Оранжевая лампочка мигает",
                             now=now)
    factories.ticket(requester=people.alice, subject="Other", body="Nothing here", now=now)
    rows = client_for(people.fiona).get("/", {"queue": "all", "q": "оранжевый"}).context["page"].rows
    assert [ticket.pk for ticket in rows] == [found.pk]
    issued = token_create(actor=people.fiona, user=people.fiona, name="t", scopes=("read",), now=now)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    results = api.get("/api/v1/tickets/", {"q": "оранжевый"}).json()["results"]
    assert [row["number"] for row in results] == [found.number]
    # A requester's API `q` never reaches into someone else's ticket through the index.
    carol = token_create(actor=people.carol, user=people.carol, name="t", scopes=("read",), now=now)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {carol.secret}")
    assert api.get("/api/v1/tickets/", {"q": "оранжевый"}).json()["results"] == []


def test_search_pages_through_every_hit_with_a_true_count(people, now, client_for, settings):
    settings.OTKLIK_LIST_PAGE_SIZE = 2
    for index in range(5):
        factories.ticket(requester=people.alice, subject=f"Printer {index}", now=now)
    fiona = client_for(people.fiona)
    first = fiona.get("/search/", {"q": "printer"})
    html = first.content.decode()
    assert "5 tickets found" in html
    assert len(first.context["results"]) == 2
    last = fiona.get("/search/", {"q": "printer", "page": 3})
    assert len(last.context["results"]) == 1
    seen = {ticket.pk for page in (1, 2, 3)
            for _hit, ticket in fiona.get("/search/", {"q": "printer", "page": page}).context["results"]}
    assert len(seen) == 5
    assert fiona.get("/search/", {"q": "printer", "page": "x"}).status_code == 200
