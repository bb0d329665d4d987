"""Schedules, exceptions and their validation: the stored JSON form and its messages."""

from datetime import date

import pytest

from otklik.worktime import (
    PRESET_SCHEDULES,
    CalendarConfigError,
    CalendarException,
    DayHours,
    ExceptionKind,
    WeeklySchedule,
    WorkInterval,
    parse_calendar,
    parse_day_hours,
    parse_exceptions,
    parse_schedule,
    validate_calendar,
    winning_exception,
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


def problems_of(schedule=None, exceptions=(), timezone="Europe/Moscow"):
    report = validate_calendar(timezone, FIVE_DAY if schedule is None else schedule, exceptions)
    return list(report.problems)


# ---------------------------------------------------------------- day rules


def test_24h_off_and_empty_list():
    assert parse_day_hours("24h").is_all_day
    assert parse_day_hours("off").is_off
    assert parse_day_hours([]).is_off
    assert parse_day_hours([["00:00", "24:00"]]) == DayHours.all_day()


def test_2400_is_an_end_and_2359_is_literal():
    assert parse_day_hours([["20:00", "24:00"]]).intervals == (WorkInterval(1200, 1440),)
    assert parse_day_hours([["00:00", "23:59"]]).intervals == (WorkInterval(0, 1439),)


def test_touching_unsorted_intervals_are_sorted_and_joined():
    hours = parse_day_hours([["14:00", "18:00"], ["09:00", "13:00"], ["13:00", "14:00"]])
    assert hours.to_data() == [["09:00", "18:00"]]
    assert hours.working_minutes == 9 * 60


def test_separate_intervals_stay_separate():
    hours = parse_day_hours([["14:00", "18:00"], ["09:00", "13:00"]])
    assert hours.to_data() == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert str(hours) == "09:00-13:00, 14:00-18:00"


@pytest.mark.parametrize(
    ("day_rule", "message"),
    [
        ([["09:00", "08:00"]], "tue: interval 09:00-08:00: start must be before end"),
        ([["09:00", "09:00"]], "tue: interval 09:00-09:00: start must be before end"),
        ([["22:00", "02:00"]], "tue: interval 22:00-02:00: start must be before end"),
        ([["24:00", "24:00"]], "tue: interval 24:00-24:00: start 24:00 is only allowed as an end"),
        ([["09:00", "25:00"]], "tue: interval 09:00-25:00: end '25:00' is out of range"),
        ([["09:60", "10:00"]], "tue: interval 09:60-10:00: start '09:60' is out of range"),
        ([["9:00", "18:00"]], "tue: interval 9:00-18:00: start '9:00' is not HH:MM"),
        ([["09:00:00", "18:00"]], "tue: interval 09:00:00-18:00: start '09:00:00' is not HH:MM"),
        ([["09:00", 1800]], "tue: interval 09:00-1800: end 1800 is not a HH:MM string"),
        ([["09:00"]], "tue: interval ['09:00'] is not a [start, end] pair"),
        (
            [["09:00", "13:00"], ["12:00", "18:00"]],
            "tue: intervals 09:00-13:00 and 12:00-18:00 overlap",
        ),
        ("weekdays", 'tue: expected "24h", "off" or a list of [start, end] intervals'),
    ],
)
def test_bad_interval_messages_name_the_day_and_interval(day_rule, message):
    problems = problems_of(FIVE_DAY | {"tue": day_rule})
    assert len(problems) == 1
    assert problems[0].startswith(message), problems[0]


def test_non_ascii_digits_are_rejected():
    # str.isdigit alone would accept Arabic-Indic digits, which int() happily converts
    arabic_indic_nine = "\u0660\u0669:\u0660\u0660"
    assert problems_of(FIVE_DAY | {"mon": [[arabic_indic_nine, "18:00"]]})


def test_every_problem_is_reported_at_once():
    schedule = FIVE_DAY | {"mon": [["09:00", "08:00"]], "fri": [["9:00", "18:00"]]}
    schedule.pop("sun")
    problems = problems_of(schedule, timezone="MSK")
    assert problems[0].startswith("timezone 'MSK' is not a known IANA time zone")
    assert "schedule: missing sun (every weekday must be given)" in problems
    assert "mon: interval 09:00-08:00: start must be before end" in problems
    assert any(p.startswith("fri: interval 9:00-18:00") for p in problems)
    with pytest.raises(CalendarConfigError) as caught:
        parse_calendar("MSK", schedule, [])
    assert caught.value.problems == tuple(problems)


def test_schedule_shape_errors():
    assert problems_of("24h") == ["schedule: expected an object with the keys mon tue wed thu fri sat sun"]
    assert problems_of(FIVE_DAY | {"holiday": "off"}) == ["schedule: unknown keys holiday"]


@pytest.mark.parametrize("name", ["+03:00", "MSK", "Europe/Atlantis", "", "localtime", "../etc/passwd", None])
def test_timezone_must_be_an_iana_name(name):
    problems = problems_of(timezone=name)
    assert len(problems) == 1 and problems[0].startswith("timezone"), problems


def test_valid_calendar_has_no_problems_and_round_trips():
    exceptions = [
        {
            "name": "Working Saturday",
            "kind": "work",
            "from": "2024-04-27",
            "to": "2024-04-27",
            "hours": "24h",
        },
        {"name": "May holidays", "kind": "rest", "from": "2024-04-29", "to": "2024-05-01"},
    ]
    report = validate_calendar("Europe/Moscow", FIVE_DAY, exceptions)
    assert report.is_valid and report.problems == () and report.warnings == ()
    calendar = parse_calendar("Europe/Moscow", FIVE_DAY, exceptions)
    assert calendar.schedule.to_data() == FIVE_DAY
    assert [e.to_data() for e in calendar.exceptions] == exceptions
    assert parse_calendar("Europe/Moscow", calendar.schedule.to_data(), exceptions) == calendar


# ---------------------------------------------------------------- exceptions


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        (
            {"name": "x", "kind": "rest", "from": "2024-01-01", "to": "2024-01-01", "hours": "24h"},
            "exception #1 'x': a rest exception has no hours",
        ),
        (
            {"name": "x", "kind": "work", "from": "2024-01-06", "to": "2024-01-06"},
            "exception #1 'x': a work exception needs hours",
        ),
        (
            {"name": "x", "kind": "work", "from": "2024-01-06", "to": "2024-01-06", "hours": "off"},
            "exception #1 'x': a work exception needs working hours",
        ),
        (
            {"name": "x", "kind": "work", "from": "2024-01-06", "to": "2024-01-06", "hours": [["10", "12"]]},
            "exception #1 'x': hours: interval 10-12: start '10' is not HH:MM; "
            "exception #1 'x': hours: interval 10-12: end '12' is not HH:MM",
        ),
        (
            {"name": "x", "kind": "rest", "from": "2024-01-08", "to": "2024-01-01"},
            "exception #1 'x': from 2024-01-08 is after to 2024-01-01",
        ),
        (
            {"name": "x", "kind": "rest", "from": "2024-02-30", "to": "2024-03-01"},
            "exception #1 'x': from '2024-02-30' is not a date YYYY-MM-DD",
        ),
        (
            {"name": "x", "kind": "rest", "from": "20240101", "to": "2024-01-01"},
            "exception #1 'x': from '20240101' is not a date YYYY-MM-DD",
        ),
        (
            {"name": "x", "kind": "holiday", "from": "2024-01-01", "to": "2024-01-01"},
            "exception #1 'x': kind 'holiday' must be \"rest\" or \"work\"",
        ),
        ("2024-01-01", "exception #1: expected an object with name, kind, from, to"),
    ],
)
def test_bad_exception_messages(exception, message):
    assert problems_of(exceptions=[exception]) == message.split("; ")


