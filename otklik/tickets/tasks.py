"""Jobs of the ticket core."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.tickets.counts import counts_fold


@db_periodic_task(crontab(minute="*"))
def ticket_counts_fold() -> int:
    """Fold the kept ticket counts appended since the last run into one row per key (safe to run twice)."""
    return counts_fold()
