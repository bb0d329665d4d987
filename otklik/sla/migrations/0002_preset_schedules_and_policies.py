"""Ship the named schedules of SPEC 3.1 and the policy presets real teams use (inactive until an
administrator binds them to request types or categories; the demo does that)."""

from django.db import migrations

OFFICE = [["09:00", "18:00"]]
LUNCH = [["09:00", "13:00"], ["14:00", "18:00"]]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

SCHEDULES = [
    ("24/7", {day: "24h" for day in (*WEEKDAYS, "sat", "sun")}),
    ("5-day week 09:00-18:00", {**{day: OFFICE for day in WEEKDAYS}, "sat": "off", "sun": "off"}),
    ("5-day week 09:00-18:00 with lunch 13:00-14:00", {**{day: LUNCH for day in WEEKDAYS}, "sat": "off", "sun": "off"}),
    ("6-day week 09:00-18:00", {**{day: OFFICE for day in (*WEEKDAYS, "sat")}, "sun": "off"}),
]
# name, reaction minutes, resolution minutes, position
POLICIES = [
    ("Access requests: 40 minutes", 15, 40, 10),
    ("Questions and consultations: 8 working hours", 60, 480, 20),
    ("Improvement requests: 16 working hours", 240, 960, 30),
]


def create_presets(apps, schema_editor):
    Schedule = apps.get_model("sla", "Schedule")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for name, week in SCHEDULES:
        Schedule.objects.get_or_create(name=name, defaults={"timezone": "Europe/Moscow", "week": week})
    office = Schedule.objects.get(name="5-day week 09:00-18:00")
    for name, reaction, resolution, position in POLICIES:
        SlaPolicy.objects.get_or_create(name=name, defaults={
            "schedule": office, "reaction_minutes": reaction, "resolution_minutes": resolution,
            "position": position, "is_active": False,
        })


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_calendars_policies_clocks")]
    operations = [migrations.RunPython(create_presets, migrations.RunPython.noop)]
