"""Wake a dispatcher job once for a burst of events.

The notification and trigger dispatchers each read all committed events they have not handled yet, so
one queued job serves any number of events committed before it starts. `wake` enqueues only when no job
of that name is waiting to start; the job calls `woken` first thing, so an event committed while it runs
queues a fresh one. A wake-up pending for longer than STALE (a worker that died) is re-sent; the
periodic sweeps catch up in any case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from otklik.core.models import WakeUp

STALE = timedelta(seconds=60)


def wake(name: str, enqueue: Callable[[], object]) -> bool:
    """Enqueue the named job unless one is already waiting; True when this call enqueued it."""
    if not _claim(name, timezone.now()):
        return False
    try:
        enqueue()
    except Exception:
        woken(name)  # nothing is queued: let the next event try again
        raise
    return True


def _claim(name: str, now: datetime) -> bool:
    """Mark the wake-up pending in one statement; True when this call did (created it, found it idle or
    found it stale). Every ticket change wakes two or three dispatchers, so this is on the create path;
    PostgreSQL and SQLite both speak this upsert, and the row lock makes it safe between processes."""
    table = connection.ops.quote_name(WakeUp._meta.db_table)
    at, stale_before = (connection.ops.adapt_datetimefield_value(moment) for moment in (now, now - STALE))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, pending_since) VALUES (%s, %s) "  # noqa: S608 (table name is ours)
            f"ON CONFLICT (name) DO UPDATE SET pending_since = excluded.pending_since "
            f"WHERE {table}.pending_since IS NULL OR {table}.pending_since < %s "
            "RETURNING 1",
            [name, at, stale_before],
        )
        return cursor.fetchone() is not None


def woken(name: str) -> None:
    """Called by the job as it starts: events committed from now on need a new job."""
    WakeUp.objects.filter(name=name).update(pending_since=None)
