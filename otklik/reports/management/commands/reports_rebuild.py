"""`otklik reports_rebuild`: recompute every ticket's report durations, with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.reports.facts import rebuild


class Command(BaseCommand):
    help = "Recompute the per-ticket durations reports aggregate (after bulk loads or a schedule change)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        width = 30

        def progress(done: int, total: int) -> None:
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            self.stdout.write(f"\r[{bar}] {done:,}/{total:,} tickets", ending="")
            self.stdout.flush()

        written = rebuild(batch_size=options["batch"], progress=progress)
        self.stdout.write("")
        self.stdout.write(f"Report durations rebuilt for {written:,} tickets in {time.perf_counter() - started:.1f} s.")
