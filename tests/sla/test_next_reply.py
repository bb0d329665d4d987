"""The next-reply clock (SPEC 6.4): from each requester message to the next public staff answer,
one cycle each, its own target per policy, pausing like the others. Hand-computed on the test
office (Moscow, Mon-Fri 09:00-18:00), next reply 120 working minutes, warn 30."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.sla.models import SlaClock
from otklik.testing import factories
from otklik.tickets import changes, services

from .helpers import assert_matches_log

pytestmark = pytest.mark.django_db


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


@pytest.fixture
def next_reply(sla):
    sla.standard.next_reply_minutes = 120
    sla.standard.save()
    return sla


def cycles(ticket) -> list[SlaClock]:
    return list(SlaClock.objects.filter(ticket=ticket, metric="next_reply").order_by("cycle"))


def reply(person, ticket, at, text="x", **options):
    return services.ticket_reply(actor=person, ticket_id=ticket.pk, body_text=text, now=at, **options)


def test_no_next_reply_cycle_before_the_first_answer(next_reply, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.alice, ticket, msk(2, 12, 10))  # the reaction clock measures this wait
    assert cycles(ticket) == []


def test_each_requester_message_after_an_answer_starts_a_cycle_stopped_by_the_next_answer(next_reply, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.fiona, ticket, msk(2, 12, 30))
    reply(people.alice, ticket, msk(2, 16))  # cycle 1: 2 working hours -> Monday 18:00
    (first,) = cycles(ticket)
    assert (first.state, first.started_at, first.due_at, first.warn_at) == (
        "running", msk(2, 16), msk(2, 18), msk(2, 17, 30))
    reply(people.fiona, ticket, msk(3, 9, 30))  # Tuesday 09:30: 2 h Monday + 30 min Tuesday
    first = cycles(ticket)[0]
    assert (first.state, first.met, first.final_business_seconds, first.breached_at) == (
        "stopped", False, 9000, msk(2, 18))
    assert_matches_log(first)
    reply(people.alice, ticket, msk(3, 10))  # cycle 2, due 12:00
    reply(people.alice, ticket, msk(3, 10, 30))  # still unanswered: no new cycle
    reply(people.fiona, ticket, msk(3, 11))
    first, second = cycles(ticket)
    assert (second.cycle, second.started_at, second.due_at) == (2, msk(3, 10), msk(3, 12))
    assert (second.state, second.met, second.final_business_seconds) == ("stopped", True, 3600)
    assert_matches_log(second)


def test_a_next_reply_cycle_pauses_in_a_pausing_status(next_reply, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.fiona, ticket, msk(2, 12, 30))
    reply(people.alice, ticket, msk(2, 14))  # due 16:00
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 14, 30))
    (cycle,) = cycles(ticket)
    assert (cycle.state, cycle.due_at, cycle.consumed_seconds) == ("paused", None, 1800)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(3, 10))
    (cycle,) = cycles(ticket)
    assert (cycle.state, cycle.due_at) == ("running", msk(3, 11, 30))  # 90 min left from Tuesday 10:00
    assert_matches_log(cycle)


def test_a_requester_answer_to_a_waiting_ticket_starts_a_running_cycle(next_reply, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.fiona, ticket, msk(2, 12, 30), new_status=factories.status("needs_clarification"))
    reply(people.alice, ticket, msk(2, 15))  # wakes the ticket at the same instant
    (cycle,) = cycles(ticket)
    assert (cycle.state, cycle.due_at, cycle.consumed_seconds) == ("running", msk(2, 17), 0)
    assert_matches_log(cycle)


def test_resolving_stops_the_open_cycle_and_no_target_means_no_cycle(sla, next_reply, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.fiona, ticket, msk(2, 12, 30))
    reply(people.alice, ticket, msk(2, 13))
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=msk(2, 13, 30))
    (cycle,) = cycles(ticket)
    assert (cycle.state, cycle.met) == ("stopped", True)
    sla.standard.next_reply_minutes = None
    sla.standard.save()
    other = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.fiona, other, msk(2, 12, 30))
    reply(people.alice, other, msk(2, 13))
    assert cycles(other) == []


def test_a_staff_answer_logged_late_stops_the_cycle_when_it_happened(next_reply, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.fiona, ticket, msk(2, 12, 30))
    reply(people.alice, ticket, msk(2, 13))  # due 15:00
    reply(people.fiona, ticket, msk(2, 16), happened_at=msk(2, 14))
    (cycle,) = cycles(ticket)
    assert (cycle.state, cycle.met, cycle.final_business_seconds, cycle.breached_at) == (
        "stopped", True, 3600, None)
    assert_matches_log(cycle)


def test_an_imported_requester_message_logged_late_starts_its_cycle_when_it_was_written(next_reply, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    reply(people.fiona, ticket, msk(2, 12, 30))
    # an import (the system, actor None) brings in a requester message written at 13:00, at 15:00
    services.ticket_reply(actor=None, ticket_id=ticket.pk, body_text="from the old system",
                          happened_at=msk(2, 13), now=msk(2, 15))
    (cycle,) = cycles(ticket)
    assert (cycle.started_at, cycle.due_at, cycle.state) == (msk(2, 13), msk(2, 15), "running")
    assert_matches_log(cycle)
    reply(people.fiona, ticket, msk(2, 15, 30))
    (cycle,) = cycles(ticket)
    assert (cycle.met, cycle.breached_at, cycle.final_business_seconds) == (False, msk(2, 15), 9000)
