"""The stored JSON form of calendars (the shape the Django models keep) to objects, and back.

Schedule: `{"mon": "24h" | "off" | [["HH:MM", "HH:MM"], ...], ..., "sun": ...}`, all seven
days. Exceptions: `[{"name", "kind": "rest"|"work", "from": "YYYY-MM-DD", "to": ...,
"hours": <day rule, work only>}]`. The same shape as the SLA oracle's test vectors.

Parsing collects every problem before failing, so a form can show them all together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from otklik.worktime.calendar import BusinessCalendar
from otklik.worktime.errors import CalendarConfigError
from otklik.worktime.schedule import (
    ALL_DAY,
    DAY_OFF,
    WEEKDAY_KEYS,
    CalendarException,
    DayHours,
    ExceptionKind,
    WeeklySchedule,
    WorkInterval,
)
from otklik.worktime.zones import load_timezone

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

MIN_WEEKLY_MINUTES_WITHOUT_WARNING = 60


class _Problems:
    """Collects messages; `where` prefixes them with the day or exception at fault."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    @contextmanager
    def collecting(self, where: str) -> Iterator[None]:
        try:
            yield
        except CalendarConfigError as error:
            self.messages.extend(f"{where}: {problem}" for problem in error.problems)

    def add(self, where: str, problem: str) -> None:
        self.messages.append(f"{where}: {problem}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise CalendarConfigError(self.messages)


@lru_cache(maxsize=4096)
def _interval_from_texts(start: str, end: str) -> WorkInterval:
    """Memoised: a production calendar repeats the same few intervals hundreds of times."""
    return WorkInterval.parse(start, end)


@lru_cache(maxsize=4096)
def _date_from_text(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_day_hours(value: object) -> DayHours:
    """`"24h"`, `"off"`, `[]` or a list of `["HH:MM", "HH:MM"]` intervals."""
    if value == ALL_DAY:
        return DayHours.all_day()
    if value == DAY_OFF:
        return DayHours.off()
    if not isinstance(value, list | tuple):
        raise CalendarConfigError(f'expected "{ALL_DAY}", "{DAY_OFF}" or a list of [start, end] intervals')
    problems: list[str] = []
    intervals = []
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            problems.append(f"interval {item!r} is not a [start, end] pair")
            continue
        try:
            start, end = item
            if isinstance(start, str) and isinstance(end, str):
                intervals.append(_interval_from_texts(start, end))
            else:
                intervals.append(WorkInterval.parse(start, end))
        except CalendarConfigError as error:
            problems.extend(error.problems)
    if problems:
        raise CalendarConfigError(problems)
    return DayHours(tuple(intervals))


def parse_schedule(data: object) -> WeeklySchedule:
    if not isinstance(data, Mapping):
        raise CalendarConfigError("schedule: expected an object with the keys " + " ".join(WEEKDAY_KEYS))
    problems = _Problems()
    missing = [key for key in WEEKDAY_KEYS if key not in data]
    unknown = sorted(str(key) for key in data if key not in WEEKDAY_KEYS)
    if missing:
        problems.add("schedule", "missing " + ", ".join(missing) + " (every weekday must be given)")
    if unknown:
        problems.add("schedule", "unknown keys " + ", ".join(unknown))
    days: dict[str, DayHours] = {}
    for key in WEEKDAY_KEYS:
        if key in data:
            with problems.collecting(key):
                days[key] = parse_day_hours(data[key])
    problems.raise_if_any()
    return WeeklySchedule.from_days(days)


def _parse_date(value: object, field: str) -> date:
    parsed = _date_from_text(value) if isinstance(value, str) else None
    if parsed is not None:
        return parsed
    raise CalendarConfigError(f"{field} {value!r} is not a date YYYY-MM-DD")


def parse_exception(data: object) -> CalendarException:
    """One `{"name", "kind", "from", "to", "hours"?}` object; other keys (an id) are ignored."""
    if not isinstance(data, Mapping):
        raise CalendarConfigError("expected an object with name, kind, from, to")
    problems: list[str] = []
    name = data.get("name", "")
    if not isinstance(name, str):
        problems.append(f"name {name!r} is not a string")
    kind_value = data.get("kind")
    kind = ExceptionKind(kind_value) if kind_value in ("rest", "work") else None
    if kind is None:
        problems.append(f'kind {kind_value!r} must be "rest" or "work"')
    dates: list[date] = []
    for field in ("from", "to"):
        try:
            dates.append(_parse_date(data.get(field), field))
        except CalendarConfigError as error:
            problems.extend(error.problems)
    hours = DayHours.off()
    if kind is ExceptionKind.REST and "hours" in data:
        problems.append("a rest exception has no hours")
    if kind is ExceptionKind.WORK:
        if "hours" not in data:
            problems.append("a work exception needs hours")
        else:
            try:
                hours = parse_day_hours(data["hours"])
            except CalendarConfigError as error:
                problems.extend(f"hours: {problem}" for problem in error.problems)
    if problems:
        raise CalendarConfigError(problems)
    assert kind is not None and isinstance(name, str)
    return CalendarException(name, kind, dates[0], dates[1], hours)


def parse_exceptions(data: object) -> tuple[CalendarException, ...]:
    if not isinstance(data, list | tuple):
        raise CalendarConfigError("exceptions: expected a list")
    problems = _Problems()
    parsed = []
    for number, item in enumerate(data, start=1):
        label = item.get("name") if isinstance(item, Mapping) else None
        where = f"exception #{number}" + (f" {label!r}" if isinstance(label, str) and label else "")
        with problems.collecting(where):
            parsed.append(parse_exception(item))
    problems.raise_if_any()
    return tuple(parsed)


def parse_calendar(timezone: object, schedule: object, exceptions: object = ()) -> BusinessCalendar:
    """A calendar from its stored form; raises `CalendarConfigError` listing every problem."""
    problems = _Problems()
    zone = schedule_rules = exception_rules = None
    try:
        zone = load_timezone(timezone)
    except CalendarConfigError as error:
        problems.messages.extend(error.problems)
    try:
        schedule_rules = parse_schedule(schedule)
    except CalendarConfigError as error:
        problems.messages.extend(error.problems)
    try:
        exception_rules = parse_exceptions(exceptions)
    except CalendarConfigError as error:
        problems.messages.extend(error.problems)
    problems.raise_if_any()
    assert zone is not None and schedule_rules is not None and exception_rules is not None
    return BusinessCalendar(zone, schedule_rules, exception_rules)


@lru_cache(maxsize=256)
def _calendar_from_json(stored: str) -> BusinessCalendar:
    timezone, schedule, exceptions = json.loads(stored)
    return parse_calendar(timezone, schedule, exceptions)


def cached_calendar(timezone: object, schedule: object, exceptions: object = ()) -> BusinessCalendar:
    """`parse_calendar`, memoised on the stored content.

    Calendars are immutable, so one object can serve every request that uses the same
    schedule and exceptions; it keeps its per-date spans warm between requests, which is
    worth an order of magnitude over parsing (see `bench/bench_worktime.py`). Keyed by
    content, so an edited schedule can never be served stale.
    """
    stored = json.dumps([timezone, schedule, exceptions], sort_keys=True, separators=(",", ":"))
    return _calendar_from_json(stored)


def schedule_warnings(schedule: WeeklySchedule) -> list[str]:
    """Legal but suspicious schedules (SPEC 3.1, rule 6): warn, do not reject."""
    minutes = schedule.working_minutes_per_week
    if minutes == 0:
        return ["the week has no working time at all: clocks only run on work exceptions"]
    if minutes < MIN_WEEKLY_MINUTES_WITHOUT_WARNING:
        return [f"the week has only {minutes} min of working time"]
    return []


@dataclass(frozen=True, slots=True)
class CalendarValidation:
    """Outcome of checking a stored calendar: `problems` reject it, `warnings` do not."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def is_valid(self) -> bool:
        return not self.problems


def validate_calendar(timezone: object, schedule: object, exceptions: object = ()) -> CalendarValidation:
    try:
        calendar = parse_calendar(timezone, schedule, exceptions)
    except CalendarConfigError as error:
        return CalendarValidation(problems=error.problems, warnings=())
    return CalendarValidation(problems=(), warnings=tuple(schedule_warnings(calendar.schedule)))