def test_exceptions_must_be_a_list():
    assert problems_of(exceptions={"from": "2024-01-01"}) == ["exceptions: expected a list"]


def test_exception_numbering_is_one_based_and_ignores_extra_keys():
    ok = {"id": 7, "name": "ok", "kind": "rest", "from": "2024-01-01", "to": "2024-01-02"}
    bad = {"name": "bad", "kind": "rest", "from": "2024-01-03", "to": "2024-01-02"}
    assert problems_of(exceptions=[ok, bad]) == ["exception #2 'bad': from 2024-01-03 is after to 2024-01-02"]


def test_precedence_fewest_days_then_rest_then_later():
    week = CalendarException.rest("Office move", date(2024, 6, 10), date(2024, 6, 14))
    duty = CalendarException.work("On duty", date(2024, 6, 12), DayHours.of(("10:00", "14:00")))
    closed = CalendarException.rest("Closed", date(2024, 6, 12))
    v1 = CalendarException.work("v1", date(2024, 6, 12), DayHours.of(("09:00", "12:00")))
    v2 = CalendarException.work("v2", date(2024, 6, 12), DayHours.of(("10:00", "11:00")))
    wed, tue = date(2024, 6, 12), date(2024, 6, 11)
    assert winning_exception([week, duty], wed) is duty  # narrower beats wider, whatever the kind
    assert winning_exception([duty, week], wed) is duty
    assert winning_exception([week, duty], tue) is week
    assert winning_exception([closed, duty], wed) is closed  # tie on span: rest beats work
    assert winning_exception([duty, closed], wed) is closed
    assert winning_exception([v1, v2], wed) is v2  # further tie: later in the list
    assert winning_exception([v2, v1], wed) is v1
    assert winning_exception([v1, v2], date(2024, 6, 13)) is None


