"""Run a periodic job at most once per period, whatever the number of schedulers."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from otklik.core.models import PeriodicRun


def period_start(now: datetime, period: timedelta) -> datetime:
    seconds = int(period.total_seconds())
    epoch_seconds = int(now.timestamp())
    return datetime.fromtimestamp(epoch_seconds - epoch_seconds % seconds, tz=now.tzinfo)


def claim_period(*, job: str, now: datetime, period: timedelta) -> bool:
    """True for exactly one caller per job and period; the database's unique key decides."""
    start = period_start(now, period)
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(job=job, period_start=start, worker=worker_name())
    except IntegrityError:
        PeriodicRun.objects.filter(job=job, period_start=start).update(skipped=F("skipped") + 1)
        return False
    return True


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
