"""Due dates and elapsed business time on hand-checked edge cases.

Instants are written with the local offset in force, so each expectation reads like the
schedule it tests; the comments give the arithmetic.
"""

import io
import struct
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from otklik.worktime import (
    HORIZON_DAYS,
    BusinessCalendar,
    CalendarException,
    DayHours,
    Pause,
    WeeklySchedule,
    parse_calendar,
)

OFFICE = [["09:00", "18:00"]]
FIVE_DAY = {
    "mon": OFFICE,
    "tue": OFFICE,
    "wed": OFFICE,
    "thu": OFFICE,
    "fri": OFFICE,
    "sat": "off",
    "sun": "off",
}
ALWAYS = dict.fromkeys(FIVE_DAY, "24h")
NEVER = dict.fromkeys(FIVE_DAY, "off")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def moscow(schedule=FIVE_DAY, exceptions=()):
    return parse_calendar("Europe/Moscow", schedule, list(exceptions))


def rest(first, last=None):
    return {"name": "rest", "kind": "rest", "from": first, "to": last or first}


def work(first, hours, last=None):
    return {"name": "work", "kind": "work", "from": first, "to": last or first, "hours": hours}


# ---------------------------------------------------------------- basics


def test_budget_ending_at_closing_time_gives_closing_time():
    assert moscow().due_at(at("2024-03-04T10:00:00+03:00"), 480) == at("2024-03-04T18:00:00+03:00")


def test_start_outside_hours_starts_at_next_opening():
    # Mon 20:00 -> Tue 09:00 + 1 h
    assert moscow().due_at(at("2024-03-04T20:00:00+03:00"), 60) == at("2024-03-05T10:00:00+03:00")


def test_friday_evening_skips_weekend():
    assert moscow().due_at(at("2024-03-01T17:30:00+03:00"), 60) == at("2024-03-04T09:30:00+03:00")


def test_results_are_utc_datetimes():
    due = moscow().due_at(at("2024-03-04T10:00:00+03:00"), 60)
    assert due is not None and due.tzinfo is UTC and due == datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def test_seconds_are_exact_and_sub_seconds_floored():
    calendar = moscow()
    assert calendar.add_business_seconds(at("2024-03-04T17:59:30+03:00"), 60) == at("2024-03-05T09:00:30+03:00")
    start = at("2024-03-04T09:59:30.999999+03:00")
    assert calendar.due_at(start, 1) == at("2024-03-04T10:00:30+03:00")


def test_zero_target_is_start_itself_even_off_hours_and_paused():
    saturday = at("2024-03-02T12:00:00+03:00")
    assert moscow().due_at(saturday, 0) == saturday
    assert moscow().due_at(saturday, 0, [Pause(saturday - timedelta(hours=1))]) == saturday


