"""Job workers that start together on a new PostgreSQL database all come up: the queue's tables are created
once, behind an advisory lock, instead of racing (huey's own `CREATE TABLE IF NOT EXISTS` fails for all but
one of the processes that run it at the same moment)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from otklik.core.job_queue import SharedSchemaPostgresStorage

pytestmark = [
    pytest.mark.django_db,  # for the test database's name; the storages and checks use connections of their own
    pytest.mark.skipif(not settings.DATABASE_IS_POSTGRES, reason="the PostgreSQL job queue's schema (SQLite's "
                       "`begin exclusive` already serialises its creation)"),
]

STARTERS = 8


def _params() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {"host": db.get("HOST") or "127.0.0.1", "port": int(db.get("PORT") or 5432),
            "dbname": db["NAME"], "user": db.get("USER") or "postgres"}


def _sql(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """One statement on a connection of its own (committed at once, outside the test's transaction)."""
    import psycopg

    with psycopg.connect(**_params(), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def _start_together(storage_class: Callable[..., Any], prefix: str) -> list[BaseException]:
    """Construct `STARTERS` storages at one moment (each creates the schema on its own connection, as each
    worker process does at start); the errors they raised."""
    params = _params()
    barrier = threading.Barrier(STARTERS)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            storage_class(name="race", table_prefix=prefix, **params).close()
        except Exception as error:  # collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(STARTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _drop(prefix: str) -> None:
    for table in ("kv", "schedule", "task", "counter"):
        _sql(f'DROP TABLE IF EXISTS "{prefix}_{table}"')


def test_workers_starting_together_all_create_the_queue_schema() -> None:
    prefix = f"race_{uuid.uuid4().hex[:8]}"
    try:
        assert _start_together(SharedSchemaPostgresStorage, prefix) == []
        assert _sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE %s", [f"{prefix}%"]) == [(4,)]
    finally:
        _drop(prefix)


def test_the_race_is_real_without_the_lock() -> None:
    # The reason for the lock: huey's storage as it comes fails for some of the processes starting together.
    # (A race: repeated a few times with fresh tables until it shows, which it does on the first try here.)
    from huey.storage import PostgresStorage

    failures: list[BaseException] = []
    for _attempt in range(5):
        prefix = f"race_{uuid.uuid4().hex[:8]}"
        try:
            failures = _start_together(PostgresStorage, prefix)
        finally:
            _drop(prefix)
        if failures:
            break
    assert failures, "huey's own schema creation never raced: the advisory lock may no longer be needed"
