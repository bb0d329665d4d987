"""`BusinessCalendar`: due dates and elapsed business time (SPEC 3.5 and 4).

Definitions, exactly as the SPEC and its oracle state them:

- COUNTS(t): t is working (SPEC 3.5) and inside no pause;
- W(a, b): seconds of `[a, b)` where COUNTS holds (0 when b <= a);
- add(start, S): `start` when S == 0, else the earliest T >= start with W(start, T) >= S,
  None when that never happens (open-ended pause, or no working time ahead).

Speed comes from walking local dates, not minutes: each date's working hours are turned into
UTC spans once (cached), pauses are cut out, and the budget is consumed span by span.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from otklik.worktime.pauses import PauseLike, PauseSpan, merge_pauses
from otklik.worktime.schedule import (
    CalendarException,
    DayHours,
    ExceptionKind,
    WeeklySchedule,
    precedence_key,
)
from otklik.worktime.zones import (
    MAX_ABS_OFFSET,
    SECONDS_PER_DAY,
    UtcSpan,
    from_epoch,
    load_timezone,
    local_day_number,
    local_intervals_to_utc,
    to_epoch,
)

HORIZON_DAYS = 3 * 366
"""A walk that meets this many consecutive local dates without working time gives up and
answers None: the calendar is misconfigured (SPEC 10, case 23), and looping on would only
hide that."""

_SPAN_CACHE_LIMIT = 50_000
"""Dates cached per calendar before the cache is dropped; a calendar object lives for a
request or a batch job, so this only guards against unbounded growth in a worker."""

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_WEEKDAY = date(1970, 1, 1).weekday()
_MINUTE = 60


def _day_number(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


class _IndexedException(NamedTuple):
    first_day: int
    last_day: int
    precedence: tuple[int, int, int]
    exception: CalendarException


def _hours_in_seconds(hours: DayHours) -> tuple[UtcSpan, ...]:
    return tuple((i.start_minute * _MINUTE, i.end_minute * _MINUTE) for i in hours.intervals)


class BusinessCalendar:
    """A weekly schedule plus dated exceptions in one IANA time zone. Immutable.

    All methods take and return timezone-aware datetimes (returned ones are in UTC);
    sub-second parts of inputs are floored to whole seconds.
    """

    __slots__ = (
        "_exceptions",
        "_exceptions_by_first_day",
        "_has_weekly_work",
        "_hours_cache",
        "_schedule",
        "_spans_cache",
        "_weekday_hours",
        "_work_exception_days",
        "_zone",
    )

    def __init__(
        self,
        timezone: ZoneInfo | str,
        schedule: WeeklySchedule,
        exceptions: Iterable[CalendarException] = (),
    ) -> None:
        self._zone = timezone if isinstance(timezone, ZoneInfo) else load_timezone(timezone)
        self._schedule = schedule
        self._exceptions = tuple(exceptions)
        self._weekday_hours = tuple(_hours_in_seconds(day) for day in schedule.days)
        self._has_weekly_work = any(self._weekday_hours)
        # sorted by first day so a date lookup can stop at the first exception starting later
        self._exceptions_by_first_day = sorted(
            (
                _IndexedException(_day_number(e.first_day), _day_number(e.last_day), precedence_key(e, position), e)
                for position, e in enumerate(self._exceptions)
            ),
            key=lambda entry: entry.first_day,
        )
        self._work_exception_days = [
            (entry.first_day, entry.last_day)
            for entry in self._exceptions_by_first_day
            if entry.exception.kind is ExceptionKind.WORK
        ]
        self._hours_cache: dict[int, tuple[UtcSpan, ...]] = {}
        self._spans_cache: dict[int, tuple[UtcSpan, ...]] = {}

    # ------------------------------------------------------------------ identity

    @property
    def timezone(self) -> ZoneInfo:
        return self._zone

    @property
    def schedule(self) -> WeeklySchedule:
        return self._schedule

    @property
    def exceptions(self) -> tuple[CalendarException, ...]:
        return self._exceptions

    def _identity(self) -> tuple[object, WeeklySchedule, tuple[CalendarException, ...]]:
        # zones loaded from a file have no key; only the same object is the same zone then
        zone: object = self._zone.key if self._zone.key is not None else self._zone
        return (zone, self._schedule, self._exceptions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return f"BusinessCalendar({self._zone.key!r}, {self._schedule!r}, {self._exceptions!r})"

    # ------------------------------------------------------------------ rules per date

    def winning_exception(self, day: date) -> CalendarException | None:
        """The exception that decides the local date `day` (SPEC 3.2), if any."""
        winner = self._winning_entry(_day_number(day))
        return None if winner is None else winner.exception

    def hours_on(self, day: date) -> DayHours:
        """The working hours that apply on the local date `day`."""
        winner = self.winning_exception(day)
        return winner.hours if winner is not None else self._schedule.hours_for_weekday(day.weekday())

    def _winning_entry(self, day: int) -> _IndexedException | None:
        best = None
        for entry in self._exceptions_by_first_day:
            if entry.first_day > day:
                break
            if day <= entry.last_day and (best is None or entry.precedence < best.precedence):
                best = entry
        return best

    def _local_hours(self, day: int) -> tuple[UtcSpan, ...]:
        """Working spans of local date `day`, in seconds since its local midnight."""
        hours = self._hours_cache.get(day)
        if hours is None:
            winner = self._winning_entry(day)
            if winner is None:
                hours = self._weekday_hours[(day + _EPOCH_WEEKDAY) % 7]
            else:
                hours = _hours_in_seconds(winner.exception.hours)
            if len(self._hours_cache) >= _SPAN_CACHE_LIMIT:
                self._hours_cache.clear()
            self._hours_cache[day] = hours
        return hours

    def _working_spans_on(self, day: int) -> tuple[UtcSpan, ...]:
        """Working time of local date `day` as sorted UTC spans (epoch seconds)."""
        spans = self._spans_cache.get(day)
        if spans is None:
            hours = self._local_hours(day)
            spans = local_intervals_to_utc(self._zone, day, hours) if hours else ()
            if len(self._spans_cache) >= _SPAN_CACHE_LIMIT:
                self._spans_cache.clear()
            self._spans_cache[day] = spans
        return spans

    def _next_work_exception_day(self, day: int) -> int | None:
        """First date >= `day` inside a work exception: with an all-off week, the only
        dates that can work at all."""
        candidates = [max(first, day) for first, last in self._work_exception_days if last >= day]
        return min(candidates, default=None)

    # ------------------------------------------------------------------ the walk

    def _counting_spans(self, start: int, pauses: tuple[PauseSpan, ...], stop: int | None) -> Iterator[UtcSpan]:
        """Spans of counting time (working, not paused) within `[start, stop)`, in time order.

        Dates are visited in local order, but their UTC spans need not be in order across
        dates (a fall-back across midnight replays the end of the previous date), so spans
        wait in a heap until no later date can hold an earlier instant: date `d` only holds
        instants after `d * 86400 - MAX_ABS_OFFSET`.
        """
        day = (start - 2 * SECONDS_PER_DAY) // SECONDS_PER_DAY + 1  # first date reaching `start`
        pending: list[UtcSpan] = []
        pause_count = len(pauses)
        cut_index = 0  # first pause that may still cut a span being emitted
        skip_index = 0  # first pause that may still cover whole dates ahead of the walk
        idle_days = 0
        no_more_work = False
        open_pause_start = pauses[-1][0] if pauses and pauses[-1][1] is None else None

        while True:
            settled_up_to = day * SECONDS_PER_DAY - MAX_ABS_OFFSET
            while pending and (no_more_work or pending[0][0] <= settled_up_to):
                span_start, span_end = heapq.heappop(pending)
                span_start = max(span_start, start)
                if stop is not None:
                    if span_start >= stop:
                        return
                    span_end = min(span_end, stop)
                while span_start < span_end:
                    while (
                        cut_index < pause_count
                        and (pause_end := pauses[cut_index][1]) is not None
                        and pause_end <= span_start
                    ):
                        cut_index += 1
                    if cut_index == pause_count or pauses[cut_index][0] >= span_end:
                        yield span_start, span_end
                        break
                    pause_start, pause_end = pauses[cut_index]
                    if span_start < pause_start:
                        yield span_start, pause_start
                    if pause_end is None:
                        return
                    span_start = pause_end
            if no_more_work:
                return
            # nothing left to find when the stop or an open-ended pause lies behind the walk
            if stop is not None and settled_up_to >= stop:
                return
            if open_pause_start is not None and settled_up_to >= open_pause_start:
                return

            # jump over dates that a closed pause covers entirely: their hours cannot count
            while (
                skip_index < pause_count
                and (pause_end := pauses[skip_index][1]) is not None
                and pause_end <= settled_up_to
            ):
                skip_index += 1
            if skip_index < pause_count:
                pause_start, pause_end = pauses[skip_index]
                if pause_end is not None and pause_start <= settled_up_to:
                    first_reaching_end = (pause_end - 2 * SECONDS_PER_DAY) // SECONDS_PER_DAY + 1
                    if first_reaching_end > day:
                        day = first_reaching_end
                        continue

            if spans := self._working_spans_on(day):
                idle_days = 0
                for span in spans:
                    heapq.heappush(pending, span)
                day += 1
                continue
            idle_days += 1
            next_day = day + 1
            if not self._has_weekly_work:
                work_day = self._next_work_exception_day(next_day)
                if work_day is None:
                    no_more_work = True
                    continue
                idle_days += work_day - next_day
                next_day = work_day
            if stop is None and idle_days > HORIZON_DAYS:
                no_more_work = True
                continue
            day = next_day

    def _add_seconds(self, start: int, seconds: int, pauses: tuple[PauseSpan, ...]) -> int | None:
        if seconds < 0:
            raise ValueError(f"business time to add must not be negative, got {seconds} s")
        if seconds == 0:
            # "now" is the answer for a spent budget (warn_at, resumed late clocks), SPEC 4
            return start
        remaining = seconds
        for span_start, span_end in self._counting_spans(start, pauses, None):
            if span_end - span_start >= remaining:
                return span_start + remaining
            remaining -= span_end - span_start
        return None

    def _elapsed_seconds(self, start: int, end: int, pauses: tuple[PauseSpan, ...]) -> int:
        if end <= start:
            return 0
        return sum(span_end - span_start for span_start, span_end in self._counting_spans(start, pauses, end))

    # ------------------------------------------------------------------ public maths

    def add_business_seconds(self, start: datetime, seconds: int, pauses: Iterable[PauseLike] = ()) -> datetime | None:
        """The earliest instant by which `seconds` of business time have passed since `start`.

        A budget that runs out exactly at closing time gives that closing time, not the next
        opening; zero gives `start` itself. None when the budget can never be used up: an
        open-ended pause, or no working time ahead (within `HORIZON_DAYS` idle days).
        """
        due = self._add_seconds(to_epoch(start), seconds, merge_pauses(pauses))
        return None if due is None else from_epoch(due)

    def add_business_time(
        self, start: datetime, duration: timedelta, pauses: Iterable[PauseLike] = ()
    ) -> datetime | None:
        """`add_business_seconds` for a `timedelta` of whole seconds."""
        seconds, remainder = divmod(duration, timedelta(seconds=1))
        if remainder:
            raise ValueError(f"business durations are whole seconds, got {duration!r}")
        return self.add_business_seconds(start, seconds, pauses)

    def due_at(self, start: datetime, target_minutes: int, pauses: Iterable[PauseLike] = ()) -> datetime | None:
        """When a clock started at `start` with a target of `target_minutes` is due."""
        return self.add_business_seconds(start, target_minutes * _MINUTE, pauses)

    def warn_at(
        self,
        start: datetime,
        target_minutes: int,
        warn_before_minutes: int,
        pauses: Iterable[PauseLike] = (),
    ) -> datetime | None:
        """When the remaining business time falls to `warn_before_minutes` (SPEC 8);
        `start` itself when the threshold is at least the target."""
        if warn_before_minutes < 0:
            raise ValueError(f"warn_before_minutes must not be negative, got {warn_before_minutes}")
        return self.due_at(start, max(0, target_minutes - warn_before_minutes), pauses)

    def business_seconds_between(self, start: datetime, end: datetime, pauses: Iterable[PauseLike] = ()) -> int:
        """W(start, end): business seconds in `[start, end)` outside pauses; 0 if end <= start."""
        return self._elapsed_seconds(to_epoch(start), to_epoch(end), merge_pauses(pauses))

    def is_working(self, moment: datetime) -> bool:
        """The working predicate of SPEC 3.5 (pauses play no part here)."""
        instant = to_epoch(moment)
        day = local_day_number(self._zone, instant)
        return any(start <= instant < end for start, end in self._working_spans_on(day))

    def working_spans(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working time within `[start, end)` as UTC datetime spans, touching spans joined
        (so a 24 h Saturday next to a 24 h Sunday is one span)."""
        joined: UtcSpan | None = None
        for span_start, span_end in self._counting_spans(to_epoch(start), (), to_epoch(end)):
            if joined is not None and span_start == joined[1]:
                joined = (joined[0], span_end)
                continue
            if joined is not None:
                yield from_epoch(joined[0]), from_epoch(joined[1])
            joined = (span_start, span_end)
        if joined is not None:
            yield from_epoch(joined[0]), from_epoch(joined[1])

    @property
    def has_weekly_working_time(self) -> bool:
        return self._has_weekly_work
