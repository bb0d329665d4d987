"""Import a year of the Russian production calendar into an editable holiday calendar (SPEC 3.4).

The `holidays` package is a seed, never the runtime truth: it gives public holidays and moved days
off (as holidays) and the moved working Saturdays (`weekend_workdays`), but not the shortened
pre-holiday days, which are listed for the administrator to confirm (`shorten=True` adds them one
hour shorter). Nothing is written without `apply_import`; existing rows are never changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from otklik.sla.models import CalendarException, ExceptionKind, HolidayCalendar
from otklik.worktime import CalendarConfigError, parse_day_hours

logger = logging.getLogger(__name__)

DEFAULT_HOURS: list[list[str]] = [["09:00", "18:00"]]
MOVED_WORKING_DAY = "Рабочий день (перенос)"
SHORT_DAY = "Сокращённый предпраздничный день"


@dataclass(frozen=True)
class PlannedException:
    name: str
    kind: str
    day: date
    hours: object = None

    def describe(self) -> str:
        hours = f" {self.hours}" if self.hours else ""
        return f"{self.day.isoformat()} {self.kind}{hours}: {self.name}"


@dataclass
class ImportPlan:
    calendar: HolidayCalendar
    year: int
    add: list[PlannedException] = field(default_factory=list)
    present: list[PlannedException] = field(default_factory=list)
    conflicts: list[tuple[PlannedException, str]] = field(default_factory=list)
    short_days: list[date] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.calendar.name}, {self.year}: {len(self.add)} to add, {len(self.present)} already present, "
               f"{len(self.conflicts)} conflicting (kept as they are)"]
        out += [f"  + {item.describe()}" for item in self.add]
        out += [f"  ! {item.describe()} conflicts with {existing}" for item, existing in self.conflicts]
        if self.short_days:
            out.append("  Shortened pre-holiday days (not known to the `holidays` package, check them): "
                       + ", ".join(day.isoformat() for day in self.short_days))
        return out


def shortened(hours: object) -> object:
    """The same hours ending one hour earlier (the usual pre-holiday rule)."""
    parsed = parse_day_hours(hours)
    if parsed.is_off or parsed.is_all_day:
        return hours
    data = parsed.to_data()
    assert isinstance(data, list)
    last_start, last_end = data[-1]
    end_h, end_m = (int(part) for part in last_end.split(":"))
    new_end = f"{end_h - 1:02d}:{end_m:02d}"
    if new_end <= last_start:
        return data[:-1] or hours
    return [*data[:-1], [last_start, new_end]]


def plan_import(calendar: HolidayCalendar, year: int, *, work_hours: object = None,
                shorten: bool = False) -> ImportPlan:
    if not 1991 <= year <= 2100:
        raise ValueError(f"year {year} is out of range")
    hours = work_hours if work_hours is not None else DEFAULT_HOURS
    try:
        parse_day_hours(hours)
    except CalendarConfigError as error:
        raise ValueError("working hours: " + "; ".join(error.problems)) from error
    import holidays  # a seed read by administrators; imported here, it costs no web process memory until used

    ru = holidays.country_holidays("RU", years=year)
    rest_days = {day: str(name) for day, name in ru.items() if day.year == year}
    working_saturdays = sorted(day for day in getattr(ru, "weekend_workdays", set()) if day.year == year)
    planned = [PlannedException(name, ExceptionKind.REST, day) for day, name in sorted(rest_days.items())]
    planned += [PlannedException(MOVED_WORKING_DAY, ExceptionKind.WORK, day, hours) for day in working_saturdays]

    def works(day: date) -> bool:
        return day not in rest_days and (day.weekday() < 5 or day in working_saturdays)

    short_days = sorted({
        day - timedelta(days=1) for day in rest_days
        if works(day - timedelta(days=1)) and (day - timedelta(days=1)).year == year
    })
    if shorten:
        short_hours = shortened(hours)
        planned += [PlannedException(SHORT_DAY, ExceptionKind.WORK, day, short_hours) for day in short_days]
    plan = ImportPlan(calendar=calendar, year=year, short_days=short_days)
    existing = [] if calendar.pk is None else list(CalendarException.objects.filter(
        holiday_calendar=calendar, date_from__lte=date(year, 12, 31), date_to__gte=date(year, 1, 1)))
    for item in planned:
        covering = [row for row in existing if row.date_from <= item.day <= row.date_to]
        same = [row for row in covering if row.kind == item.kind and row.date_from == row.date_to == item.day]
        if same:
            plan.present.append(item)
        elif covering:
            plan.conflicts.append((item, str(covering[0])))
        else:
            plan.add.append(item)
    return plan


@transaction.atomic
def apply_import(plan: ImportPlan) -> int:
    rows = [
        CalendarException(holiday_calendar=plan.calendar, name=item.name[:200], kind=item.kind, date_from=item.day,
                          date_to=item.day, hours=item.hours if item.kind == ExceptionKind.WORK else None)
        for item in plan.add
    ]
    CalendarException.objects.bulk_create(rows)
    # bulk_create sends no post_save: touch the calendar so the open clocks are re-planned.
    plan.calendar.save(update_fields=["updated_at"])
    logger.info("imported %s exceptions of %s into %r", len(rows), plan.year, plan.calendar.name)
    return len(rows)
