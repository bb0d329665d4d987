"""Working-hours rules: intervals, day rules, the weekly schedule and dated exceptions.

Everything here is local wall-clock time of the schedule's zone; turning it into real
instants is the job of `zones` and `calendar`. All objects are immutable and validate
themselves on construction, so a `BusinessCalendar` can never hold a malformed rule.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

from otklik.worktime.errors import CalendarConfigError

MINUTES_PER_DAY = 24 * 60
WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Keys of the stored schedule, Monday first (the order of `date.weekday()`)."""

ALL_DAY: Final = "24h"
DAY_OFF: Final = "off"

type IntervalData = list[str]
type DayHoursData = Literal["24h", "off"] | list[IntervalData]


def format_hhmm(minute_of_day: int) -> str:
    """`540` -> `"09:00"`, `1440` -> `"24:00"`."""
    hours, minutes = divmod(minute_of_day, 60)
    return f"{hours:02d}:{minutes:02d}"


def parse_hhmm(text: object, *, is_end: bool) -> int:
    """Minutes since local midnight for a strict `HH:MM`; `24:00` only when `is_end`.

    Strict on purpose (exactly five ASCII characters): the stored JSON is edited by admin
    forms and APIs, and "9:00" or "09:00:00" slipping through would hide typos.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a HH:MM string")
    hours_text, colon, minutes_text = text[:2], text[2:3], text[3:]
    if not (
        len(text) == 5
        and colon == ":"
        and hours_text.isascii()
        and hours_text.isdigit()
        and minutes_text.isascii()
        and minutes_text.isdigit()
    ):
        raise ValueError(f"{text!r} is not HH:MM")
    if text == "24:00":
        if is_end:
            return MINUTES_PER_DAY
        raise ValueError("24:00 is only allowed as an end")
    hours, minutes = int(hours_text), int(minutes_text)
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is out of range (00:00-23:59, or 24:00 as an end)")
    return hours * 60 + minutes


@dataclass(frozen=True, slots=True, order=True)
class WorkInterval:
    """Half-open local wall-clock span `[start, end)` of one day, in minutes since midnight.

    Never crosses midnight: a night shift is two intervals on two days, which keeps every
    rule attached to exactly one local date (SPEC 3.1, rule 2).
    """

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < MINUTES_PER_DAY:
            raise CalendarConfigError(f"interval {self.label}: start must be within 00:00-23:59")
        if not 0 < self.end_minute <= MINUTES_PER_DAY:
            raise CalendarConfigError(f"interval {self.label}: end must be within 00:01-24:00")
        if self.start_minute >= self.end_minute:
            raise CalendarConfigError(f"interval {self.label}: start must be before end")

    @classmethod
    def parse(cls, start: object, end: object) -> WorkInterval:
        """Build from the stored `["HH:MM", "HH:MM"]` form, with messages that quote the input."""
        label = f"{_quote(start)}-{_quote(end)}"
        problems = []
        start_minute = end_minute = None
        try:
            start_minute = parse_hhmm(start, is_end=False)
        except ValueError as exc:
            problems.append(f"interval {label}: start {exc}")
        try:
            end_minute = parse_hhmm(end, is_end=True)
        except ValueError as exc:
            problems.append(f"interval {label}: end {exc}")
        if problems:
            raise CalendarConfigError(problems)
        assert start_minute is not None and end_minute is not None
        return cls(start_minute, end_minute)

    @property
    def label(self) -> str:
        return f"{format_hhmm(self.start_minute)}-{format_hhmm(self.end_minute)}"

    @property
    def minutes(self) -> int:
        return self.end_minute - self.start_minute

    def to_data(self) -> IntervalData:
        return [format_hhmm(self.start_minute), format_hhmm(self.end_minute)]

    def __str__(self) -> str:
        return self.label


def _quote(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


@dataclass(frozen=True, slots=True)
class DayHours:
    """The working intervals of one local date; empty means no work that day.

    Stored canonically (sorted, touching intervals joined), so two rules that mean the
    same hours compare equal. Overlapping intervals are rejected rather than joined: an
    overlap is almost always a typo in the admin form (SPEC 3.1, rule 3).
    """

    intervals: tuple[WorkInterval, ...] = ()

    def __post_init__(self) -> None:
        ordered = sorted(self.intervals)
        joined: list[WorkInterval] = []
        problems = []
        for interval in ordered:
            if joined and interval.start_minute < joined[-1].end_minute:
                problems.append(f"intervals {joined[-1].label} and {interval.label} overlap")
                continue
            if joined and interval.start_minute == joined[-1].end_minute:
                joined[-1] = WorkInterval(joined[-1].start_minute, interval.end_minute)
            else:
                joined.append(interval)
        if problems:
            raise CalendarConfigError(problems)
        object.__setattr__(self, "intervals", tuple(joined))

    @classmethod
    def all_day(cls) -> DayHours:
        return cls((WorkInterval(0, MINUTES_PER_DAY),))

    @classmethod
    def off(cls) -> DayHours:
        return cls()

    @classmethod
    def of(cls, *spans: tuple[str, str]) -> DayHours:
        """`DayHours.of(("09:00", "13:00"), ("14:00", "18:00"))`."""
        return cls(tuple(WorkInterval.parse(start, end) for start, end in spans))

    @property
    def is_off(self) -> bool:
        return not self.intervals

    @property
    def is_all_day(self) -> bool:
        return self.intervals == (WorkInterval(0, MINUTES_PER_DAY),)

    @property
    def working_minutes(self) -> int:
        """Nominal minutes; a DST day really has an hour more or less (see `zones`)."""
        return sum(interval.minutes for interval in self.intervals)

    def to_data(self) -> DayHoursData:
        if self.is_all_day:
            return ALL_DAY
        if self.is_off:
            return DAY_OFF
        return [interval.to_data() for interval in self.intervals]

    def __str__(self) -> str:
        if self.is_all_day:
            return ALL_DAY
        return ", ".join(map(str, self.intervals)) or DAY_OFF


_OFF = DayHours()


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Working hours per weekday (days not given do not work)."""

    mon: DayHours = _OFF
    tue: DayHours = _OFF
    wed: DayHours = _OFF
    thu: DayHours = _OFF
    fri: DayHours = _OFF
    sat: DayHours = _OFF
    sun: DayHours = _OFF

    @classmethod
    def from_days(cls, days: Mapping[str, DayHours]) -> WeeklySchedule:
        """From a `{"mon": ..., ...}` mapping; unknown keys are an error, missing days are off."""
        unknown = sorted(set(days) - set(WEEKDAY_KEYS))
        if unknown:
            raise CalendarConfigError(f"schedule: unknown day keys {', '.join(unknown)}")
        return cls(**days)

    @classmethod
    def uniform(cls, hours: DayHours, weekdays: Iterable[str] = WEEKDAY_KEYS) -> WeeklySchedule:
        """The same hours on the given days, every other day off."""
        return cls.from_days(dict.fromkeys(weekdays, hours))

    @property
    def days(self) -> tuple[DayHours, ...]:
        """Monday first, indexable by `date.weekday()`."""
        return (self.mon, self.tue, self.wed, self.thu, self.fri, self.sat, self.sun)

    def hours_for_weekday(self, weekday: int) -> DayHours:
        return self.days[weekday]

    @property
    def working_minutes_per_week(self) -> int:
        return sum(day.working_minutes for day in self.days)

    def to_data(self) -> dict[str, DayHoursData]:
        return {key: day.to_data() for key, day in zip(WEEKDAY_KEYS, self.days, strict=True)}


