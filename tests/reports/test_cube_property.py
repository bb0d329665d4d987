"""Hourly counts and duration histograms equal a recomputation from the raw rows, and the load report and the
forecast read from them equal the same reports read from the report rows (percentiles of long periods within
the stated 2 %): after random sequences of events made through the services, for an admin, managers (one of
them with tickets outside their team) and an agent (whose figures never come from the kept rows)."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime
from itertools import product
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otklik.accounts.models import Role, User
from otklik.reports import cube, forecast, groups, selectors
from otklik.reports.buckets import (
    EXACT_BELOW,
    RATIO,
    REPORT_BOUNDS,
    THRESHOLDS,
    bucket_of,
    histogram_percentile,
    report_buckets,
)
from otklik.reports.facts import rebuild_all
from otklik.reports.filters import ReportFilters, zone
from otklik.reports.models import DurationHistogram, HourlyCount
from otklik.reports.slices import GROUP_SLICES, SLICES, UNSLICED_GROUPS
from otklik.reports.stats import interpolated
from otklik.testing.personas import Personas
from otklik.tickets.models import RequestType, Ticket, TicketRating
from tests.reports.conftest import Desk
from tests.reports.test_rollups_property import ACTION, Played, play


def _slices(ticket: Ticket, dims: Any) -> list[tuple[str, str]]:
    """The whole desk and the ticket's value of each sliced filter dimension it has one of (`reports.slices`)."""
    columns = {"priority": ticket.priority_id, "source": ticket.source, "request_type": ticket.request_type_id,
               "category": ticket.category_id, "organization": ticket.organization_id}
    return [("", ""), *((dim, str(columns[dim])) for dim in dims if columns[dim] not in (None, ""))]


def _recomputed() -> tuple[dict[Any, tuple[int, int]], dict[Any, int]]:
    """The kept rows as they should be, from the raw ticket rows and their durations."""
    new: Counter[Any] = Counter()
    closed: Counter[Any] = Counter()
    buckets: Counter[Any] = Counter()
    tz = zone()
    for ticket in Ticket.objects.filter(merged_into__isnull=True, report_times__isnull=False).select_related(
            "report_times"):
        team = ticket.team_id or 0
        for cut in _slices(ticket, SLICES):
            local = timezone.localtime(ticket.created_at, tz)
            new[(*cut, local.date(), local.hour, team)] += 1
            if ticket.resolved_at is not None:
                local = timezone.localtime(ticket.resolved_at, tz)
                closed[(*cut, local.date(), local.hour, team)] += 1
            for metric, at, seconds in (
                    ("first_response", ticket.first_response_at, ticket.report_times.first_response_seconds),
                    ("resolution", ticket.resolved_at, ticket.report_times.resolution_seconds)):
                if at is not None and seconds is not None:
                    month = timezone.localtime(at, tz).date().replace(day=1)
                    buckets[(*cut, month, team, metric, bucket_of(seconds))] += 1
    hours = {key: (new[key], closed[key]) for key in set(new) | set(closed)}
    return hours, dict(buckets)


def _recomputed_groups() -> tuple[dict[Any, dict[str, int]], dict[Any, int]]:
    """The kept breakdown groups as they should be, from the raw ticket rows and their durations."""
    sums: dict[Any, dict[str, int]] = {}
    buckets: Counter[Any] = Counter()
    # The rating dimension is the latest rating's score, from the ratings themselves (the last one stays).
    latest = dict(TicketRating.objects.order_by("ticket_id", "created_at", "id").values_list("ticket_id", "score"))
    for ticket in Ticket.objects.filter(merged_into__isnull=True, report_times__isnull=False).select_related(
            "report_times"):
        times = ticket.report_times
        month = timezone.localtime(ticket.created_at, zone()).date().replace(day=1)
        resolved = ticket.resolved_at is not None
        measures = {"count": 1, "resolved": int(resolved), "replies": times.staff_replies if resolved else 0,
                    "reopened": int(times.reopen_count > 0)}
        for prefix, seconds, working in (("fr", times.first_response_seconds, times.first_response_working_seconds),
                                         ("res", times.resolution_seconds, times.resolution_working_seconds)):
            measures |= {f"{prefix}_n": int(seconds is not None), f"{prefix}_sum": seconds or 0,
                         f"{prefix}_w_n": int(working is not None), f"{prefix}_w_sum": working or 0}
        for cut, (dim, column) in product(_slices(ticket, GROUP_SLICES), groups.DIMENSIONS.items()):
            if cut[0] and dim in UNSLICED_GROUPS:
                continue
            raw = latest.get(ticket.pk) if dim == "rating" else getattr(ticket, column)
            key = (*cut, month, ticket.team_id or 0, dim, "" if raw is None else str(raw))
            slot = sums.setdefault(key, dict.fromkeys(groups.GROUP_MEASURES, 0))
            for name, value in measures.items():
                slot[name] += value
            for metric, seconds in (("fr", times.first_response_seconds), ("res", times.resolution_seconds)):
                if seconds is not None:
                    buckets[(*key, metric, bucket_of(seconds))] += 1
    return {key: values for key, values in sums.items() if any(values.values())}, dict(buckets)


