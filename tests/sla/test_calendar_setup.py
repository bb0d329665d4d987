"""Calendar configuration: the RU production calendar import, the admin week editor, the admin
screens, the demo seed."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from otklik.sla.admin import day_to_text, parse_week_texts
from otklik.sla.demo import DEMO_CALENDAR, backfill_clocks, seed_demo_sla
from otklik.sla.models import CalendarException, HolidayCalendar, Schedule, SlaClock, SlaPolicy
from otklik.sla.production_calendar import apply_import, plan_import, shortened
from otklik.testing.personas import PASSWORD
from otklik.worktime import CalendarConfigError

pytestmark = pytest.mark.django_db


def test_2024_import_has_holidays_moved_days_off_and_working_saturdays(db):
    calendar = HolidayCalendar.objects.create(name="RU")
    plan = plan_import(calendar, 2024, work_hours=[["09:00", "18:00"]])
    rest = {item.day for item in plan.add if item.kind == "rest"}
    work = {item.day: item.hours for item in plan.add if item.kind == "work"}
    assert {date(2024, 1, 1), date(2024, 3, 8), date(2024, 4, 29), date(2024, 4, 30), date(2024, 12, 31)} <= rest
    assert work == {date(2024, 4, 27): [["09:00", "18:00"]], date(2024, 11, 2): [["09:00", "18:00"]],
                    date(2024, 12, 28): [["09:00", "18:00"]]}
    assert date(2024, 3, 7) in plan.short_days  # the day before 8 March
    assert apply_import(plan) == len(plan.add)
    again = plan_import(calendar, 2024)
    assert again.add == [] and len(again.present) == len(plan.add)


def test_import_never_overwrites_an_edited_exception(db):
    calendar = HolidayCalendar.objects.create(name="RU")
    CalendarException.objects.create(holiday_calendar=calendar, name="Office open", kind="work",
                                     date_from=date(2025, 11, 3), date_to=date(2025, 11, 3), hours=[["10:00", "14:00"]])
    plan = plan_import(calendar, 2025)
    assert [item.day for item, _existing in plan.conflicts] == [date(2025, 11, 3)]
    apply_import(plan)
    assert CalendarException.objects.get(date_from=date(2025, 11, 3)).kind == "work"


def test_shortened_day_ends_an_hour_earlier():
    assert shortened([["09:00", "13:00"], ["14:00", "18:00"]]) == [["09:00", "13:00"], ["14:00", "17:00"]]
    assert shortened("24h") == "24h"


def test_import_command_shows_the_diff_and_writes_only_when_confirmed(db):
    out = StringIO()
    call_command("sla_import_calendar", "--year", "2025", "--calendar", "RU 2025", "--dry-run", stdout=out)
    assert "to add" in out.getvalue() and "2025-11-01 work" in out.getvalue()
    assert not CalendarException.objects.exists()
    with pytest.raises(CommandError, match="--yes"):
        call_command("sla_import_calendar", "--year", "2025", "--calendar", "RU 2025", stdout=StringIO())
    assert not CalendarException.objects.exists()
    call_command("sla_import_calendar", "--year", "2025", "--calendar", "RU 2025", "--yes", "--shorten",
                 "--hours", "09:00-13:00,14:00-18:00", stdout=out)
    short = CalendarException.objects.get(date_from=date(2025, 3, 7))
    assert short.hours == [["09:00", "13:00"], ["14:00", "17:00"]]
    with pytest.raises(CommandError):
        call_command("sla_import_calendar", "--year", "2025", "--calendar", "RU 2025", "--hours", "nine to six")


def test_week_editor_splits_night_shifts_and_knows_midnight():
    texts = {"mon": "09:00-18:00", "tue": "22:00-06:00", "wed": "off", "thu": "24h", "fri": "09:00-13:00, 14:00-18:00",
             "sat": "20:00-23:00", "sun": ""}
    week = parse_week_texts(texts, {"sat": True})
    assert week["tue"] == [["22:00", "24:00"]]
    assert week["wed"] == [["00:00", "06:00"]]
    assert week["sat"] == [["20:00", "24:00"]]
    assert week["sun"] == "off" and week["thu"] == "24h"
    assert day_to_text(week["sat"]) == ("20:00-24:00", True)
    with pytest.raises(CalendarConfigError) as error:
        parse_week_texts({**texts, "mon": "09:00-25:00", "fri": "09:00-13:00, 12:00-18:00"}, {})
    problems = " ".join(error.value.problems)
    assert "Monday" in problems and "Friday" in problems


def test_admin_screens_render_and_save_a_schedule(people):
    client = Client()
    assert client.login(email=people.adam.email, password=PASSWORD)
    schedule = Schedule.objects.get(name="5-day week 09:00-18:00")
    policy = SlaPolicy.objects.get(name="Access requests: 40 minutes")
    for url in (reverse("admin:sla_schedule_change", args=[schedule.pk]),
                reverse("admin:sla_slapolicy_change", args=[policy.pk]),
                reverse("admin:sla_holidaycalendar_add"), reverse("admin:sla_slaclock_changelist"),
                reverse("admin:sla_replanrun_changelist")):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "would be due at" in client.get(reverse("admin:sla_slapolicy_change", args=[policy.pk])).content.decode()
    form = {"name": "Night desk", "timezone": "Europe/Moscow", "holiday_calendar": ""}
    for key in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        form[f"day_{key}"] = "off"
    form["day_mon"] = "22:00-06:00"
    response = client.post(reverse("admin:sla_schedule_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Schedule.objects.get(name="Night desk").week["tue"] == [["00:00", "06:00"]]
    form["timezone"] = "MSK"
    form["name"] = "Bad zone"
    response = client.post(reverse("admin:sla_schedule_add"), form)
    assert response.status_code == 200 and not Schedule.objects.filter(name="Bad zone").exists()


def test_demo_seed_binds_presets_and_backfill_gives_the_demo_tickets_clocks(people, now):
    from otklik.demodata.bulk import generate_tickets
    from otklik.demodata.seed import seed_reference_data

    seed_reference_data()
    first = seed_demo_sla(now)
    assert first["policies_bound"] == 3 and first["exceptions_imported"] > 20
    assert seed_demo_sla(now)["exceptions_imported"] == 0  # idempotent
    access = SlaPolicy.objects.get(name="Access requests: 40 minutes")
    assert access.is_active and list(access.request_types.values_list("code", flat=True)) == ["access-request"]
    assert access.schedule.holiday_calendar is not None
    assert access.schedule.holiday_calendar.name == DEMO_CALENDAR
    generate_tickets(60, now=now, days=30, seed=3, use_copy=False)
    counts = backfill_clocks(now)
    assert counts["tickets"] == 60 + 0 and counts["clocks"] == 120
    assert SlaClock.objects.filter(state="stopped").exists() and SlaClock.objects.filter(state="running").exists()
