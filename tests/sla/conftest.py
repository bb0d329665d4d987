from __future__ import annotations

from dataclasses import dataclass

import pytest

from otklik.sla import calendars
from otklik.sla.models import HolidayCalendar, Schedule, SlaPolicy

OFFICE = [["09:00", "18:00"]]
OFFICE_WEEK = {**dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE), "sat": "off", "sun": "off"}


@dataclass
class SlaSetup:
    schedule: Schedule
    holidays: HolidayCalendar
    standard: SlaPolicy


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    # Snapshot rows roll back with each test; the process cache must not outlive them.
    calendars._known_snapshots._calendars.clear()
    yield
    calendars._known_snapshots._calendars.clear()


@pytest.fixture
def sla(db, people) -> SlaSetup:
    """A Moscow office (Mon-Fri 09:00-18:00) and a default policy: reply in 60, resolve in 480 working minutes."""
    holidays = HolidayCalendar.objects.create(name="Test holidays")
    schedule = Schedule.objects.create(name="Office", timezone="Europe/Moscow", week=OFFICE_WEEK,
                                       holiday_calendar=holidays)
    standard = SlaPolicy.objects.create(
        name="Standard", schedule=schedule, is_default=True, position=1000, reaction_minutes=60,
        resolution_minutes=480, warn_before_minutes=30, responsible_user=people.mia,
    )
    return SlaSetup(schedule=schedule, holidays=holidays, standard=standard)
