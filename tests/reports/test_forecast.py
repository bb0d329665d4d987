"""The forecast learns the weekly season and the desk calendar's holidays and moved working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from otklik.reports.facts import rebuild_all
from otklik.reports.filters import ReportFilters
from otklik.reports.forecast import forecast
from otklik.sla.models import CalendarException, ExceptionKind
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets.models import Ticket
from tests.reports.conftest import MSK, Desk

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)  # a Monday
PAST_HOLIDAYS = [date(2026, 1, 7), date(2026, 2, 23), date(2025, 11, 4)]  # weekdays off
FUTURE_HOLIDAY = date(2026, 3, 9)  # a Monday off
MOVED_WORKDAY = date(2026, 3, 14)  # a Saturday that works


def _volume(day: date) -> int:
    if day in PAST_HOLIDAYS:
        return 2
    return 2 if day.weekday() >= 5 else 10 + day.weekday()  # busier towards Friday


def _fill(people: Personas) -> None:
    priority, status = factories.priority("normal"), factories.status("new")
    rows = []
    number = 1000
    day = TODAY - timedelta(days=182)
    while day < TODAY:
        for index in range(_volume(day)):
            at = datetime.combine(day, time(9 + index % 8, index), tzinfo=MSK)
            number += 1
            rows.append(Ticket(number=number, subject="load", requester=people.alice, priority=priority,
                               status=status, team=people.second_line, created_at=at, updated_at=at))
        day += timedelta(days=1)
    Ticket.objects.bulk_create(rows)
    rebuild_all()  # bulk rows bypass the live hooks: their report rows come from `reports_rebuild`


def test_weekly_season_holidays_and_interval(people: Personas, desk: Desk) -> None:
    for holiday in [*PAST_HOLIDAYS, FUTURE_HOLIDAY]:
        CalendarException.objects.create(holiday_calendar=desk.holidays, name="Holiday", date_from=holiday,
                                         date_to=holiday)
    CalendarException.objects.create(holiday_calendar=desk.holidays, name="Moved", kind=ExceptionKind.WORK,
                                     date_from=MOVED_WORKDAY, date_to=MOVED_WORKDAY, hours=[["09:00", "18:00"]])
    _fill(people)
    result = forecast(people.mia, ReportFilters(start=TODAY, end=TODAY), weeks=4, today=TODAY)
    assert result["available"]
    days = {date.fromisoformat(row["date"]): row for row in result["days"]}
    assert len(days) == 28
    assert days[TODAY]["forecast"] == pytest.approx(10, abs=1.5)  # an ordinary Monday
    assert days[date(2026, 3, 6)]["forecast"] == pytest.approx(14, abs=1.5)  # Friday
    assert days[date(2026, 3, 7)]["forecast"] == pytest.approx(2, abs=1.5)  # Saturday
    assert days[FUTURE_HOLIDAY]["forecast"] < 5  # a Monday off looks like a day off
    assert days[MOVED_WORKDAY]["forecast"] > 6  # a working Saturday looks like a working day
    assert not days[FUTURE_HOLIDAY]["working_day"]
    for row in result["days"]:
        assert row["lower"] <= row["forecast"] <= row["upper"]
    assert result["mape"] is not None
    assert result["mape"] < 20


def test_too_little_history_says_so(people: Personas, desk: Desk) -> None:
    result = forecast(people.mia, ReportFilters(start=TODAY, end=TODAY), weeks=4, today=TODAY)
    assert result["available"] is False
    assert result["days"] == []


def test_agents_forecast_only_their_own_tickets(people: Personas, desk: Desk) -> None:
    _fill(people)
    result = forecast(people.sam, ReportFilters(start=TODAY, end=TODAY), weeks=4, today=TODAY)
    assert sum(row["count"] for row in result["history"]) == 0  # none is assigned to Sam


def test_blas_runs_one_thread_per_process() -> None:
    """The settings ask OpenBLAS for one thread before numpy or scipy loads it: the fits' nine-parameter
    optimizer only waited for OpenBLAS's own threads (10-20x slower on a busy machine; docs/performance.md,
    "Reports, round 10"). An operator's own value is kept, so this checks the default is there, not its value."""
    import os

    assert os.environ.get("OPENBLAS_NUM_THREADS")
    assert os.environ.get("OMP_NUM_THREADS")
