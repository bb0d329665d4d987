"""The ledger a manager reads (SPEC 8.2, 8.3): summary first, runs of alike time folded, working
durations in the schedule's working days, "late by" on a late clock, the same figures in the API.
Hand-computed on the test office (Moscow, Mon-Fri 09:00-18:00, a 9 h working day)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.sla import selectors, sweep
from otklik.sla.ledger import humanize_working, working_day_seconds
from otklik.testing import factories
from otklik.testing.personas import PASSWORD
from otklik.testing.queries import count_queries
from otklik.tickets import changes, services
from otklik.worktime import parse_calendar

from .helpers import clock

pytestmark = pytest.mark.django_db
HOUR = 3600


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


def detail(ticket, metric, now):
    return selectors.clock_detail(clock(ticket, metric), now)


def overdue_ticket(people):
    """Created Monday 2 March 12:00, never answered; the sweep ran every few days for four weeks."""
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=msk(2, 12))
    for day in (2, 5, 11, 18, 25):
        sweep.sla_sweep(now=msk(day, 17))
    return ticket


def test_a_long_overdue_clock_is_two_rows_and_a_summary_in_working_days(sla, people):
    ticket = overdue_ticket(people)
    now = msk(30, 12)
    resolution = detail(ticket, "resolution", now)
    # due Tuesday 11:00 (Mon 12-18 + Tue 9-11); late since then
    assert [(run.kind, run.late, run.start, run.end) for run in resolution.ledger] == [
        ("running", False, msk(2, 12), msk(3, 11)), ("running", True, msk(3, 11), msk(30, 12))]
    before, late = resolution.ledger
    assert (before.counted_seconds, before.outside_hours_seconds) == (8 * HOUR, 15 * HOUR)
    # Tue 11-18, Wed-Fri, three full weeks, Monday 9-12: 7 + 27 + 135 + 3 h
    assert late.counted_seconds == 172 * HOUR
    summary = resolution.summary
    assert summary.working_day_seconds == 9 * HOUR
    assert summary.counted_seconds == 180 * HOUR
    assert summary.outside_hours_seconds == (28 * 24 - 180) * HOUR
    assert summary.paused_seconds == 0
    assert summary.remaining_seconds is None
    assert summary.late_by_seconds == (27 * 24 + 1) * HOUR
    assert summary.business_overrun_seconds == 172 * HOUR
    assert humanize_working(summary.counted_seconds, summary.working_day_seconds) == "20 wd"
    assert humanize_working(summary.business_overrun_seconds, summary.working_day_seconds) == "19 wd 1 h"


def test_pauses_fold_into_their_own_rows_and_repeated_events_add_none(sla, people):
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=msk(2, 12))
    for day in (3, 4):
        changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=factories.status("paused"),
                                      now=msk(day, 10))
        changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=factories.status("open"),
                                      now=msk(day, 11))
    sweep.sla_sweep(now=msk(4, 16))  # warnings and breaches are log entries, not new rows
    resolution = detail(ticket, "resolution", msk(4, 17))
    kinds = [(run.kind, run.late) for run in resolution.ledger]
    # 8 h budget: Mon 12-18, Tue 9-10, (pause), Tue 11-12 -> due Tue 12:00; late from there on
    assert kinds == [("running", False), ("paused", False), ("running", False), ("running", True),
                     ("paused", False), ("running", True)]
    assert all(a != b for a, b in pairwise(kinds))  # no repeated row
    summary = resolution.summary
    assert summary.paused_seconds == 2 * HOUR
    assert summary.counted_seconds == (6 + 1 + 1 + 7 + 6) * HOUR  # ... Tue 12-18, Wed 9-10, Wed 11-17
    assert summary.late_by_seconds == 29 * HOUR  # Tue 12:00 -> Wed 17:00


def test_working_day_length_follows_the_schedule():
    lunch = [["09:00", "13:00"], ["14:00", "18:00"]]
    office = parse_calendar("Europe/Moscow", {"mon": lunch, "tue": lunch, "wed": lunch, "thu": "off",
                                              "fri": [["09:00", "16:45"]], "sat": "off", "sun": "off"}, [])
    assert working_day_seconds(office) == 8 * HOUR
    around_the_clock = parse_calendar("UTC", dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
                                      [])
    assert working_day_seconds(around_the_clock) == 24 * HOUR
    assert humanize_working(2 * 24 * HOUR + 3 * HOUR, 24 * HOUR) == "2 d 3 h"
    assert humanize_working(2 * 8 * HOUR + 3 * HOUR, 8 * HOUR) == "2 wd 3 h"
    assert humanize_working(59, 8 * HOUR) == "< 1 min"


def test_the_ledger_page_of_a_long_overdue_ticket_fits_on_one_screen(sla, people):
    ticket = overdue_ticket(people)
    client = Client()
    assert client.login(email=people.sam.email, password=PASSWORD)
    with time_machine.travel(msk(30, 12), tick=False):
        body = client.get(reverse("sla:ticket", args=[ticket.number])).content.decode()
    assert len(re.findall(r"data-ledger-kind=", body)) <= 4  # two clocks, two rows each
    assert "Late by" in body and "27 d 1 h" in body
    assert "20 wd" in body and "9 h" in body  # counted, in working days, with the day length said


def test_the_panel_says_late_by_not_less_than_a_minute_left(sla, people, rf):
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=msk(2, 12))
    request = rf.get("/")
    request.user = people.sam
    with time_machine.travel(msk(2, 13, 20), tick=False):
        html = Template("{% load sla_tags %}{% sla_panel ticket %}").render(Context({"ticket": ticket,
                                                                                   "request": request}))
    assert "late by 20 min" in html
    assert "&lt; 1 min of working time left" not in html


def test_the_api_gives_the_same_figures(sla, people):
    ticket = overdue_ticket(people)
    issued = token_create(actor=people.sam, user=people.sam, name="t", scopes=("read",), now=msk(2, 12))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    with time_machine.travel(msk(30, 12), tick=False):
        response = api.get(f"/api/v1/tickets/{ticket.number}/sla/")
    assert response.status_code == 200, response.content
    resolution = next(c for c in response.json()["clocks"] if c["metric"] == "resolution")
    assert resolution["summary"] == {
        "counted_seconds": 180 * HOUR, "paused_seconds": 0, "outside_hours_seconds": (28 * 24 - 180) * HOUR,
        "remaining_seconds": None, "late_by_seconds": (27 * 24 + 1) * HOUR,
        "business_overrun_seconds": 172 * HOUR, "working_day_seconds": 9 * HOUR,
    }
    assert [(run["kind"], run["late"]) for run in resolution["ledger"]] == [("running", False), ("running", True)]


def test_the_ledger_page_costs_the_same_queries_with_more_cycles(sla, people):
    sla.standard.next_reply_minutes = 60
    sla.standard.save()
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=msk(2, 12))
    services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="a", now=msk(2, 12, 10))
    client = Client()
    assert client.login(email=people.sam.email, password=PASSWORD)
    url = reverse("sla:ticket", args=[ticket.number])

    def cycle(hour: int) -> None:
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="q", now=msk(3, hour))
        services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="a", now=msk(3, hour, 30))

    cycle(9)
    client.get(url)  # warm caches (calendar snapshots)
    few = count_queries(lambda: client.get(url))
    for hour in range(10, 16):
        cycle(hour)
    many = count_queries(lambda: client.get(url))
    assert many == few
