"""SPEC 7.4 / 7.6: the admin's explicit "Recalculate open tickets from their start" replays each open
clock's log on today's calendar; a plain calendar edit keeps the time already used."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from otklik.core.errors import PermissionDenied
from otklik.sla import recalculation
from otklik.sla.clock import business_used
from otklik.sla.models import CalendarException, ReplanRun, SlaClock
from otklik.sla.services import calendars_lookup, state_of
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import EventKind, Ticket

from .helpers import assert_matches_log, clock
from .test_clock_lifecycle import msk

pytestmark = pytest.mark.django_db

HOUR = 3600


def used(row: SlaClock, at) -> int:
    row.refresh_from_db()
    return business_used(state_of(row), at, calendars_lookup())


def snapshot(row: SlaClock) -> tuple[object, ...]:
    row.refresh_from_db()
    return (state_of(row), row.events.count())


def add_monday_off(sla, at, capture) -> None:
    """Monday 2 March becomes a day off after the fact (a normal edit, re-planned in the background)."""
    with time_machine.travel(at, tick=False), capture(execute=True):
        CalendarException.objects.create(holiday_calendar=sla.holidays, name="Closed", kind="rest",
                                         date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))


def recalculate(people, at, capture, **rows) -> ReplanRun:
    with time_machine.travel(at, tick=False), capture(execute=True):
        run = recalculation.recalculate_request(actor=people.adam, now=at, **rows)
    assert run is not None
    run.refresh_from_db()
    return run


def test_a_retroactive_holiday_changes_open_clocks_only_after_the_recalculation(
    sla, people, now, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(requester=people.alice, now=now)  # Monday 12:00, resolve in 8 working hours
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="on it", now=msk(2, 12, 30))
    resolution = clock(ticket, "resolution")
    assert resolution.due_at == msk(3, 11)
    add_monday_off(sla, msk(3, 10), django_capture_on_commit_callbacks)
    # the normal edit keeps Monday's 6 hours as used: nothing moves
    resolution.refresh_from_db()
    assert resolution.consumed_seconds == 7 * HOUR
    assert resolution.due_at == msk(3, 11)
    assert used(resolution, msk(3, 10, 30)) == 7 * HOUR + 30 * 60
    assert_matches_log(resolution)

    run = recalculate(people, msk(3, 10, 30), django_capture_on_commit_callbacks, schedule_ids=[sla.schedule.pk])

    assert (run.kind, run.state, run.requested_by_id) == ("recalculate", "done", people.adam.pk)
    assert (run.total, run.processed, run.rebased) == (1, 1, 1)
    assert run.requested_at == msk(3, 10, 30) and run.finished_at is not None
    resolution.refresh_from_db()
    assert used(resolution, msk(3, 10, 30)) == 90 * 60  # Monday no longer counts
    assert resolution.due_at == msk(3, 17)  # 8 working hours from Tuesday 09:00
    assert Ticket.objects.get(pk=ticket.pk).sla_next_due_at == msk(3, 17)
    last = resolution.events.order_by("-id")[0]
    assert last.kind == "recalculate" and last.data["by"] == people.adam.pk and last.data["run"] == run.pk
    assert_matches_log(resolution)


def test_recalculation_is_audited_skips_stopped_clocks_and_is_idempotent(
    sla, people, now, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(requester=people.alice, now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="on it", now=msk(2, 12, 30))
    done = factories.ticket(requester=people.bob, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=done.pk, now=msk(2, 15))
    add_monday_off(sla, msk(3, 10), django_capture_on_commit_callbacks)
    stopped = [clock(ticket, "reaction"), clock(done, "reaction"), clock(done, "resolution")]
    before = [snapshot(row) for row in stopped]

    recalculate(people, msk(3, 10, 30), django_capture_on_commit_callbacks, holiday_calendar_ids=[sla.holidays.pk])

    assert [snapshot(row) for row in stopped] == before  # stopped clocks are never touched
    audit = ticket.events.get(kind=EventKind.SLA_CHANGED, data__reason="recalculate")
    assert audit.actor_id == people.adam.pk and audit.created_at == msk(3, 10, 30)
    assert audit.data["metrics"] == ["resolution"]
    assert not done.events.filter(kind=EventKind.SLA_CHANGED).exists()
    # running it again finds nothing to change
    resolution = clock(ticket, "resolution")
    events_before = resolution.events.count()
    again = recalculate(people, msk(3, 11), django_capture_on_commit_callbacks, schedule_ids=[sla.schedule.pk])
    assert (again.state, again.processed, again.rebased) == ("done", 1, 0)
    assert resolution.events.count() == events_before
    assert ticket.events.filter(kind=EventKind.SLA_CHANGED, data__reason="recalculate").count() == 1
    assert_matches_log(resolution)


def test_a_paused_clock_gets_its_budget_back_and_resumes_on_the_new_calendar(
    sla, people, now, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 14))
    add_monday_off(sla, msk(3, 10), django_capture_on_commit_callbacks)
    resolution = clock(ticket, "resolution")
    assert resolution.consumed_seconds == 2 * HOUR
    recalculate(people, msk(3, 10, 30), django_capture_on_commit_callbacks, schedule_ids=[sla.schedule.pk])
    resolution.refresh_from_db()
    assert (resolution.state, resolution.consumed_seconds, resolution.due_at) == ("paused", 0, None)
    assert_matches_log(resolution)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(3, 12))
    resolution.refresh_from_db()
    assert resolution.due_at == msk(4, 11)  # Tuesday 12:00-18:00 and Wednesday 09:00-11:00
    assert resolution.paused_seconds == 22 * HOUR  # Monday 14:00 to Tuesday 12:00, across the edit
    assert_matches_log(resolution)


def test_only_admins_may_recalculate(sla, people, now):
    with pytest.raises(PermissionDenied):
        recalculation.recalculate_request(actor=people.fiona, now=now, schedule_ids=[sla.schedule.pk])
    assert not ReplanRun.objects.exists()


def test_the_schedule_admin_offers_the_action(sla, people, now, client, django_capture_on_commit_callbacks):
    ticket = factories.ticket(requester=people.alice, now=now)
    add_monday_off(sla, msk(3, 10), django_capture_on_commit_callbacks)
    client.force_login(people.adam)
    with time_machine.travel(msk(3, 10, 30), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:sla_schedule_changelist"),
                                {"action": "recalculate", "_selected_action": [sla.schedule.pk]}, follow=True)
    assert response.status_code == 200
    run = ReplanRun.objects.get(kind="recalculate")
    assert (run.state, run.requested_by_id) == ("done", people.adam.pk)
    assert clock(ticket, "resolution").due_at == msk(3, 17)


def test_an_event_logged_late_after_a_recalculation_keeps_the_recalculated_calendar(
    sla, people, now, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(requester=people.alice, now=now)  # Monday 12:00
    add_monday_off(sla, msk(3, 10), django_capture_on_commit_callbacks)
    recalculate(people, msk(3, 10, 30), django_capture_on_commit_callbacks, schedule_ids=[sla.schedule.pk])
    # at 12:00 the agent logs that she put the ticket on hold at 10:00
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  happened_at=msk(3, 10), now=msk(3, 12))
    resolution = clock(ticket, "resolution")
    assert resolution.state == "paused"
    assert resolution.consumed_seconds == HOUR  # Tuesday 09:00-10:00; Monday is a day off now
    assert_matches_log(resolution)