class ExceptionKind(enum.StrEnum):
    REST = "rest"
    """No working time on these dates (holiday, moved day off)."""
    WORK = "work"
    """These dates use the exception's own hours instead of the weekday's (moved working day)."""


@dataclass(frozen=True, slots=True)
class CalendarException:
    """A named, inclusive range of local dates that overrides the weekly schedule.

    A work exception always carries explicit hours, never "the weekday's hours", so that a
    later schedule edit does not silently change an exception already agreed (SPEC 3.2).
    """

    name: str
    kind: ExceptionKind
    first_day: date
    last_day: date
    hours: DayHours = field(default=_OFF)

    def __post_init__(self) -> None:
        problems = []
        if self.first_day > self.last_day:
            problems.append(f"from {self.first_day.isoformat()} is after to {self.last_day.isoformat()}")
        if self.kind is ExceptionKind.REST and not self.hours.is_off:
            problems.append("a rest exception has no hours")
        if self.kind is ExceptionKind.WORK and self.hours.is_off:
            problems.append("a work exception needs working hours")
        if problems:
            raise CalendarConfigError(problems)

    @classmethod
    def rest(cls, name: str, first_day: date, last_day: date | None = None) -> CalendarException:
        return cls(name, ExceptionKind.REST, first_day, last_day or first_day)

    @classmethod
    def work(cls, name: str, first_day: date, hours: DayHours, last_day: date | None = None) -> CalendarException:
        return cls(name, ExceptionKind.WORK, first_day, last_day or first_day, hours)

    @property
    def day_count(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name,
            "kind": self.kind.value,
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
        }
        if self.kind is ExceptionKind.WORK:
            data["hours"] = self.hours.to_data()
        return data


def precedence_key(exception: CalendarException, position: int) -> tuple[int, int, int]:
    """Sort key whose minimum is the exception that wins a date (SPEC 3.2).

    Narrowest range first, because a one-day "on duty" inside a week-long closure is the
    more specific statement; then rest before work, because wrongly closing is safer for an
    SLA than wrongly opening; then the later list position, so level-specific entries (which
    come last in the effective list, SPEC 3.3) win the remaining ties.
    """
    return (exception.day_count, 0 if exception.kind is ExceptionKind.REST else 1, -position)


def winning_exception(exceptions: Sequence[CalendarException], day: date) -> CalendarException | None:
    """The exception that decides `day`, or None when the weekday rule applies."""
    covering = [(precedence_key(e, pos), e) for pos, e in enumerate(exceptions) if e.covers(day)]
    return min(covering, key=lambda pair: pair[0])[1] if covering else None


PRESET_SCHEDULES: Mapping[str, WeeklySchedule] = {
    "24/7": WeeklySchedule.uniform(DayHours.all_day()),
    "5-day week 09:00-18:00": WeeklySchedule.uniform(DayHours.of(("09:00", "18:00")), WEEKDAY_KEYS[:5]),
    "5-day week 09:00-18:00 with lunch 13:00-14:00": WeeklySchedule.uniform(
        DayHours.of(("09:00", "13:00"), ("14:00", "18:00")), WEEKDAY_KEYS[:5]
    ),
    "6-day week 09:00-18:00": WeeklySchedule.uniform(DayHours.of(("09:00", "18:00")), WEEKDAY_KEYS[:6]),
}
"""The named schedules SPEC 3.1 asks to ship."""
