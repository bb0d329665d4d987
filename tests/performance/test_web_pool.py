"""A real web process on PostgreSQL serves its requests from a few pooled connections (settings.base).

uvicorn runs `otklik.asgi` in a child process against the test database; PostgreSQL's own view of its
clients (`pg_stat_activity`, told apart by libpq's PGAPPNAME) shows how many connections it holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.db import connection

from bench.servers import free_port, stop, wait_for_ports

APP_NAME = "otklik-web-pool-test"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def _backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the test's transaction would keep its first view
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def web_process(tmp_path: Path) -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (run with DATABASE_URL=postgres://…)")
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "otklik.settings.base", "DATABASE_URL": url,
           "PGAPPNAME": APP_NAME, "OTKLIK_DATA_DIR": str(tmp_path), "REDIS_URL": "",
           "SECRET_KEY": "pool-test-secret-key-not-for-production-0123456789abcdef"}
    env.pop("OTKLIK_DB_POOL_SIZE", None)
    process = subprocess.Popen(  # our own interpreter running uvicorn
        [sys.executable, "-m", "uvicorn", "otklik.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_ports([port], timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop([process])


def _requests(base_url: str, count: int) -> list[int]:
    def one(_index: int) -> int:
        return httpx.get(f"{base_url}/health/", timeout=30).status_code

    with ThreadPoolExecutor(max_workers=4) as workers:
        return list(workers.map(one, range(count)))


def test_requests_reuse_a_few_pooled_connections(web_process: str) -> None:
    assert _requests(web_process, 40) == [200] * 40
    held = _backends()
    # Per-request connections would all be closed by now; the pool keeps its connections open, at most 10.
    assert 1 <= len(held) <= 10
    assert _requests(web_process, 40) == [200] * 40
    deadline = time.monotonic() + 5
    while _backends() != held and time.monotonic() < deadline:  # a connection the pool is opening settles
        time.sleep(0.2)
    assert held <= _backends()  # the same server processes answered: nothing reconnected
