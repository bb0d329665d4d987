"""`otklik reports_rebuild`: recompute every ticket's report durations, with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.reports.facts import rebuild_all


class Command(BaseCommand):
    help = ("Recompute the per-ticket durations and the monthly rollups reports aggregate "
            "(after bulk loads or a schedule change).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        width = 30

        stage = [""]

        def progress(name: str, done: int, total: int) -> None:
            if stage[0] and stage[0] != name:
                self.stdout.write("")  # the previous bar is complete: start the next on its own line
            stage[0] = name
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            unit = "tickets" if name == "tickets" else "steps (monthly rollups)"
            self.stdout.write(f"\r[{bar}] {done:,}/{total:,} {unit}", ending="")
            self.stdout.flush()

        written, rows = rebuild_all(batch_size=options["batch"], progress=progress)
        self.stdout.write("")
        self.stdout.write(f"Report durations rebuilt for {written:,} tickets and {rows:,} monthly rollup rows"
                          f" in {time.perf_counter() - started:.1f} s.")
