"""Mid-ticket changes: a different policy (SPEC 7.3), calendar edits (7.4), a manual due time (7.5).
Each stored clock must still equal a replay of its log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from otklik.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from otklik.sla import services as sla_services
from otklik.sla import sweep
from otklik.sla.models import CalendarException, ReplanRun, SlaClock, SlaPolicy
from otklik.testing import factories
from otklik.tickets import changes
from otklik.tickets.models import EventKind, Ticket

from .helpers import assert_matches_log, clock
from .test_clock_lifecycle import msk

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_policy(sla):
    policy = SlaPolicy.objects.create(name="Access", schedule=sla.schedule, position=10, reaction_minutes=15,
                                      resolution_minutes=40, warn_before_minutes=10)
    policy.request_types.add(factories.request_type("access-request"))
    return policy


def test_policy_change_rebases_with_the_time_already_used(sla, access_policy, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)  # Standard: resolution 480
    assert clock(ticket, "resolution").policy_id == sla.standard.pk
    changes.ticket_change_request_type(actor=people.fiona, ticket_id=ticket.pk,
                                        request_type=access_policy.request_types.get(), now=msk(2, 12, 30))
    resolution = clock(ticket, "resolution")
    assert resolution.policy_id == access_policy.pk
    assert resolution.target_seconds == 40 * 60
    assert resolution.consumed_seconds == 30 * 60
    assert resolution.due_at == msk(2, 12, 40)  # 10 minutes left
    reaction = clock(ticket, "reaction")
    # 30 minutes used of a new 15-minute target: late from the change on
    assert reaction.due_at == msk(2, 12, 30)
    assert reaction.breached_at is None
    changed = ticket.events.get(kind=EventKind.SLA_CHANGED)
    assert changed.data["to_policy"] == access_policy.pk and changed.data["from_policies"] == [sla.standard.pk]
    assert_matches_log(resolution)
    assert_matches_log(reaction)


def test_breach_before_a_policy_change_stays_recorded(sla, access_policy, people, now):
    ticket = factories.ticket(requester=people.alice, now=now, request_type=access_policy.request_types.get())
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 12, 20))
    assert clock(ticket, "reaction").breached_at == msk(2, 12, 15)
    changes.ticket_change_request_type(actor=people.fiona, ticket_id=ticket.pk, request_type=None,
                                        now=msk(2, 12, 25))
    reaction = clock(ticket, "reaction")
    assert reaction.policy_id == sla.standard.pk
    assert reaction.state == "paused"
    assert reaction.due_at is None  # 40 of 60 minutes left, waiting for the resume
    assert reaction.breached_at == msk(2, 12, 15)  # never un-breached
    assert_matches_log(reaction)


def test_a_policy_without_a_target_cancels_the_clock_and_one_with_a_target_adds_it_from_creation(
    sla, people, now
):
    category = factories.category("Printers")
    no_reaction = SlaPolicy.objects.create(name="Printers", schedule=sla.schedule, position=5,
                                           resolution_minutes=960)
    no_reaction.categories.add(category)
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_category(actor=people.fiona, ticket_id=ticket.pk, category=category, now=msk(2, 12, 10))
    assert clock(ticket, "reaction").state == "cancelled"
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 14))
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(2, 15))
    # back to the standard policy: a new reaction cycle is replayed from the ticket's creation
    changes.ticket_change_category(actor=people.fiona, ticket_id=ticket.pk, category=None, now=msk(2, 16))
    reaction = clock(ticket, "reaction")
    assert reaction.cycle == 2
    assert reaction.started_at == now
    assert reaction.state == "running"
    # 12:00-14:00 counted, 14:00-15:00 paused, checkpoint at the resume
    assert (reaction.consumed_seconds, reaction.checkpoint_at) == (2 * 3600, msk(2, 15))
    assert reaction.due_at == msk(2, 13)
    # the replayed pause at 14:00 came after the 13:00 deadline: the breach is history, not news
    assert reaction.breached_at == msk(2, 13)
    assert not reaction.notices.exists()
    assert sweep.sla_sweep(now=msk(2, 16, 1)).breached == 0
    assert_matches_log(reaction)


def test_subcategories_match_their_parent_policy(sla, people, now):
    hardware = factories.category("Hardware")
    printers = factories.category("Printers", parent=hardware)
    policy = SlaPolicy.objects.create(name="Hardware", schedule=sla.schedule, position=5, reaction_minutes=120,
                                      resolution_minutes=960)
    policy.categories.add(hardware)
    ticket = factories.ticket(requester=people.alice, now=now, category=printers)
    assert clock(ticket, "reaction").policy_id == policy.pk


def test_policies_match_in_order_and_the_first_wins(sla, people, now):
    high = factories.priority("high")
    org_policy = SlaPolicy.objects.create(name="Org A", schedule=sla.schedule, position=20, reaction_minutes=30,
                                          resolution_minutes=240)
    org_policy.organizations.add(people.org_a)
    urgent = SlaPolicy.objects.create(name="Org A urgent", schedule=sla.schedule, position=10, reaction_minutes=10,
                                      resolution_minutes=120)
    urgent.organizations.add(people.org_a)
    urgent.priorities.add(high)
    assert clock(factories.ticket(requester=people.alice, now=now), "reaction").policy_id == org_policy.pk
    # criticality is set by staff (a phone call typed in by Fiona)
    assert clock(factories.ticket(requester=people.alice, actor=people.fiona, now=now, priority=high),
                 "reaction").policy_id == urgent.pk
    assert clock(factories.ticket(requester=people.carol, actor=people.fiona, now=now, priority=high),
                 "reaction").policy_id == sla.standard.pk


def test_holiday_added_for_tomorrow_moves_open_deadlines_in_the_background(
    sla, people, now, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(requester=people.alice, now=now)
    done = factories.ticket(requester=people.bob, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=done.pk, now=msk(2, 13))
    stopped_before = SlaClock.objects.get(ticket=done, metric="resolution")
    assert clock(ticket, "resolution").due_at == msk(3, 11)
    with time_machine.travel(msk(2, 13), tick=False), django_capture_on_commit_callbacks(execute=True):
        CalendarException.objects.create(holiday_calendar=sla.holidays, name="Day off", kind="rest",
                                         date_from=date(2026, 3, 3), date_to=date(2026, 3, 3))
    run = ReplanRun.objects.get()
    assert run.state == "done"
    assert (run.total, run.processed) == (2, 2)  # the two open clocks of `ticket`
    resolution = clock(ticket, "resolution")
    assert resolution.due_at == msk(4, 11)
    assert resolution.events.filter(kind="calendar_change").count() == 1
    Ticket.objects.get(pk=ticket.pk)
    stopped_after = SlaClock.objects.get(ticket=done, metric="resolution")
    assert (stopped_after.calendar_key, stopped_after.due_at) == (stopped_before.calendar_key, stopped_before.due_at)
    assert_matches_log(resolution)
    # the job is idempotent: running it again changes nothing
    sla_services.replan_run(run_id=run.pk, now=now)
    assert clock(ticket, "resolution").events.filter(kind="calendar_change").count() == 1


def test_calendar_edit_keeps_the_time_already_used(sla, people, now, django_capture_on_commit_callbacks):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 14))
    # retroactive: Monday becomes a day off after the fact; the 2 hours used stay used
    with time_machine.travel(msk(2, 15), tick=False), django_capture_on_commit_callbacks(execute=True):
        CalendarException.objects.create(holiday_calendar=sla.holidays, name="Closed", kind="rest",
                                         date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))
    resolution = clock(ticket, "resolution")
    assert resolution.consumed_seconds == 2 * 3600
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(2, 16))
    resolution = clock(ticket, "resolution")
    assert resolution.due_at == msk(3, 15)  # Monday is closed now: 6 h from Tuesday 09:00
    assert_matches_log(resolution)


def test_an_edit_the_job_has_not_reached_is_applied_before_the_next_event(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    CalendarException.objects.create(holiday_calendar=sla.holidays, name="Day off", kind="rest",
                                     date_from=date(2026, 3, 3), date_to=date(2026, 3, 3))
    # no commit in this test, so no job ran: refresh the policy keys by hand
    sla_services.calendars_refresh(now=msk(2, 12, 30), reason="test")
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 13))
    resolution = clock(ticket, "resolution")
    kinds = list(resolution.events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["start", "calendar_change", "pause"]
    assert resolution.events.get(kind="calendar_change").at == msk(2, 12, 30)
    assert_matches_log(resolution)


def test_manual_due_time_wins_sticks_through_changes_and_is_audited(sla, access_policy, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    promised = msk(5, 12)
    sla_services.clock_override_due(actor=people.fiona, ticket_id=ticket.pk, metric="resolution", due_at=promised,
                                    reason="Vendor part arrives Thursday", now=msk(2, 12, 5))
    resolution = clock(ticket, "resolution")
    assert resolution.due_at == promised
    assert resolution.manual_due_by_id == people.fiona.pk
    assert resolution.warn_at == msk(5, 11, 30)  # 30 working minutes before the promise
    changes.ticket_change_request_type(actor=people.fiona, ticket_id=ticket.pk,
                                        request_type=access_policy.request_types.get(), now=msk(2, 12, 10))
    resolution = clock(ticket, "resolution")
    assert resolution.due_at == promised
    assert resolution.computed_due_at == msk(2, 12, 40)
    audit = ticket.events.filter(kind=EventKind.SLA_CHANGED, data__reason="override").get()
    assert audit.actor_id == people.fiona.pk and audit.data["note"] == "Vendor part arrives Thursday"
    sla_services.clock_override_due(actor=people.fiona, ticket_id=ticket.pk, metric="resolution", due_at=None,
                                    reason="", now=msk(2, 12, 15))
    resolution = clock(ticket, "resolution")
    assert resolution.due_at == msk(2, 12, 40)
    assert_matches_log(resolution)


def test_manual_due_time_is_refused_without_reason_or_permission(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    with pytest.raises(InvalidInput):
        sla_services.clock_override_due(actor=people.fiona, ticket_id=ticket.pk, metric="resolution",
                                        due_at=msk(5, 12), reason=" ", now=now)
    with pytest.raises(PermissionDenied):
        sla_services.clock_override_due(actor=people.alice, ticket_id=ticket.pk, metric="resolution",
                                        due_at=msk(5, 12), reason="please", now=now)
    with pytest.raises(NotFound):
        sla_services.clock_override_due(actor=people.carol, ticket_id=ticket.pk, metric="resolution",
                                        due_at=msk(5, 12), reason="please", now=now)
    with pytest.raises(PermissionDenied):
        sla_services.clock_override_due(actor=people.rita, ticket_id=ticket.pk, metric="resolution",
                                        due_at=msk(5, 12), reason="audit", now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now + timedelta(hours=1))
    with pytest.raises(Conflict):
        sla_services.clock_override_due(actor=people.fiona, ticket_id=ticket.pk, metric="resolution",
                                        due_at=msk(5, 12), reason="late", now=now + timedelta(hours=2))
    assert clock(ticket, "resolution").manual_due_at is None
