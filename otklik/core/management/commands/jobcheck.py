"""`otklik jobcheck`: enqueue probe jobs and report whether the workers ran each exactly once."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from otklik.core.models import JobProbeRun
from otklik.core.tasks import job_probe


class Command(BaseCommand):
    help = "Check the job workers: enqueue probe jobs and verify each runs exactly once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", type=int, default=20)
        parser.add_argument("--prefix", default="", help="Key prefix of the probes (default: random).")
        parser.add_argument("--timeout", type=float, default=60.0)
        parser.add_argument("--enqueue-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"] or uuid.uuid4().hex[:12]
        keys = [f"{prefix}-{index}" for index in range(options["jobs"])]
        for key in keys:
            job_probe.enqueue(key)  # Django's task API, on the Huey backend
        self.stdout.write(f"Enqueued {len(keys)} probe jobs with prefix {prefix}.")
        if options["enqueue_only"]:
            return
        deadline = time.monotonic() + options["timeout"]
        while time.monotonic() < deadline:
            if JobProbeRun.objects.filter(key__startswith=f"{prefix}-").values("key").distinct().count() == len(keys):
                break
            time.sleep(0.2)
        runs = dict(
            JobProbeRun.objects.filter(key__startswith=f"{prefix}-")
            .values_list("key").annotate(n=Count("id")).values_list("key", "n")
        )
        missing = [key for key in keys if key not in runs]
        repeated = [key for key, count in runs.items() if count > 1]
        workers = JobProbeRun.objects.filter(key__startswith=f"{prefix}-").values("worker").distinct().count()
        self.stdout.write(f"ran={len(runs)} missing={len(missing)} repeated={len(repeated)} workers={workers}")
        if missing or repeated:
            raise CommandError("The job workers did not run every probe exactly once.")
