"""SLA pages: access (staff only, visible tickets only, 404 alike), query counts, the ledger, the badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from otklik.sla import selectors
from otklik.sla.models import SlaClock
from otklik.testing import factories
from otklik.testing.personas import PASSWORD
from otklik.testing.queries import count_queries
from otklik.tickets import changes
from otklik.tickets.models import Ticket

from .test_clock_lifecycle import msk

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_overdue_and_due_soon_list_what_the_viewer_may_see(sla, people, now):
    seen = factories.ticket(requester=people.alice, now=msk(2, 12), team=people.second_line)
    hidden = factories.ticket(requester=people.carol, now=msk(2, 12), team=people.first_line)
    with time_machine.travel(msk(2, 12, 40), tick=False):
        sam = client_for(people.sam)
        response = sam.get(reverse("sla:due_soon"))
        assert response.status_code == 200
        body = response.content.decode()
        assert f'data-ticket="{seen.number}"' in body and f'data-ticket="{hidden.number}"' not in body
    with time_machine.travel(msk(2, 14), tick=False):
        body = sam.get(reverse("sla:overdue")).content.decode()
        assert f'data-ticket="{seen.number}"' in body and f'data-ticket="{hidden.number}"' not in body
        admin_body = client_for(people.adam).get(reverse("sla:overdue")).content.decode()
        assert f'data-ticket="{hidden.number}"' in admin_body


@pytest.mark.parametrize("name", ["alice", "carol"])
def test_requesters_get_404_on_every_sla_page(sla, people, now, name):
    ticket = factories.ticket(requester=people.alice, now=now)
    client = client_for(getattr(people, name))
    for url in (reverse("sla:overdue"), reverse("sla:due_soon"), reverse("sla:ticket", args=[ticket.number])):
        assert client.get(url).status_code == 404


def test_ledger_of_an_invisible_ticket_is_404_like_a_missing_one(sla, people, now):
    ticket = factories.ticket(requester=people.carol, now=now, team=people.first_line)
    sam = client_for(people.sam)
    assert sam.get(reverse("sla:ticket", args=[ticket.number])).status_code == 404
    assert sam.get(reverse("sla:ticket", args=[999999])).status_code == 404


@pytest.mark.parametrize(("url_name", "later", "clocks_per_ticket"), [
    ("sla:overdue", timedelta(days=1), 2),  # Tuesday noon: reaction and resolution both late
    ("sla:due_soon", timedelta(minutes=45), 1),  # 12:45: the reaction clock is about to expire
])
def test_queue_pages_cost_the_same_queries_for_2_and_20_rows(sla, people, now, url_name, later, clocks_per_ticket):
    sam = client_for(people.sam)

    def measure() -> tuple[int, int]:
        with time_machine.travel(now + later, tick=False):
            # Counted second: the first request also fills the remembered configuration (otklik.core.lookups).
            rows = sam.get(reverse(url_name)).content.decode().count("data-ticket=")
            queries = count_queries(lambda: sam.get(reverse(url_name)))
        return queries, rows

    for _ in range(2):
        factories.ticket(requester=people.alice, now=now, team=people.second_line)
    small, small_rows = measure()
    for _ in range(18):
        factories.ticket(requester=people.alice, now=now, team=people.second_line)
    large, large_rows = measure()
    assert (small_rows, large_rows) == (2 * clocks_per_ticket, 20 * clocks_per_ticket)
    assert small == large


def test_ledger_shows_counted_paused_and_outside_hours_spans_and_takes_an_override(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 17), team=people.second_line)
    changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(3, 10))
    changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(3, 11))
    sam = client_for(people.sam)
    with time_machine.travel(msk(3, 12), tick=False):
        body = sam.get(reverse("sla:ticket", args=[ticket.number])).content.decode()
    for kind in ("running", "paused", "late"):
        assert f'data-ledger-kind="{kind}"' in body
    assert "data-sla-summary" in body and "data-sla-day-length" in body
    response = sam.post(reverse("sla:override", args=[ticket.number]),
                        {"metric": "resolution", "due_at": "2026-03-06T12:00", "reason": "agreed by phone"})
    assert response.status_code == 302
    resolution = SlaClock.objects.get(ticket=ticket, metric="resolution")
    assert resolution.manual_due_at == msk(6, 12)  # Sam has no time zone: the site's, Moscow
    # a requester cannot post an override, and learns nothing about the ticket
    assert client_for(people.carol).post(reverse("sla:override", args=[ticket.number]),
                                         {"metric": "resolution", "due_at": "2026-03-07T12:00",
                                          "reason": "x"}).status_code == 404


def test_badge_reads_prefetched_clocks_without_a_query_per_row(sla, people, now):
    for _ in range(5):
        factories.ticket(requester=people.alice, now=now)
    template = Template("{% load sla_tags %}{% for t in tickets %}{% sla_badge t %}{% endfor %}")

    def render() -> str:
        tickets = list(Ticket.objects.order_by("pk"))
        selectors.attach_clocks(tickets)
        return template.render(Context({"tickets": tickets, "now": now + timedelta(hours=2)}))

    assert count_queries(render) == 2  # the tickets and their clocks
    html = render()
    assert html.count('data-sla-status="late"') == 5
    assert "late by 1 h" in html
    # without prefetching, the badge falls back to the ticket's own next due time (no query)
    tickets = list(Ticket.objects.order_by("pk"))
    html = Template("{% load sla_tags %}{% sla_badge t %}").render(Context({"t": tickets[0], "now": now}))
    assert "due in 1 h" in html


def test_ticket_panel_shows_state_due_time_in_the_viewers_zone_and_working_time_left(sla, people, now, rf):
    people.sam.time_zone = "Asia/Yekaterinburg"  # UTC+5
    people.sam.save()
    ticket = factories.ticket(requester=people.alice, now=now, team=people.second_line)
    template = Template("{% load sla_tags %}{% sla_panel ticket %}")
    request = rf.get("/")
    request.user = people.sam
    with time_machine.travel(now + timedelta(minutes=20), tick=False):
        html = template.render(Context({"ticket": ticket, "request": request}))
    assert 'data-sla-metric="reaction" data-sla-status="running"' in html
    assert "15:00" in html  # due 13:00 Moscow = 15:00 in Yekaterinburg
    assert "40 min of working time left" in html
    request.user = people.alice
    assert "sla-panel" not in template.render(Context({"ticket": ticket, "request": request}))