def _raw_load(viewer: User, filters: ReportFilters, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "cube_source", lambda *_args, **_kw: None)
        return selectors.load(viewer, filters)


def _assert_same_load(kept: dict[str, Any], raw: dict[str, Any], *, approximate: bool) -> None:
    assert kept["days"] == raw["days"]
    assert kept["heatmap"] == raw["heatmap"]
    for name in ("first_response", "resolution"):
        assert kept[name]["buckets"] == raw[name]["buckets"]  # counts stay exact
        for fraction in ("p50", "p90"):
            found, exact = kept[name][fraction], raw[name][fraction]
            if not approximate or exact is None:
                assert found == exact
            else:
                assert found == pytest.approx(exact, rel=RATIO - 1, abs=0)


MEDIANS = ("median_first_response_seconds", "median_resolution_seconds")


def _assert_same_rows(kept: list[dict[str, Any]], raw: list[dict[str, Any]]) -> None:
    """Every count, sum and average equal; medians within the buckets' precision."""
    assert [{k: v for k, v in row.items() if k not in MEDIANS} for row in kept] == [
        {k: v for k, v in row.items() if k not in MEDIANS} for row in raw]
    for kept_row, raw_row in zip(kept, raw, strict=True):
        for name in MEDIANS:
            if raw_row[name] is None:
                assert kept_row[name] is None
            else:
                assert kept_row[name] == pytest.approx(raw_row[name], rel=RATIO - 1, abs=0)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=14))
def test_hourly_counts_and_histograms_equal_recomputation(people: Personas, desk: Desk,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         actions: list[tuple[str, int, int]]) -> None:
    lead = play(people, actions).lead
    kept = cube.stored()
    expected = _recomputed()
    assert kept == expected, [(key, kept[0].get(key), expected[0].get(key)) for key in set(kept[0]) | set(expected[0])
                              if kept[0].get(key) != expected[0].get(key)]
    kept_groups = groups.stored()
    assert kept_groups == _recomputed_groups()
    rebuild_all()
    assert cube.stored() == kept
    assert groups.stored() == kept_groups

    periods = [(ReportFilters(start=date(2026, 1, 1), end=date(2026, 1, 31)), False),
               (ReportFilters(start=date(2026, 1, 15), end=date(2026, 2, 20)), False),
               (ReportFilters(start=date(2026, 1, 1), end=date(2026, 6, 30)), True),  # whole months only
               (ReportFilters(start=date(2026, 1, 20), end=date(2026, 5, 10)), True)]  # with edge days
    for viewer in (people.adam, people.mia, lead, people.sam):
        for filters, long in periods:
            for narrowed in (filters, ReportFilters(start=filters.start, end=filters.end,
                                                    team_ids=(people.second_line.pk,))):
                _assert_same_load(selectors.load(viewer, narrowed), _raw_load(viewer, narrowed, monkeypatch),
                                  approximate=long)
        for filters, _long in periods[2:]:  # the breakdowns of long periods read the kept group rows
            for by in ("team", "category", "assignee", "status", "priority", "source", "rating"):
                with monkeypatch.context() as patch:
                    patch.setattr(selectors, "cube_source", lambda *_args, **_kw: None)
                    raw_rows = selectors.breakdown(viewer, filters, by)
                _assert_same_rows(selectors.breakdown(viewer, filters, by), raw_rows)
        with monkeypatch.context() as patch:
            patch.setattr(forecast, "cube_source", lambda *_args, **_kw: None)
            raw = forecast._forecast(viewer, periods[0][0], weeks=4, today=date(2026, 6, 1))
        assert forecast._forecast(viewer, periods[0][0], weeks=4, today=date(2026, 6, 1))["history"] == raw["history"]


