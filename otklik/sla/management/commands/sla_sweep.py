"""`otklik sla_sweep`: run the breach and warning sweep once now (the job runs it every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from otklik.sla.sweep import sla_sweep


class Command(BaseCommand):
    help = "Stamp and announce SLA breaches and warnings that have come due."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sla_sweep(now=timezone.now())
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.as_dict().items()))
