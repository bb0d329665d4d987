"""`otklik export-json FILE`: every ticket (or --since DATE) in the import format, for round trips."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from otklik.imports.export import export_jsonl


class Command(BaseCommand):
    help = "Write tickets, their messages, files, people and organizations as JSON Lines (the import format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--since", help="only tickets created on or after this date (YYYY-MM-DD)")
        parser.add_argument("--without-files", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                day = date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError(f"--since takes a date like 2026-01-31, not {options['since']!r}") from exc
            since = timezone.make_aware(datetime.combine(day, time.min))

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"\r{done:,}/{total:,} tickets", ending="")
            self.stdout.flush()

        with open(options["path"], "w", encoding="utf-8") as out:
            counts = export_jsonl(out, since=since, with_files=not options["without_files"], progress=progress)
        self.stdout.write("")
        self.stdout.write(", ".join(f"{count} {name}" for name, count in counts.items()) + f" -> {options['path']}")
