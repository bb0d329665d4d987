from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from otklik.sla import calendars
from otklik.sla.models import HolidayCalendar, Schedule, SlaPolicy
from otklik.testing.personas import Personas

MSK = ZoneInfo("Europe/Moscow")
OFFICE = [["09:00", "18:00"]]
OFFICE_WEEK = {**dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE), "sat": "off", "sun": "off"}


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


@dataclass
class Desk:
    schedule: Schedule
    holidays: HolidayCalendar
    policy: SlaPolicy


@pytest.fixture(autouse=True)
def fresh_calendar_cache() -> Iterator[None]:
    # Snapshot rows roll back with each test; the process cache (and cached forecasts) must not outlive them.
    calendars._known_snapshots._calendars.clear()
    cache.clear()
    yield
    calendars._known_snapshots._calendars.clear()
    cache.clear()


@pytest.fixture
def desk(db: None, people: Personas) -> Desk:
    """A Moscow office, Mon-Fri 09:00-18:00, as the default policy's schedule: the desk's working time."""
    holidays = HolidayCalendar.objects.create(name="Test holidays")
    schedule = Schedule.objects.create(name="Office", timezone="Europe/Moscow", week=OFFICE_WEEK,
                                       holiday_calendar=holidays)
    policy = SlaPolicy.objects.create(name="Standard", schedule=schedule, is_default=True, position=1000,
                                      reaction_minutes=60, resolution_minutes=480, warn_before_minutes=30)
    return Desk(schedule, holidays, policy)
