"""Wake a dispatcher job once for a burst of events.

The notification and trigger dispatchers each read all committed events they have not handled yet, so
one queued job serves any number of events committed before it starts. `wake` enqueues only when no job
of that name is waiting to start; the job calls `woken` first thing, so an event committed while it runs
queues a fresh one. A wake-up pending for longer than STALE (a worker that died) is re-sent; the
periodic sweeps catch up in any case.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from otklik.core.models import WakeUp

STALE = timedelta(seconds=60)


class _OnceAfterCommit:
    """One callback shared by every registration of a key in a transaction: it runs at most once."""

    def __init__(self, func: Callable[[], object]) -> None:
        self.func = func
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            self.func()


_pending = threading.local()  # Django's connections are per thread, and so are their commit hooks


def once_after_commit(key: str, func: Callable[[], object]) -> None:
    """Run `func` after the current transaction commits, once however many events ask for it.

    A sweep that announces 100 events used to wake each dispatcher 100 times (a statement each). Every
    call still registers an entry with `transaction.on_commit`, so the savepoint rules hold: the shared
    callback runs when at least one of its registrations survives, and the first run serves them all."""
    callbacks: dict[str, _OnceAfterCommit] = _pending.__dict__.setdefault("callbacks", {})
    callback = callbacks.get(key)
    if callback is None or callback.done:
        callback = callbacks[key] = _OnceAfterCommit(func)
    callback.func = func  # the latest caller's function (callers of one key pass the same one)
    transaction.on_commit(callback)


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