def test_add_business_time_takes_timedelta_of_whole_seconds():
    calendar = moscow()
    start = at("2024-03-04T09:00:00+03:00")
    assert calendar.add_business_time(start, timedelta(hours=2)) == at("2024-03-04T11:00:00+03:00")
    with pytest.raises(ValueError, match="whole seconds"):
        calendar.add_business_time(start, timedelta(seconds=1.5))
    with pytest.raises(ValueError, match="must not be negative"):
        calendar.add_business_seconds(start, -1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        moscow().due_at(datetime(2024, 3, 4, 9, 0), 60)  # noqa: DTZ001 - the point of the test


def test_lunch_break_is_skipped():
    lunch = {d: [["09:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    calendar = moscow(FIVE_DAY | lunch)
    # Tue 11-13 + 14-18 = 6 h, Wed 09-11 = 2 h
    assert calendar.due_at(at("2024-03-05T11:00:00+03:00"), 480) == at("2024-03-06T11:00:00+03:00")


# ---------------------------------------------------------------- midnight


def test_2400_end_joins_the_next_day_without_gap():
    night = {"mon": [["20:00", "24:00"]], "tue": [["00:00", "04:00"]]}
    calendar = moscow(NEVER | night)
    # Mon 23:00-24:00 + Tue 00:00-02:00
    assert calendar.due_at(at("2024-03-04T23:00:00+03:00"), 180) == at("2024-03-05T02:00:00+03:00")
    spans = list(calendar.working_spans(at("2024-03-04T00:00:00+03:00"), at("2024-03-06T00:00:00+03:00")))
    assert spans == [(at("2024-03-04T20:00:00+03:00"), at("2024-03-05T04:00:00+03:00"))]


def test_2359_end_leaves_the_last_minute_out():
    calendar = moscow(FIVE_DAY | {"mon": [["00:00", "23:59"]], "tue": "24h"})
    assert calendar.due_at(at("2024-03-04T23:30:00+03:00"), 60) == at("2024-03-05T00:31:00+03:00")
    assert not calendar.is_working(at("2024-03-04T23:59:30+03:00"))


def test_24h_saturday_next_to_closed_sunday():
    calendar = moscow(FIVE_DAY | {"sat": "24h"})
    # Fri 1 h + Sat 24 h + Mon 1 h
    assert calendar.due_at(at("2024-03-01T17:00:00+03:00"), 26 * 60) == at("2024-03-04T10:00:00+03:00")


# ---------------------------------------------------------------- exceptions


def test_moved_working_saturday():
    calendar = moscow(exceptions=[work("2024-04-27", [["09:00", "13:00"], ["14:00", "17:00"]])])
    # Fri 17:00-18:00 + Sat 09:00-11:00
    assert calendar.due_at(at("2024-04-26T17:00:00+03:00"), 180) == at("2024-04-27T11:00:00+03:00")
    assert calendar.hours_on(date(2024, 4, 27)) == DayHours.of(("09:00", "13:00"), ("14:00", "17:00"))


def test_rest_exception_over_a_weekday():
    calendar = moscow(exceptions=[rest("2024-03-08")])
    # Thu 17:00-18:00, Fri closed, Mon 09:00-10:00
    assert calendar.due_at(at("2024-03-07T17:00:00+03:00"), 120) == at("2024-03-11T10:00:00+03:00")
    assert calendar.hours_on(date(2024, 3, 8)).is_off
    assert calendar.hours_on(date(2024, 3, 7)) == DayHours.of(("09:00", "18:00"))


def test_narrow_work_exception_inside_a_rest_week():
    calendar = moscow(exceptions=[rest("2024-06-10", "2024-06-14"), work("2024-06-12", [["10:00", "14:00"]])])
    # Fri 1 h; Mon, Tue closed; Wed 10-14
    assert calendar.due_at(at("2024-06-07T17:00:00+03:00"), 300) == at("2024-06-12T14:00:00+03:00")


def test_long_new_year_holiday_with_shortened_day():
    lunch = [["09:00", "13:00"], ["14:00", "18:00"]]
    calendar = moscow(
        FIVE_DAY | dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), lunch),
        [work("2024-12-28", lunch), rest("2024-12-30", "2024-12-31"), rest("2025-01-01", "2025-01-08")],
    )
    assert calendar.due_at(at("2024-12-27T17:00:00+03:00"), 1440) == at("2025-01-10T17:00:00+03:00")


# ---------------------------------------------------------------- DST and odd zones


def test_berlin_spring_forward_day_has_23_hours_and_fall_back_25():
    calendar = parse_calendar("Europe/Berlin", ALWAYS)
    spring = calendar.business_seconds_between(at("2024-03-31T00:00:00+01:00"), at("2024-04-01T00:00:00+02:00"))
    autumn = calendar.business_seconds_between(at("2024-10-27T00:00:00+02:00"), at("2024-10-28T00:00:00+01:00"))
    assert (spring, autumn) == (23 * 3600, 25 * 3600)


def test_berlin_office_hours_across_the_dst_weekend():
    short_days = {key: [["09:00", "17:00"]] for key in ("mon", "fri")}
    calendar = parse_calendar("Europe/Berlin", FIVE_DAY | short_days)
    # Fri 16-17 CET + Mon 09-10 CEST: Monday opens at 07:00Z, not 08:00Z
    assert calendar.due_at(at("2024-03-29T16:00:00+01:00"), 120) == at("2024-04-01T10:00:00+02:00")


def test_new_york_interval_inside_spring_forward_gap_counts_only_real_time():
    calendar = parse_calendar("America/New_York", NEVER | {"sun": [["01:30", "03:30"]]})
    # 01:30-02:00 EST + 03:00-03:30 EDT
    day = (at("2024-03-10T00:00:00-05:00"), at("2024-03-11T00:00:00-04:00"))
    assert calendar.business_seconds_between(*day) == 3600
    gap_only = parse_calendar("America/New_York", NEVER | {"sun": [["02:00", "03:00"]]})
    assert gap_only.business_seconds_between(*day) == 0


def test_new_york_repeated_hour_counts_twice():
    calendar = parse_calendar("America/New_York", NEVER | {"sun": [["01:00", "01:30"]]})
    day = (at("2024-11-03T00:00:00-04:00"), at("2024-11-04T00:00:00-05:00"))
    assert calendar.business_seconds_between(*day) == 3600
    assert calendar.is_working(at("2024-11-03T01:15:00-04:00"))
    assert calendar.is_working(at("2024-11-03T01:15:00-05:00"))
    spans = list(calendar.working_spans(*day))
    assert spans == [
        (at("2024-11-03T01:00:00-04:00"), at("2024-11-03T01:30:00-04:00")),
        (at("2024-11-03T01:00:00-05:00"), at("2024-11-03T01:30:00-05:00")),
    ]


def test_new_york_fall_back_three_local_hours_are_four_real_ones():
    calendar = parse_calendar("America/New_York", NEVER | {"sun": [["00:00", "03:00"]]})
    assert calendar.due_at(at("2024-11-03T00:00:00-04:00"), 180) == at("2024-11-03T02:00:00-05:00")


def test_apia_skipped_date_contributes_nothing():
    calendar = parse_calendar("Pacific/Apia", NEVER | {"fri": "24h"})
    # Friday 2011-12-30 never happened in Samoa: the next Friday is 2012-01-06
    assert calendar.due_at(at("2011-12-29T12:00:00-10:00"), 60) == at("2012-01-06T01:00:00+14:00")


def test_sao_paulo_day_starting_at_one_am():
    calendar = parse_calendar("America/Sao_Paulo", NEVER | {"sun": "24h"})
    span = (at("2018-11-03T12:00:00-03:00"), at("2018-11-05T12:00:00-02:00"))
    assert calendar.business_seconds_between(*span) == 23 * 3600


def test_offset_change_exactly_at_utc_midnight():
    # Chisinau sprang forward at 2012-03-25T00:00Z (02:00 EET -> 03:00 EEST)
    calendar = parse_calendar("Europe/Chisinau", NEVER | {"sun": "24h"})
    day = (at("2012-03-25T00:00:00+02:00"), at("2012-03-26T00:00:00+03:00"))
    assert calendar.business_seconds_between(*day) == 23 * 3600
    assert calendar.due_at(day[0], 23 * 60) == day[1]


def test_havana_repeats_the_first_hour_of_sunday():
    # Havana fell back at 01:00 CDT to 00:00 CST on 2024-11-03
    span = (at("2024-11-02T12:00:00-04:00"), at("2024-11-04T12:00:00-05:00"))
    sunday = parse_calendar("America/Havana", NEVER | {"sun": "24h"})
    assert sunday.business_seconds_between(*span) == 25 * 3600
    saturday = parse_calendar("America/Havana", NEVER | {"sat": "24h"})
    assert saturday.business_seconds_between(*span) == 12 * 3600


def test_sao_paulo_fall_back_at_midnight_repeats_saturday_evening():
    # 2018-02-18 00:00 -02 became 2018-02-17 23:00 -03: Saturday lasted 25 hours
    saturday = parse_calendar("America/Sao_Paulo", NEVER | {"sat": [["23:00", "24:00"]]})
    day = (at("2018-02-17T00:00:00-02:00"), at("2018-02-18T00:00:00-03:00"))
    assert saturday.business_seconds_between(*day) == 2 * 3600
    assert saturday.due_at(day[0], 90) == at("2018-02-17T23:30:00-03:00")


def _zone_falling_back_across_midnight() -> ZoneInfo:
    """A made-up zone: +01:00 until 2024-06-01T23:30Z, when Sunday 00:30 becomes Saturday
    23:30 at +00:00. Sunday 00:00-00:30 then lies between two pieces of Saturday in real
    time, which no zone in the tz database does today but the maths must not assume."""
    abbreviations = b"AAA\0BBB\0"
    transition = int(datetime(2024, 6, 1, 23, 30, tzinfo=UTC).timestamp())
    counts = struct.pack(">6l", 0, 0, 0, 1, 2, len(abbreviations))
    data = (
        struct.pack(">l", transition)
        + bytes([1])
        + struct.pack(">lBB", 3600, 0, 0)
        + struct.pack(">lBB", 0, 0, 4)
        + abbreviations
    )
    return ZoneInfo.from_file(io.BytesIO(b"TZif" + b"\0" + bytes(15) + counts + data))


def test_dates_interleaving_in_real_time_are_consumed_in_real_time_order():
    zone = _zone_falling_back_across_midnight()
    schedule = parse_calendar("UTC", NEVER | {"sat": [["23:00", "24:00"]], "sun": [["00:00", "00:30"]]})
    calendar = BusinessCalendar(zone, schedule.schedule)
    start = at("2024-06-01T22:00:00+00:00")  # Saturday 23:00 at +01:00
    # real order: Sat 23:00-24:00 (+1), Sun 00:00-00:30 (+1), Sat 23:30-24:00 (+0), Sun 00:00-00:30 (+0)
    spans = list(calendar.working_spans(start, start + timedelta(days=1)))
    assert spans == [(start, at("2024-06-02T00:30:00+00:00"))]
    assert calendar.due_at(start, 80) == at("2024-06-01T23:20:00+00:00")
    pause = (at("2024-06-01T23:00:00+00:00"), at("2024-06-01T23:30:00+00:00"))  # the Sunday piece
    assert calendar.due_at(start, 80, [pause]) == at("2024-06-01T23:50:00+00:00")


# ---------------------------------------------------------------- pauses


def test_pause_inside_hours_delays_by_its_business_length():
    calendar = moscow()
    pause = Pause(at("2024-03-04T10:00:00+03:00"), at("2024-03-04T11:00:00+03:00"))
    assert calendar.due_at(at("2024-03-04T09:00:00+03:00"), 420, [pause]) == at("2024-03-04T17:00:00+03:00")


def test_pause_over_weekend_removes_business_time_only():
    pause = (at("2024-03-01T17:00:00+03:00"), at("2024-03-04T10:00:00+03:00"))
    due = moscow().due_at(at("2024-03-01T16:00:00+03:00"), 240, [pause])
    assert due == at("2024-03-04T13:00:00+03:00")


def test_open_ended_pause_makes_due_unknown_but_warn_may_be_reached():
    calendar = moscow()
    start = at("2024-03-04T10:00:00+03:00")
    pauses = [Pause(at("2024-03-04T10:30:00+03:00"))]
    assert calendar.due_at(start, 120, pauses) is None
    assert calendar.warn_at(start, 120, 100, pauses) == at("2024-03-04T10:20:00+03:00")
    assert calendar.business_seconds_between(start, at("2024-03-05T18:00:00+03:00"), pauses) == 1800


def test_overlapping_and_touching_pauses_use_their_union():
    calendar = moscow()
    start = at("2024-03-04T09:00:00+03:00")
    overlapping = [
        (at("2024-03-04T10:00:00+03:00"), at("2024-03-04T11:00:00+03:00")),
        (at("2024-03-04T10:30:00+03:00"), at("2024-03-04T12:00:00+03:00")),
    ]
    touching = [
        (at("2024-03-04T11:00:00+03:00"), at("2024-03-04T12:00:00+03:00")),
        (at("2024-03-04T10:00:00+03:00"), at("2024-03-04T11:00:00+03:00")),
    ]
    assert calendar.due_at(start, 180, overlapping) == at("2024-03-04T14:00:00+03:00")
    assert calendar.due_at(start, 180, touching) == at("2024-03-04T14:00:00+03:00")


def test_pause_starting_at_due_or_after_does_not_move_it():
    calendar = moscow()
    start = at("2024-03-04T10:00:00+03:00")
    for pause_start in ("2024-03-04T11:00:00+03:00", "2024-03-04T11:30:00+03:00"):
        pause = (at(pause_start), at("2024-03-04T15:00:00+03:00"))
        assert calendar.due_at(start, 60, [pause]) == at("2024-03-04T11:00:00+03:00")


def test_pause_before_start_and_empty_pause():
    calendar = moscow()
    start = at("2024-03-04T10:00:00+03:00")
    created_while_paused = (at("2024-03-04T09:00:00+03:00"), at("2024-03-04T13:00:00+03:00"))
    assert calendar.due_at(start, 60, [created_while_paused]) == at("2024-03-04T14:00:00+03:00")
    assert calendar.due_at(start, 60, [(start, start)]) == at("2024-03-04T11:00:00+03:00")


def test_long_closed_pause_is_jumped_over():
    calendar = moscow()
    pause = (at("2024-01-01T00:00:00+03:00"), at("2026-01-01T09:30:00+03:00"))
    # Thu 2026-01-01 09:30-18:00 is left after the pause
    assert calendar.due_at(at("2024-01-01T00:00:00+03:00"), 60, [pause]) == at("2026-01-01T10:30:00+03:00")


def test_pause_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        Pause(at("2024-03-04T10:00:00+03:00"), at("2024-03-04T09:00:00+03:00"))


# ---------------------------------------------------------------- warnings and elapsed


def test_warn_at_one_hour_before_and_threshold_above_target():
    calendar = moscow()
    start = at("2024-03-04T09:00:00+03:00")
    assert calendar.warn_at(start, 480, 60) == at("2024-03-04T16:00:00+03:00")
    assert calendar.warn_at(start, 30, 60) == start


def test_elapsed_across_weekend_holiday_and_pause():
    calendar = moscow(exceptions=[rest("2024-03-08")])
    pause = (at("2024-03-11T09:00:00+03:00"), at("2024-03-11T10:00:00+03:00"))
    # Thu 10-18 = 8 h, Fri holiday, Mon 10-12 = 2 h
    span = (at("2024-03-07T10:00:00+03:00"), at("2024-03-11T12:00:00+03:00"))
    assert calendar.business_seconds_between(*span, pauses=[pause]) == 10 * 3600
    assert calendar.business_seconds_between(span[1], span[0]) == 0


# ---------------------------------------------------------------- no working time


def test_no_working_time_at_all_gives_none():
    assert moscow(NEVER).due_at(at("2024-03-04T10:00:00+03:00"), 60) is None


def test_all_off_week_still_works_on_work_exceptions():
    calendar = moscow(NEVER, [work("2025-06-01", "24h")])
    assert calendar.due_at(at("2024-03-04T10:00:00+03:00"), 60) == at("2025-06-01T01:00:00+03:00")
    assert calendar.due_at(at("2025-06-02T10:00:00+03:00"), 60) is None


def test_rest_longer_than_the_horizon_gives_none():
    years = HORIZON_DAYS // 365 + 1
    calendar = moscow(exceptions=[rest("2024-01-01", f"{2024 + years}-01-01")])
    assert calendar.due_at(at("2024-01-01T10:00:00+03:00"), 60) is None
    # elapsed has an end, so it is exact however long the closure
    end = at(f"{2024 + years}-01-03T10:00:00+03:00")  # a Monday
    assert calendar.business_seconds_between(at("2023-12-29T17:00:00+03:00"), end) == 2 * 3600


# ---------------------------------------------------------------- objects


def test_calendars_built_from_objects_equal_those_parsed():
    office = DayHours.of(("09:00", "18:00"))
    built = BusinessCalendar(
        "Europe/Moscow",
        WeeklySchedule(mon=office, tue=office, wed=office, thu=office, fri=office),
        [CalendarException.rest("rest", date(2024, 3, 8))],
    )
    parsed = moscow(exceptions=[rest("2024-03-08")])
    assert built == parsed and hash(built) == hash(parsed)
    assert built.winning_exception(date(2024, 3, 8)) == parsed.exceptions[0]
    assert built.timezone.key == "Europe/Moscow"
    assert built.has_weekly_working_time
