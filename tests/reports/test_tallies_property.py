"""The monthly tallies behind the SLA, CSAT and specialists reports (`SlaMonth`, `RatingMonth`, `WorkMonth`,
`AssigneeMonth`) equal a recomputation from the truth (clocks, ratings, events and tickets with their current
fields) and a rebuild, after random event sequences across month boundaries; and the three reports read from
them equal the same reports read from the per-row tables, for an administrator, managers (one with tickets
outside their team) and an agent, with and without a filter."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otklik.reports import cube, quality, tallies
from otklik.reports.facts import rebuild_all
from otklik.reports.filters import ReportFilters, zone
from otklik.sla.models import ClockState, SlaClock
from otklik.testing.personas import Personas
from otklik.tickets.models import EventKind, Ticket, TicketEvent, TicketRating
from tests.reports.conftest import Desk
from tests.reports.test_rollups_property import ACTION, play

Found = dict[tuple[Any, ...], dict[str, int]]


def _month(at: datetime) -> date:
    return timezone.localtime(at, zone()).date().replace(day=1)


def _nonzero(found: Found) -> Found:
    return {key: dict(values) for key, values in found.items() if any(values.values())}


def _sla_from_clocks() -> Found:
    found: Found = defaultdict(lambda: {"total": 0, "met": 0, "missed": 0})
    for clock in SlaClock.objects.filter(state=ClockState.STOPPED, stopped_at__isnull=False,
                                         ticket__merged_into__isnull=True).select_related("ticket"):
        assert clock.stopped_at is not None
        slot = found[(_month(clock.stopped_at), clock.ticket.team_id or 0, clock.metric, clock.policy_id or 0,
                      clock.ticket.priority_id or 0)]
        slot["total"] += 1
        slot["met"] += int(clock.met is True)
        slot["missed"] += int(clock.met is False)
    return _nonzero(found)


def _ratings_from_source() -> Found:
    found: Found = defaultdict(lambda: {"n": 0})
    for rating in TicketRating.objects.filter(ticket__merged_into__isnull=True).select_related("ticket"):
        found[(_month(rating.created_at), rating.ticket.team_id or 0, rating.ticket.assignee_id or 0,
               rating.score)]["n"] += 1
    return _nonzero(found)


def _work_from_events() -> Found:
    found: Found = defaultdict(lambda: {"events": 0, "replies": 0, "notes": 0})
    for event in TicketEvent.objects.filter(actor__isnull=False, ticket__merged_into__isnull=True).select_related(
            "ticket"):
        slot = found[(_month(event.created_at), event.ticket.team_id or 0, event.actor_id)]
        slot["events"] += 1
        slot["replies"] += int(event.kind == EventKind.REPLIED and event.data.get("by") == "staff")
        slot["notes"] += int(event.kind == EventKind.NOTE_ADDED)
    return _nonzero(found)


def _assignees_from_tickets() -> Found:
    found: Found = defaultdict(lambda: dict.fromkeys(cube.ASSIGNEE_MEASURES, 0))
    for ticket in Ticket.objects.filter(merged_into__isnull=True, assignee__isnull=False).select_related(
            "report_times"):
        times = ticket.report_times
        for at, count, prefix, seconds, working in (
                (ticket.resolved_at, "resolved", "res", times.resolution_seconds, times.resolution_working_seconds),
                (ticket.first_response_at, "responded", "fr", times.first_response_seconds,
                 times.first_response_working_seconds)):
            if at is None:
                continue
            slot = found[(_month(at), ticket.team_id or 0, ticket.assignee_id)]
            slot[count] += 1
            for suffix, value in (("", seconds), ("_w", working)):
                if value is not None:
                    slot[f"{prefix}{suffix}_n"] += 1
                    slot[f"{prefix}{suffix}_sum"] += value
    return _nonzero(found)


def _kept() -> tuple[Found, ...]:
    return (*(tallies.stored(tally) for tally in tallies.TALLIES), cube.assignees_stored())


def _per_row(report: Any, viewer: Any, filters: ReportFilters) -> Any:
    with mock.patch.object(quality, "kept_months", return_value=None):
        return report(viewer, filters)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=16))
def test_tallies_equal_recomputation_and_reports(people: Personas, desk: Desk,
                                                 actions: list[tuple[str, int, int]]) -> None:
    lead = play(people, actions).lead
    kept = _kept()
    assert kept == (_sla_from_clocks(), _ratings_from_source(), _work_from_events(), _assignees_from_tickets())
    rebuild_all()
    assert _kept() == kept

    periods = [
        ReportFilters(start=date(2026, 2, 1), end=date(2026, 2, 28)),  # one whole month
        ReportFilters(start=date(2026, 1, 15), end=date(2026, 3, 10)),  # a whole month with edge days
        ReportFilters(start=date(2025, 12, 1), end=date(2026, 3, 31)),  # whole months only
        ReportFilters(start=date(2026, 1, 29), end=date(2026, 2, 20)),  # no whole month
        ReportFilters(start=date(2026, 1, 1), end=date(2026, 3, 31), team_ids=(people.second_line.pk,)),
        ReportFilters(start=date(2026, 1, 1), end=date(2026, 3, 31), priority_codes=("normal",)),
    ]
    for viewer in (people.adam, people.mia, lead, people.sam):
        for filters in periods:
            for report in (quality.sla, quality.csat, quality.specialists):
                assert report(viewer, filters) == _per_row(report, viewer, filters), (report.__name__, viewer,
                                                                                      filters)
    # The kept path was taken where the rule allows it (everything, whole teams; no filter but the team) ...
    assert quality.kept_months(people.adam, periods[1]) is not None
    assert quality.kept_months(lead, periods[4]) is not None
    # ... and not for an agent's own figures or another filter.
    assert quality.kept_months(people.sam, periods[1]) is None
    assert quality.kept_months(people.adam, periods[5]) is None
    assert quality.kept_months(people.adam, periods[3]) is None
