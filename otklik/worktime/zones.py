"""Local dates of an IANA zone as real (UTC) time: the DST-exact part of the maths.

Instants are integer seconds since the Unix epoch. A local date is named by its "day
number": days since 1970-01-01, so its naive midnight "as if UTC" is `day * 86400`.

The working predicate (SPEC 3.5) says an instant works when its *local* wall-clock time is
inside an interval of the rule for its *local* date. Rather than converting interval
endpoints (which fails for times inside a DST gap or a repeated hour), we split the UTC
timeline into periods of constant offset and, inside each, map the local span
`[midnight + start, midnight + end)` to UTC by subtracting that period's offset. That is
the membership rule done exactly: spring-forward gaps vanish, repeated hours count twice,
and a skipped date (Pacific/Apia 2011-12-30) yields nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from otklik.worktime.errors import CalendarConfigError

SECONDS_PER_DAY = 86_400
MAX_ABS_OFFSET = SECONDS_PER_DAY
"""Python requires |utcoffset| < 24 h, so local date `d` only holds instants in
`(d*86400 - 24h, d*86400 + 48h)`. Real zones stay within ~16 h; the hard bound costs a
couple of cached look-ups and needs no trust in the tz database."""

_SAMPLE_STEP = 6 * 3600
"""Offsets are sampled every 6 h and bisected where they differ. zoneinfo does not list
transitions; two changes that cancel out within 6 h would be missed, and no zone in the
tz database has them (the shortest-lived offsets last weeks)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)
_NOT_ZONE_NAMES = frozenset({"localtime", "posixrules"})
"""Files that sit in the zoneinfo directory but name no IANA zone."""

type UtcSpan = tuple[int, int]
"""Half-open `[start, end)` in epoch seconds."""
type OffsetPiece = tuple[int, int, int]
"""`(start, end, utc_offset)`: part of one local date with one constant offset."""


def load_timezone(name: object) -> ZoneInfo:
    """The zone for an IANA name; rejects abbreviations and fixed offsets (SPEC 3.1, rule 5)."""
    if not isinstance(name, str) or not name or name in _NOT_ZONE_NAMES:
        raise CalendarConfigError(f"timezone {name!r} is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CalendarConfigError(
            f"timezone {name!r} is not a known IANA time zone (use a name like Europe/Moscow)"
        ) from None


def to_epoch(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime; sub-second parts are floored.

    Floors rather than rounds so that an instant never moves into a later second than the
    one it happened in; SLA instants are whole seconds (SPEC 2).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} given; instants must be timezone-aware")
    return (moment - _EPOCH) // _ONE_SECOND


def from_epoch(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def utc_offset_at(zone: ZoneInfo, instant: int) -> int:
    offset = from_epoch(instant).astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset // _ONE_SECOND


def local_day_number(zone: ZoneInfo, instant: int) -> int:
    return (instant + utc_offset_at(zone, instant)) // SECONDS_PER_DAY


@lru_cache(maxsize=65_536)
def _offset_changes_in_utc_day(zone: ZoneInfo, utc_day: int) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Offset at the start of a UTC day and the `(instant, new_offset)` changes in
    `(day_start, day_end]`."""
    day_start = utc_day * SECONDS_PER_DAY
    offset_at_start = utc_offset_at(zone, day_start)
    changes: list[tuple[int, int]] = []
    before, before_offset = day_start, offset_at_start
    for sample in range(day_start + _SAMPLE_STEP, day_start + SECONDS_PER_DAY + 1, _SAMPLE_STEP):
        sample_offset = utc_offset_at(zone, sample)
        # more than one change may hide between two samples: find them one by one
        while sample_offset != before_offset:
            low, high = before, sample  # offset(low) == before_offset != offset(high)
            while high - low > 1:
                middle = (low + high) // 2
                if utc_offset_at(zone, middle) == before_offset:
                    low = middle
                else:
                    high = middle
            before, before_offset = high, utc_offset_at(zone, high)
            # a change exactly at the next UTC midnight is listed here, never in the next
            # day, whose `offset_at_start` already includes it (Europe/Chisinau changes at 00:00Z)
            changes.append((high, before_offset))
        before = sample
    return offset_at_start, tuple(changes)


@lru_cache(maxsize=65_536)
def local_day_pieces(zone: ZoneInfo, day: int) -> tuple[OffsetPiece, ...]:
    """The UTC instants whose local date is `day`, cut where the offset changes.

    Usually one piece of 24 h; two on a DST day; none for a skipped date; and on a
    fall-back across midnight the date even occurs twice with a gap between.
    """
    naive_midnight = day * SECONDS_PER_DAY
    window_start = naive_midnight - MAX_ABS_OFFSET
    window_end = naive_midnight + SECONDS_PER_DAY + MAX_ABS_OFFSET
    first_utc_day = window_start // SECONDS_PER_DAY
    offset, _ = _offset_changes_in_utc_day(zone, first_utc_day)
    boundaries: list[tuple[int, int]] = [(window_start, offset)]
    for utc_day in range(first_utc_day, (window_end - 1) // SECONDS_PER_DAY + 1):
        boundaries.extend(_offset_changes_in_utc_day(zone, utc_day)[1])
    pieces = []
    for index, (period_start, period_offset) in enumerate(boundaries):
        period_end = boundaries[index + 1][0] if index + 1 < len(boundaries) else window_end
        start = max(period_start, naive_midnight - period_offset)
        end = min(period_end, naive_midnight + SECONDS_PER_DAY - period_offset)
        if start < end:
            pieces.append((start, end, period_offset))
    return tuple(pieces)


def local_intervals_to_utc(zone: ZoneInfo, day: int, intervals: tuple[UtcSpan, ...]) -> tuple[UtcSpan, ...]:
    """Map local `[start, end)` spans (seconds since local midnight) of `day` to sorted,
    joined UTC spans, following the membership rule."""
    naive_midnight = day * SECONDS_PER_DAY
    spans = []
    for piece_start, piece_end, offset in local_day_pieces(zone, day):
        for start_second, end_second in intervals:
            start = max(piece_start, naive_midnight + start_second - offset)
            end = min(piece_end, naive_midnight + end_second - offset)
            if start < end:
                spans.append((start, end))
    spans.sort()
    joined: list[UtcSpan] = []
    for start, end in spans:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return tuple(joined)
