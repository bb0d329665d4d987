"""Clocks driven through the real ticket services: start, pause, resume, stop, reopen, cancel.
After every scenario the stored clock must equal a replay of its event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.sla.models import SlaClock
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import Ticket

from .helpers import assert_matches_log, clock

pytestmark = pytest.mark.django_db

MSK = timedelta(hours=3)


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    """A Moscow wall-clock time in March 2026, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - MSK


def test_a_new_ticket_gets_running_clocks_due_on_working_time(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)  # Monday 12:00 Moscow
    reaction, resolution = clock(ticket, "reaction"), clock(ticket, "resolution")
    assert reaction.state == resolution.state == "running"
    assert reaction.due_at == msk(2, 13)
    assert reaction.warn_at == msk(2, 12, 30)
    # 6 h on Monday, 2 h on Tuesday
    assert resolution.due_at == msk(3, 11)
    ticket.refresh_from_db()
    assert ticket.sla_next_due_at == msk(2, 13)
    assert_matches_log(reaction)
    assert_matches_log(resolution)


def test_ticket_outside_hours_starts_counting_at_next_opening(sla, people):
    ticket = factories.ticket(requester=people.alice, now=msk(6, 20))  # Friday evening
    assert clock(ticket, "reaction").due_at == msk(9, 10)  # Monday 10:00


def test_first_public_staff_reply_stops_reaction_notes_and_requester_replies_do_not(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="looking",
                             now=now + timedelta(minutes=5))
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="any news?",
                          now=now + timedelta(minutes=10))
    assert clock(ticket, "reaction").state == "running"
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="on it", now=now + timedelta(minutes=25))
    reaction = clock(ticket, "reaction")
    assert reaction.state == "stopped"
    assert reaction.met is True
    assert reaction.final_business_seconds == 25 * 60
    assert reaction.breached_at is None
    ticket.refresh_from_db()
    assert ticket.sla_next_due_at == clock(ticket, "resolution").due_at
    assert_matches_log(reaction)


def test_agent_created_ticket_opening_message_is_not_a_reply(sla, people, now):
    ticket = services.ticket_create_on_behalf(actor=people.fiona, requester=people.alice, subject="Call",
                                              body_text="called about the printer", now=now)
    assert clock(ticket, "reaction").state == "running"


def test_pausing_status_pauses_both_clocks_and_resume_lays_out_the_rest(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk,
                                  status=factories.status("needs_clarification"), now=msk(2, 13))
    resolution = clock(ticket, "resolution")
    assert resolution.state == "paused"
    assert resolution.due_at is None and resolution.warn_at is None
    assert resolution.consumed_seconds == 3600
    ticket.refresh_from_db()
    assert ticket.sla_next_due_at is None
    # the requester answers next morning: the ticket opens again and the clocks resume
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="Room 305", now=msk(3, 10))
    resolution = clock(ticket, "resolution")
    assert resolution.state == "running"
    assert resolution.due_at == msk(3, 17)  # 7 h left from Tuesday 10:00
    assert resolution.paused_seconds == 21 * 3600
    assert_matches_log(resolution)
    assert_matches_log(clock(ticket, "reaction"))


def test_pause_over_the_weekend_counts_business_time_only(sla, people):
    ticket = factories.ticket(requester=people.alice, now=msk(6, 17))  # Friday 17:00
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(6, 17, 30))
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(9, 9))
    resolution = clock(ticket, "resolution")
    assert resolution.consumed_seconds == 30 * 60
    assert resolution.due_at == msk(9, 16, 30)  # 7 h 30 min from Monday 09:00
    assert_matches_log(resolution)


def test_ticket_created_in_a_pausing_status_starts_paused(sla, people, now, settings):
    from otklik.tickets.models import Status

    Status.objects.filter(code="new").update(pauses_sla=True)
    ticket = factories.ticket(requester=people.alice, now=now)
    assert clock(ticket, "resolution").state == "paused"
    assert clock(ticket, "resolution").due_at is None


def test_resolve_stops_and_reopen_resumes_resolution_with_its_used_time(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=msk(2, 14))
    resolution, reaction = clock(ticket, "resolution"), clock(ticket, "reaction")
    assert resolution.state == "stopped" and resolution.met is True
    assert resolution.final_business_seconds == 2 * 3600
    # resolving also stops the reaction clock (SPEC 6.1), late: due 13:00
    assert reaction.state == "stopped" and reaction.met is False
    assert reaction.breached_at == msk(2, 13)
    ticket.refresh_from_db()
    assert ticket.sla_next_due_at is None

    changes.ticket_reopen(actor=people.alice, ticket_id=ticket.pk, now=msk(3, 9))
    resolution, reaction = clock(ticket, "resolution"), clock(ticket, "reaction")
    assert resolution.state == "running"
    assert resolution.reopen_count == 1
    assert resolution.consumed_seconds == 2 * 3600
    assert resolution.due_at == msk(3, 15)  # 6 h left from Tuesday 09:00
    assert reaction.state == "stopped"  # the reaction clock never restarts
    assert resolution.cycle == 1
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=msk(3, 16))
    resolution = clock(ticket, "resolution")
    assert resolution.met is False
    assert resolution.breached_at == msk(3, 15)
    assert resolution.final_business_seconds == 9 * 3600
    assert_matches_log(resolution)
    assert_matches_log(reaction)


def test_pause_after_the_deadline_keeps_the_deadline_and_the_breach(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 14))
    reaction = clock(ticket, "reaction")
    assert reaction.state == "paused"
    assert reaction.due_at == msk(2, 13)
    assert reaction.breached_at == msk(2, 13)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(2, 15))
    reaction = clock(ticket, "reaction")
    assert reaction.state == "running" and reaction.due_at == msk(2, 13)
    assert_matches_log(reaction)


def test_pause_exactly_at_the_deadline_is_not_late(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 13))
    reaction = clock(ticket, "reaction")
    assert reaction.breached_at is None
    assert reaction.due_at == msk(2, 13)  # budget spent: the deadline stays
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="hi", now=msk(2, 13))
    reaction = clock(ticket, "reaction")
    assert reaction.met is True


def test_merge_cancels_the_source_clocks(sla, people, now):
    source = factories.ticket(requester=people.alice, now=now)
    target = factories.ticket(requester=people.alice, now=now)
    changes.ticket_merge(actor=people.fiona, source_id=source.pk, target_id=target.pk, now=msk(2, 12, 30))
    assert set(SlaClock.objects.filter(ticket=source).values_list("state", flat=True)) == {"cancelled"}
    assert set(SlaClock.objects.filter(ticket=target).values_list("state", flat=True)) == {"running"}
    assert Ticket.objects.get(pk=source.pk).sla_next_due_at is None
    for row in SlaClock.objects.filter(ticket=source):
        assert_matches_log(row)


def test_no_policy_means_no_clocks(db, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.get(pk=ticket.pk).sla_next_due_at is None
