"""Wake a dispatcher job once for a burst of events.

The notification and trigger dispatchers each read all committed events they have not handled yet, so
one queued job serves any number of events committed before it starts. `wake` enqueues only when no job
of that name is waiting to start; the job calls `woken` first thing, so an event committed while it runs
queues a fresh one. A wake-up pending for longer than STALE (a worker that died) is re-sent; the
periodic sweeps catch up in any case.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from otklik.core.models import WakeUp

STALE = timedelta(seconds=60)
logger = logging.getLogger(__name__)


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
    return name in _claim_many([name], now)


def _claim_many(names: list[str], now: datetime) -> set[str]:
    """Mark the wake-ups pending in one statement; the names this call marked (created, found idle or
    found stale). Every ticket change wakes two or three dispatchers, so this is on the create path;
    PostgreSQL and SQLite both speak this upsert, and the row lock makes it safe between processes.

    A name already pending (and not stale) is left out of the upsert by the statement's own read: in a burst,
    when every name is pending, the statement writes nothing, so it locks no row and its commit has nothing
    to flush to disk (a no-op upsert still locks the row it finds, and PostgreSQL then waits for a WAL flush
    at commit: about 4 ms on this machine against 0.1 ms). Skipping is safe: that read comes after the
    caller's commit, and a pending mark means the job has not yet cleared it (`woken`, its first step), so it
    reads the events after this commit."""
    table = connection.ops.quote_name(WakeUp._meta.db_table)
    at, stale_before = (connection.ops.adapt_datetimefield_value(moment) for moment in (now, now - STALE))
    listed = ", ".join(["%s"] * len(names))
    rows = " UNION ALL ".join(["SELECT %s, %s WHERE %s NOT IN (SELECT name FROM pending)"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH pending AS (SELECT name FROM {table} WHERE name IN ({listed}) "  # noqa: S608 (table name is ours)
            f"AND pending_since >= %s) "
            f"INSERT INTO {table} (name, pending_since) {rows} "
            f"ON CONFLICT (name) DO UPDATE SET pending_since = excluded.pending_since "
            f"WHERE {table}.pending_since IS NULL OR {table}.pending_since < %s "
            "RETURNING name",
            [*names, stale_before, *(part for name in names for part in (name, at, name)), stale_before],
        )
        return {row[0] for row in cursor.fetchall()}


class _Batch:
    """The wake-ups asked for in one transaction, claimed together when it commits."""

    def __init__(self) -> None:
        self.jobs: dict[str, Callable[[], object]] = {}

    def flush(self) -> None:
        jobs, self.jobs = self.jobs, {}
        if not jobs:
            return
        try:
            claimed = _claim_many(list(jobs), timezone.now())
        except Exception:  # the periodic sweeps pick the events up; a failed kick must not break the request
            logger.exception("could not mark wake-ups %s", ", ".join(jobs))
            return
        for name, enqueue in jobs.items():
            if name not in claimed:
                continue
            try:
                enqueue()
            except Exception:
                woken(name)  # nothing is queued: let the next event try again
                logger.exception("could not enqueue %s", name)


def wake_on_commit(name: str, enqueue: Callable[[], object]) -> None:
    """`wake` after the current transaction commits, in one statement with the other wake-ups of that
    transaction (a ticket change wakes two or three dispatchers). Outside a transaction: at once.
    Failures are logged, not raised: the periodic sweeps pick the events up.

    Each call registers its own commit callback; the first one that runs claims every name asked for so
    far and the others find nothing left. A name asked for in a rolled-back savepoint may be woken by a
    later commit: a wake-up with nothing to do, never a missed one."""
    conn: Any = transaction.get_connection()
    batch: _Batch | None = getattr(conn, "_otklik_wake_batch", None)
    if batch is None:
        batch = _Batch()
        conn._otklik_wake_batch = batch
    batch.jobs[name] = enqueue
    transaction.on_commit(batch.flush)


def woken(name: str) -> None:
    """Called by the job as it starts: events committed from now on need a new job."""
    WakeUp.objects.filter(name=name).update(pending_since=None)


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
    """Run `func` after the current transaction commits, once however many saves ask for it (an admin
    form with inlines saves several calendar rows; the re-plan after them runs once).

    Every call still registers an entry with `transaction.on_commit`, so the savepoint rules hold: the
    shared callback runs when at least one of its registrations survives, and the first run serves all."""
    callbacks: dict[str, _OnceAfterCommit] = _pending.__dict__.setdefault("callbacks", {})
    callback = callbacks.get(key)
    if callback is None or callback.done:
        callback = callbacks[key] = _OnceAfterCommit(func)
    callback.func = func  # the latest caller's function (callers of one key pass the same one)
    transaction.on_commit(callback)