def _filtered(played: Played, team: int, start: date, end: date) -> list[ReportFilters]:
    """One filter per sliced dimension (a category with its subtree), one with a team too, and two filters
    at once (which read the report rows)."""
    kinds = list(RequestType.objects.values_list("pk", flat=True)[:1])
    source = Ticket.objects.values_list("source", flat=True).first() or "web"
    return [ReportFilters(start=start, end=end, priority_codes=("high", "normal")),
            ReportFilters(start=start, end=end, sources=(source,)),
            ReportFilters(start=start, end=end, category_id=played.hardware.pk),
            ReportFilters(start=start, end=end, request_type_id=kinds[0] if kinds else 0),
            ReportFilters(start=start, end=end, organization_id=0),
            ReportFilters(start=start, end=end, priority_codes=("normal",), team_ids=(team,)),
            ReportFilters(start=start, end=end, priority_codes=("high",), category_id=played.hardware.pk)]


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=14))
def test_filtered_reports_from_the_slices_equal_the_report_rows(people: Personas, desk: Desk,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                actions: list[tuple[str, int, int]]) -> None:
    """A filter on one dimension reads its slice of the kept rows: the load report, the breakdowns and the
    forecast equal the same reports read from the report rows, for the admin and a manager with tickets
    outside their team (whose personal rest is added from the rows)."""
    played = play(people, actions)
    for viewer in (people.adam, played.lead):
        for start, end, long in ((date(2026, 2, 1), date(2026, 2, 28), False),
                                 (date(2026, 1, 20), date(2026, 5, 10), True)):
            for filters in _filtered(played, people.second_line.pk, start, end):
                _assert_same_load(selectors.load(viewer, filters), _raw_load(viewer, filters, monkeypatch),
                                  approximate=long)
                if long:
                    for by in ("category", "priority", "assignee", "source", "organization"):
                        with monkeypatch.context() as patch:
                            patch.setattr(selectors, "cube_source", lambda *_args, **_kw: None)
                            raw_rows = selectors.breakdown(viewer, filters, by)
                        _assert_same_rows(selectors.breakdown(viewer, filters, by), raw_rows)
        for filters in _filtered(played, people.second_line.pk, date(2026, 1, 1), date(2026, 1, 31))[:3]:
            with monkeypatch.context() as patch:
                patch.setattr(forecast, "cube_source", lambda *_args, **_kw: None)
                raw = forecast._forecast(viewer, filters, weeks=4, today=date(2026, 6, 1))
            assert forecast._forecast(viewer, filters, weeks=4, today=date(2026, 6, 1))["history"] == raw["history"]


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=14))
def test_long_load_from_the_rows_in_one_pass_equals_its_three_statements(
        people: Personas, desk: Desk, monkeypatch: pytest.MonkeyPatch, actions: list[tuple[str, int, int]]) -> None:
    """On PostgreSQL the load report of a long period that the kept rows cannot answer reads the report rows
    once (`reports.load_pass`): every day, heatmap cell, bucket count and percentile equals the per-statement
    reading that shorter periods use, for an admin, a manager, an agent, with two filters at once."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-pass reading is PostgreSQL's (elsewhere the long period uses the per-statement one)")
    played = play(people, actions)
    periods = [ReportFilters(start=date(2026, 1, 1), end=date(2026, 6, 30)),
               ReportFilters(start=date(2026, 1, 20), end=date(2026, 5, 10), priority_codes=("high", "normal"),
                             category_id=played.hardware.pk)]
    for viewer in (people.adam, played.lead, people.sam):
        for filters in periods:
            with monkeypatch.context() as patch:
                patch.setattr(selectors, "cube_source", lambda *_args, **_kw: None)
                one_pass = selectors.load(viewer, filters)
                patch.setattr(selectors, "is_long", lambda _filters: False)
                patch.setattr(selectors, "load_rows", None)  # never called on the per-statement path
                per_statement = selectors.load(viewer, filters)
            _assert_same_load(one_pass, per_statement, approximate=False)


@pytest.mark.django_db
def test_kept_rows_serve_only_scopes_they_can_express(people: Personas, desk: Desk) -> None:
    """Whole teams or everything, filtered by team at most; every other case reads the report rows."""
    month = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert cube.cube_source(people.adam, month) is not None
    assert cube.cube_source(people.sam, month) is None  # an agent's own figures
    for narrowed in (ReportFilters(start=month.start, end=month.end, priority_codes=("high",)),
                     ReportFilters(start=month.start, end=month.end, sources=("email",)),
                     ReportFilters(start=month.start, end=month.end, assignee_id=people.sam.pk)):
        assert cube.cube_source(people.adam, narrowed) is None  # the tables kept per team only
        assert cube.cube_source(people.adam, narrowed, slices=SLICES) is not None or narrowed.assignee_id
    # Two filter dimensions at once, or one the tables are not sliced by: the report rows.
    both = ReportFilters(start=month.start, end=month.end, priority_codes=("high",), sources=("email",))
    assert cube.cube_source(people.adam, both, slices=SLICES) is None
    category = ReportFilters(start=month.start, end=month.end, category_id=1)
    assert cube.cube_source(people.adam, category, slices=SLICES) is not None
    assert cube.cube_source(people.adam, category, slices=GROUP_SLICES) is None
    lead = User.objects.create_user(email="lead2@otklik.test", password="x", role=Role.MANAGER)
    people.second_line.members.add(lead)
    source = cube.cube_source(lead, month)
    assert source is not None and source.rest is not None  # their tickets outside the team, from the rows


@pytest.mark.django_db
def test_a_new_ticket_counts_in_its_local_hour(people: Personas, desk: Desk) -> None:
    from otklik.testing import factories

    # 23:30 in Moscow on 31 March is 20:30 UTC: it belongs to 31 March, hour 23, of the second line.
    factories.ticket(requester=people.alice, team=people.second_line, now=datetime(2026, 3, 31, 20, 30, tzinfo=UTC),
                     actor=people.sam)
    assert list(HourlyCount.objects.filter(fdim="").values_list("day", "hour", "team_key", "new", "closed")) == [
        (date(2026, 3, 31), 23, people.second_line.pk, 1, 0)]
    ticket = Ticket.objects.get()
    # Again under its organization, priority and source (not under a category or request type: it has none).
    assert sorted(HourlyCount.objects.exclude(fdim="").values_list("fdim", "fvalue", "day", "hour", "new")) == [
        ("organization", str(ticket.organization_id), date(2026, 3, 31), 23, 1),
        ("priority", str(ticket.priority_id), date(2026, 3, 31), 23, 1),
        ("source", ticket.source, date(2026, 3, 31), 23, 1)]
    assert not DurationHistogram.objects.exists()


@given(values=st.lists(st.integers(0, 40 * 86400), min_size=1, max_size=300),
       fraction=st.sampled_from([0.5, 0.9, 0.1, 0.0, 1.0, 0.37]))
def test_histogram_percentiles_are_within_the_stated_precision(values: list[int], fraction: float) -> None:
    histogram = Counter(bucket_of(value) for value in values)
    exact = interpolated(sorted(values), fraction)
    assert exact is not None
    found = histogram_percentile(histogram, fraction)
    assert found is not None
    assert abs(found - exact) <= (RATIO - 1) * exact + 1e-9
    if max(values) < EXACT_BELOW:
        assert math.isclose(found, exact)
    # The load report's own buckets are exact sums of the fine ones.
    bounds = (0, *REPORT_BOUNDS, 10**12)
    assert report_buckets(histogram) == [sum(1 for value in values if bounds[i] <= value < bounds[i + 1])
                                         for i in range(len(bounds) - 1)]


def test_buckets_are_narrow() -> None:
    assert set(REPORT_BOUNDS) <= set(THRESHOLDS)
    for lower, upper in zip(THRESHOLDS[EXACT_BELOW:], THRESHOLDS[EXACT_BELOW + 1:], strict=False):
        assert (upper - 1 - lower) < (RATIO - 1) * lower
