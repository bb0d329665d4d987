"""Business-time calendar maths for SLA clocks: pure Python, standard library only.

    calendar = parse_calendar("Europe/Moscow", schedule_json, exceptions_json)
    due = calendar.due_at(created_at, 480, pauses=[Pause(paused_at, resumed_at)])
    used = calendar.business_seconds_between(created_at, now, pauses)

Semantics are those of the SLA specification (`../shared/sla/SPEC.md`, sections 3-4) and
are checked against its brute-force oracle (`conformance.evaluate`).
"""

from otklik.worktime.calendar import HORIZON_DAYS, BusinessCalendar
from otklik.worktime.errors import CalendarConfigError
from otklik.worktime.parsing import (
    CalendarValidation,
    cached_calendar,
    parse_calendar,
    parse_day_hours,
    parse_exception,
    parse_exceptions,
    parse_schedule,
    schedule_warnings,
    validate_calendar,
)
from otklik.worktime.pauses import Pause, PauseLike, merge_pauses
from otklik.worktime.schedule import (
    PRESET_SCHEDULES,
    WEEKDAY_KEYS,
    CalendarException,
    DayHours,
    ExceptionKind,
    WeeklySchedule,
    WorkInterval,
    winning_exception,
)
from otklik.worktime.zones import load_timezone

__all__ = [
    "HORIZON_DAYS",
    "PRESET_SCHEDULES",
    "WEEKDAY_KEYS",
    "BusinessCalendar",
    "CalendarConfigError",
    "CalendarException",
    "CalendarValidation",
    "DayHours",
    "ExceptionKind",
    "Pause",
    "PauseLike",
    "WeeklySchedule",
    "WorkInterval",
    "cached_calendar",
    "load_timezone",
    "merge_pauses",
    "parse_calendar",
    "parse_day_hours",
    "parse_exception",
    "parse_exceptions",
    "parse_schedule",
    "schedule_warnings",
    "validate_calendar",
    "winning_exception",
]
