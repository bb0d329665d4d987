"""Events logged late (SPEC 7.2): a call logged afterwards carries the instant it happened, and
the clocks are replayed so the outcome is computed with it. Expected values are worked out by
hand on the test office (Moscow, Mon-Fri 09:00-18:00; reaction 60, resolution 480, warn 30)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.core.errors import InvalidInput
from otklik.sla import sweep
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import Message

from .helpers import assert_matches_log, clock

pytestmark = pytest.mark.django_db


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


def test_a_call_logged_after_the_deadline_is_judged_at_the_time_it_happened(sla, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))  # reaction due Mon 13:00
    sweep.sla_sweep(now=msk(2, 13, 30))  # the sweep saw the clock late
    assert clock(ticket, "reaction").breached_at == msk(2, 13)
    # at 14:00 the agent logs the call she took at 12:40
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Called: printer fixed.",
                          happened_at=msk(2, 12, 40), now=msk(2, 14))
    reaction = clock(ticket, "reaction")
    assert reaction.state == "stopped"
    assert reaction.stopped_at == msk(2, 12, 40)
    assert reaction.met is True
    assert reaction.final_business_seconds == 40 * 60
    assert reaction.breached_at is None  # the stamp came from missing information, not from a breach
    assert reaction.events.filter(kind="replay").count() == 1
    assert_matches_log(reaction)
    message = Message.objects.get(ticket=ticket, body_text__startswith="Called")
    assert message.created_at == msk(2, 12, 40)
    ticket.refresh_from_db()
    assert ticket.first_response_at == msk(2, 12, 40)
    assert ticket.updated_at == msk(2, 14)


def test_a_late_call_after_a_later_reply_moves_the_first_response_back(sla, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="mail", now=msk(2, 13, 20))
    assert clock(ticket, "reaction").met is False
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="call", happened_at=msk(2, 12, 50),
                          now=msk(2, 13, 30))
    reaction = clock(ticket, "reaction")
    assert (reaction.stopped_at, reaction.met, reaction.final_business_seconds) == (msk(2, 12, 50), True, 50 * 60)
    assert_matches_log(reaction)


def test_a_late_status_change_pauses_the_clock_from_when_it_happened(sla, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk,
                                  status=factories.status("needs_clarification"), happened_at=msk(2, 13),
                                  now=msk(2, 16))
    resolution = clock(ticket, "resolution")
    assert resolution.state == "paused"
    assert resolution.consumed_seconds == 3600  # 12:00-13:00 only
    assert resolution.due_at is None
    assert_matches_log(resolution)
    # the requester answers on Tuesday 10:00: 7 h left -> Tuesday 17:00
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="here", now=msk(3, 10))
    resolution = clock(ticket, "resolution")
    assert resolution.state == "running"
    assert resolution.due_at == msk(3, 17)
    assert_matches_log(resolution)


def test_a_late_resolve_stops_the_resolution_clock_in_time(sla, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    # resolved on Tuesday 10:30 (480 min due Tue 11:00) but logged at 11:30
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("resolved"),
                                  happened_at=msk(3, 10, 30), now=msk(3, 11, 30))
    resolution = clock(ticket, "resolution")
    assert (resolution.state, resolution.met, resolution.final_business_seconds) == ("stopped", True, 7.5 * 3600)
    assert resolution.stopped_at == msk(3, 10, 30)
    assert_matches_log(resolution)


@pytest.mark.parametrize(("happened", "message"), [
    (msk(2, 15), "future"),
    (msk(2, 11), "before the ticket was created"),
])
def test_happened_at_outside_the_ticket_life_is_refused_and_nothing_is_written(sla, people, happened, message):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    before = Message.objects.filter(ticket=ticket).count()
    with pytest.raises(InvalidInput) as error:
        services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="x", happened_at=happened,
                              now=msk(2, 14))
    assert message in str(error.value.message)
    assert "happened_at" in error.value.errors
    assert Message.objects.filter(ticket=ticket).count() == before
    assert clock(ticket, "reaction").state == "running"


def test_requesters_may_not_backdate_and_naive_times_are_refused(sla, people):
    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    with pytest.raises(InvalidInput):
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="x", happened_at=msk(2, 12, 30),
                              now=msk(2, 14))
    with pytest.raises(InvalidInput):
        services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="x",
                              happened_at=datetime(2026, 3, 2, 10, 0), now=msk(2, 14))  # noqa: DTZ001 (the point)


def test_the_ledger_of_a_replayed_clock_shows_what_really_happened(sla, people):
    from otklik.sla import selectors

    ticket = factories.ticket(requester=people.alice, now=msk(2, 12))
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk,
                                  status=factories.status("needs_clarification"), happened_at=msk(2, 13),
                                  now=msk(2, 16))
    detail = selectors.clock_detail(clock(ticket, "resolution"), msk(2, 17))
    assert [(run.kind, run.start, run.end) for run in detail.ledger] == [
        ("running", msk(2, 12), msk(2, 13)), ("paused", msk(2, 13), msk(2, 17))]
    assert (detail.summary.counted_seconds, detail.summary.paused_seconds) == (3600, 4 * 3600)
