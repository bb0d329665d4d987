"""`otklik sla_import_calendar --year 2026 --calendar "RU production calendar"`: show what the
Russian production calendar of a year adds, and write it only when confirmed (SPEC 3.4)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.sla.models import HolidayCalendar
from otklik.sla.production_calendar import DEFAULT_HOURS, apply_import, plan_import


class Command(BaseCommand):
    help = "Import public holidays, moved days off and moved working days of a year into a holiday calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--calendar", required=True, help="Holiday calendar name (created if missing).")
        parser.add_argument("--hours", default="09:00-18:00",
                            help="Hours of a moved working day, e.g. 09:00-13:00,14:00-18:00 (default 09:00-18:00).")
        parser.add_argument("--shorten", action="store_true",
                            help="Also add the pre-holiday days one hour shorter (check them against the decree).")
        parser.add_argument("--yes", action="store_true", help="Write without asking.")
        parser.add_argument("--dry-run", action="store_true", help="Only show what would change.")

    def handle(self, *args: Any, **options: Any) -> None:
        hours = [part.strip().split("-", 1) for part in options["hours"].split(",") if part.strip()]
        if any(len(pair) != 2 for pair in hours):
            raise CommandError(f"--hours {options['hours']!r} is not like 09:00-18:00")
        calendar = HolidayCalendar.objects.filter(name=options["calendar"]).first()
        if calendar is None:
            calendar = HolidayCalendar(name=options["calendar"])
            if options["dry_run"]:
                self.stdout.write(f"The calendar {calendar.name!r} does not exist yet; it would be created.")
            else:
                calendar.save()
        try:
            plan = plan_import(calendar, options["year"], work_hours=hours or DEFAULT_HOURS,
                               shorten=options["shorten"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        for line in plan.lines():
            self.stdout.write(line)
        if options["dry_run"] or not plan.add:
            return
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Nothing written: confirm with --yes (or run it in a terminal).")
            if input("Write these exceptions? [y/N] ").strip().lower() not in ("y", "yes", "д", "да"):
                self.stdout.write("Nothing written.")
                return
        written = apply_import(plan)
        self.stdout.write(self.style.SUCCESS(f"{written} exceptions written to {calendar.name!r}."))
