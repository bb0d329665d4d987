"""Report selectors, the periodic job, and bad configuration that must not stop ticket intake."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine

from otklik.sla import selectors, tasks
from otklik.sla.models import Schedule, SlaClock, SlaPolicy
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import EventKind, TicketEvent

from .test_clock_lifecycle import msk

pytestmark = pytest.mark.django_db


def test_outcomes_report_met_breached_and_both_overruns(sla, people, now):
    on_time = factories.ticket(requester=people.alice, now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=on_time.pk, body_text="hi", now=msk(2, 12, 20))
    changes.ticket_resolve(actor=people.fiona, ticket_id=on_time.pk, now=msk(2, 15))
    late = factories.ticket(requester=people.bob, now=msk(2, 17))
    # due Monday 18:00 (its one working hour is 17:00-18:00), answered Tuesday 10:05
    services.ticket_reply(actor=people.fiona, ticket_id=late.pk, body_text="sorry", now=msk(3, 10, 5))
    outcomes = selectors.clock_outcomes(people.adam, since=msk(1, 0), until=msk(4, 0), now=msk(4, 0))
    by_key = {(o.ticket_number, o.metric): o for o in outcomes}
    assert by_key[(on_time.number, "reaction")].outcome == "met"
    assert by_key[(on_time.number, "resolution")].business_seconds == 3 * 3600
    late_reaction = by_key[(late.number, "reaction")]
    assert late_reaction.outcome == "breached"
    assert late_reaction.wall_overrun_seconds == 16 * 3600 + 5 * 60
    assert late_reaction.business_overrun_seconds == 65 * 60  # Tuesday 09:00-10:05
    assert (late.number, "resolution") not in by_key  # still running: not in the period's stopped clocks
    with_open = selectors.clock_outcomes(people.adam, since=msk(1, 0), until=msk(4, 0), now=msk(4, 0),
                                         include_open=True)
    running = {(o.ticket_number, o.metric): o for o in with_open}[(late.number, "resolution")]
    assert running.outcome == "breached"  # due Tuesday 16:00, it is Wednesday
    assert running.business_seconds == 10 * 3600  # Monday 1 h + Tuesday 9 h


def test_compliance_summary_counts_per_metric_and_policy_and_respects_access(sla, people, now):
    for index, minutes in enumerate((20, 50, 70)):
        ticket = factories.ticket(requester=people.alice, now=now, subject=f"t{index}")
        services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="hi",
                              now=now + timedelta(minutes=minutes))
    rows = selectors.compliance_summary(people.adam, since=msk(1, 0), until=msk(9, 0))
    [reaction] = [row for row in rows if row["metric"] == "reaction"]
    assert (reaction["total"], reaction["met_count"], reaction["breached_count"]) == (3, 2, 1)
    assert reaction["compliance_percent"] == pytest.approx(66.7)
    assert reaction["policy__name"] == "Standard"
    assert selectors.compliance_summary(people.alice, since=msk(1, 0), until=msk(9, 0)) == []
    assert selectors.compliance_summary(people.sam, since=msk(1, 0), until=msk(9, 0)) == []  # not his team


def test_the_periodic_sweep_runs_once_per_minute(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    with time_machine.travel(msk(2, 14), tick=False):
        first = tasks.sla_sweep_job.call_local()
        second = tasks.sla_sweep_job.call_local()
    assert first["breached"] == 1
    assert second == {}
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACHED).count() == 1


def test_a_broken_calendar_logs_and_lets_the_ticket_in_without_clocks(sla, people, now, caplog):
    Schedule.objects.filter(pk=sla.schedule.pk).update(week={"mon": [["09:00", "25:00"]]})
    with caplog.at_level(logging.ERROR, logger="otklik.sla.services"):
        ticket = factories.ticket(requester=people.alice, now=now)
    assert ticket.pk is not None
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    assert "Standard" in caplog.text and "25:00" in caplog.text


def test_inactive_policies_are_ignored(sla, people, now):
    SlaPolicy.objects.filter(pk=sla.standard.pk).update(is_active=False)
    ticket = factories.ticket(requester=people.alice, now=now)
    assert not SlaClock.objects.filter(ticket=ticket).exists()