def test_exception_constructors_validate():
    with pytest.raises(CalendarConfigError, match="a rest exception has no hours"):
        CalendarException("x", ExceptionKind.REST, date(2024, 1, 1), date(2024, 1, 1), DayHours.all_day())
    with pytest.raises(CalendarConfigError, match="needs working hours"):
        CalendarException.work("x", date(2024, 1, 1), DayHours.off())
    assert CalendarException.rest("x", date(2024, 1, 1), date(2024, 1, 10)).day_count == 10


def test_interval_constructor_validates():
    with pytest.raises(CalendarConfigError, match="interval 10:00-09:00: start must be before end"):
        WorkInterval(600, 540)
    with pytest.raises(CalendarConfigError, match="end must be within"):
        WorkInterval(0, 1441)


def test_weekly_schedule_helpers():
    schedule = parse_schedule(FIVE_DAY)
    assert schedule.working_minutes_per_week == 5 * 9 * 60
    assert schedule.hours_for_weekday(5).is_off
    assert schedule == PRESET_SCHEDULES["5-day week 09:00-18:00"]
    with pytest.raises(CalendarConfigError, match="unknown day keys"):
        WeeklySchedule.from_days({"monday": DayHours.all_day()})
    assert set(PRESET_SCHEDULES) >= {"24/7", "6-day week 09:00-18:00"}


def test_warnings_for_little_or_no_working_time():
    never = dict.fromkeys(FIVE_DAY, "off")
    report = validate_calendar("UTC", never, [])
    assert report.is_valid
    assert report.warnings == ("the week has no working time at all: clocks only run on work exceptions",)
    short = never | {"mon": [["09:00", "09:30"]]}
    assert validate_calendar("UTC", short, []).warnings == ("the week has only 30 min of working time",)


def test_parse_exceptions_returns_typed_objects():
    (holiday,) = parse_exceptions([{"name": "NY", "kind": "rest", "from": "2025-01-01", "to": "2025-01-08"}])
    assert holiday.kind is ExceptionKind.REST
    assert holiday.first_day == date(2025, 1, 1) and holiday.day_count == 8
