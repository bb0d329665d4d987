"""`otklik search_reindex`: index what is missing, or rebuild the whole search index with --full."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.search.indexing import index_missing, rebuild


class Command(BaseCommand):
    help = "Bring the full-text search index up to date (--full drops and rebuilds it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Drop every row and index everything again.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = rebuild() if options["full"] else index_missing()
        self.stdout.write(
            f"Search index: {written['subjects']} subjects and {written['messages']} messages indexed "
            f"in {time.perf_counter() - started:.1f} s."
        )
