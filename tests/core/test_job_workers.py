"""Two real job worker processes share one queue: each job runs exactly once, and a periodic job's
effect happens once per period even when both processes run a scheduler.

The workers use the same kind of database as the suite (SQLite file or PostgreSQL), in a database of
their own, so the test sees exactly what a deployment sees.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from otklik.testing.migrated import copy_migrated_sqlite, create_migrated_postgres

REPO = Path(__file__).resolve().parents[2]


def _postgres_admin_connection() -> Any:
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1", port=int(db.get("PORT") or 5432), user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None, dbname="postgres", autocommit=True,
    )


class WorkerDatabase:
    def __init__(self, env: dict[str, str], query: Any) -> None:
        self.env = env
        self.query = query


@pytest.fixture
def worker_db(tmp_path: Path) -> Iterator[WorkerDatabase]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "otklik.settings.base", "OTKLIK_DATA_DIR": str(tmp_path),
           "OTKLIK_JOBS_IMMEDIATE": "0", "OTKLIK_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}"}
    env.pop("REDIS_URL", None)
    name = f"otklik_jobs_{uuid.uuid4().hex[:10]}"
    if settings.DATABASE_IS_POSTGRES:
        db = settings.DATABASES["default"]

        def url_of(database: str) -> str:
            user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
            return f"postgres://{user}@{host}:{port}/{database}"

        with _postgres_admin_connection() as admin:
            create_migrated_postgres(admin, name, url_of)
        env["DATABASE_URL"] = url_of(name)
        env["OTKLIK_JOBS_BACKEND"] = "postgres"

        def query(sql: str) -> list[tuple[Any, ...]]:
            import psycopg

            with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
                return list(conn.execute(sql).fetchall())
    else:
        path = tmp_path / "workers.sqlite3"
        copy_migrated_sqlite(path)
        env["DATABASE_URL"] = f"sqlite:///{path}"
        env["OTKLIK_JOBS_BACKEND"] = "sqlite"

        def query(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path, timeout=20) as conn:
                return list(conn.execute(sql).fetchall())

    yield WorkerDatabase(env, query)
    if settings.DATABASE_IS_POSTGRES:
        with _postgres_admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_worker(env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    # The worker's log goes to a file beside its database, so a failure can say what the worker did.
    log = open(Path(env["OTKLIK_DATA_DIR"]) / f"worker-{uuid.uuid4().hex[:6]}.log", "wb")  # noqa: SIM115
    with log:
        return subprocess.Popen(
            [sys.executable, "-m", "otklik", "run_huey", "--workers", "4", "--worker-type", "thread", *extra],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )


def _schedulers_up(env: dict[str, str]) -> int:
    """How many workers' schedulers have enqueued their periodic jobs at least once."""
    return sum("Enqueueing periodic task" in path.read_text(errors="replace")
               for path in Path(env["OTKLIK_DATA_DIR"]).glob("worker-*.log"))


def _logs(env: dict[str, str]) -> str:
    """The tails of the workers' logs, for an assertion's message."""
    return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                     for path in sorted(Path(env["OTKLIK_DATA_DIR"]).glob("worker-*.log")))


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_two_workers_never_run_the_same_job_twice(worker_db: WorkerDatabase) -> None:
    jobs = 300
    subprocess.run([sys.executable, "-m", "otklik", "jobcheck", "--jobs", str(jobs), "--prefix", "probe",
                    "--enqueue-only"], env=worker_db.env, cwd=REPO, check=True, capture_output=True)
    workers = [_start_worker(worker_db.env, "--no-periodic"), _start_worker(worker_db.env, "--no-periodic")]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if worker_db.query("SELECT COUNT(*) FROM core_jobproberun")[0][0] >= jobs:
                break
            time.sleep(0.3)
        time.sleep(1.0)  # a duplicate, if any, would land right after the last job
    finally:
        _stop(workers)
    rows = worker_db.query("SELECT key, COUNT(*) FROM core_jobproberun GROUP BY key")
    assert len(rows) == jobs
    assert max(count for _key, count in rows) == 1
    processes = {worker.rsplit(":", 1)[0] for (worker,) in worker_db.query("SELECT worker FROM core_jobproberun")}
    assert len(processes) == 2, "both worker processes should have taken jobs"


def test_periodic_job_takes_effect_once_per_period_even_with_two_schedulers(worker_db: WorkerDatabase) -> None:
    # Both processes run a scheduler here (a misconfiguration the README warns about): the period claim
    # must still let exactly one of them act, and count the other's attempt as skipped.
    workers = [_start_worker(worker_db.env), _start_worker(worker_db.env)]
    try:
        # Each scheduler checks its periodic jobs when it starts and every 60 s after (huey counts from its own
        # start, not from the minute), so once both have checked, each wall-clock minute holds a check of each:
        # within the next minute or so both try the same period. A loaded machine can take long to start them,
        # so the wait for the collision starts when both schedulers are up.
        started = time.monotonic()
        while time.monotonic() < started + 240 and _schedulers_up(worker_db.env) < 2:
            time.sleep(0.5)
        assert _schedulers_up(worker_db.env) == 2, f"the schedulers did not start\n{_logs(worker_db.env)}"
        deadline = time.monotonic() + 150
        rows: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline:
            rows = worker_db.query(
                "SELECT period_start, skipped FROM core_periodicrun WHERE job = 'scheduler_heartbeat'")
            if any(skipped >= 1 for _period, skipped in rows):
                break
            time.sleep(0.5)
    finally:
        _stop(workers)
    assert rows, "the scheduler never ran the heartbeat"
    periods = [period for period, _skipped in rows]
    assert len(periods) == len(set(periods))
    assert any(skipped >= 1 for _period, skipped in rows), (
        f"the second scheduler's attempt was not observed: {rows}\n{_logs(worker_db.env)}")
