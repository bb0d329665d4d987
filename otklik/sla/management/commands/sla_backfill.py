"""`otklik sla_backfill`: give clocks to tickets that have none (bulk-loaded or older than the SLA setup)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from otklik.sla.demo import backfill_clocks


class Command(BaseCommand):
    help = "Replay the history of every ticket without SLA clocks into clocks."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        counts = backfill_clocks(timezone.now())
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{counts['tickets']} tickets, {counts['clocks']} clocks, {counts['events']} events "
                          f"in {elapsed:.1f} s")
