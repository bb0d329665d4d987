"""The Redis deployment paths, run for real against the Redis on 127.0.0.1 (database 6): the job queue
with two worker processes, the Channels layer between two layer instances (as two web processes), and
the shared cache. Configured is not enough: each test would fail if the path did not work."""

from __future__ import annotations

import asyncio
import copy
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache

from otklik.settings import web as web_settings
from otklik.testing.migrated import copy_migrated_sqlite

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OTKLIK_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


def _settings_with_redis() -> dict[str, Any]:
    """What otklik.settings.web makes of a deployment with REDIS_URL set."""
    from django.conf import settings as django_settings

    settings: dict[str, Any] = {
        "REDIS_URL": REDIS_URL,
        "INSTALLED_APPS": list(django_settings.INSTALLED_APPS),
        "MIDDLEWARE": list(django_settings.MIDDLEWARE),
        "TEMPLATES": copy.deepcopy(django_settings.TEMPLATES),
    }
    web_settings.configure(settings)
    return settings


def test_jobs_on_the_redis_queue_run_once_each_across_two_workers(tmp_path: Path) -> None:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "otklik.settings.base", "OTKLIK_DATA_DIR": str(tmp_path),
           "OTKLIK_JOBS_IMMEDIATE": "0", "OTKLIK_QUEUE_NAME": queue, "OTKLIK_JOBS_BACKEND": "redis",
           "REDIS_URL": REDIS_URL, "DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}
    copy_migrated_sqlite(tmp_path / "jobs.sqlite3")
    jobs = 60
    subprocess.run([sys.executable, "-m", "otklik", "jobcheck", "--jobs", str(jobs), "--prefix", "redis",
                    "--enqueue-only"], env=env, cwd=REPO, check=True, capture_output=True)
    workers = [
        subprocess.Popen([sys.executable, "-m", "otklik", "run_huey", "--workers", "2", "--worker-type", "thread",
                          "--no-periodic"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    def runs() -> list[tuple[str, int]]:
        with sqlite3.connect(tmp_path / "jobs.sqlite3", timeout=20) as db:
            return list(db.execute("SELECT key, COUNT(*) FROM core_jobproberun GROUP BY key").fetchall())

    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(runs()) < jobs:
            time.sleep(0.3)
        time.sleep(1.0)  # a duplicate, if any, would land right after the last job
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=15)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{queue}*"):
            client.delete(key)
    rows = runs()
    assert len(rows) == jobs
    assert max(count for _key, count in rows) == 1


def test_the_channels_redis_layer_carries_group_messages_between_processes() -> None:
    from django.utils.module_loading import import_string

    settings = _settings_with_redis()
    assert settings["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    config = settings["CHANNEL_LAYERS"]["default"]

    async def exchange() -> dict[str, Any]:
        layer_class = import_string(config["BACKEND"])
        sender = layer_class(**config["CONFIG"])  # two instances: two web processes
        receiver = layer_class(**config["CONFIG"])
        group = f"ticket-{uuid.uuid4().hex[:8]}"
        channel = await receiver.new_channel()
        await receiver.group_add(group, channel)
        await sender.group_send(group, {"type": "presence", "who": "fiona"})
        message: dict[str, Any] = await asyncio.wait_for(receiver.receive(channel), timeout=5)
        await receiver.group_discard(group, channel)
        await sender.flush()
        return message

    # On a fresh loop in another thread: a browser test in this worker may own the thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        exchanged = pool.submit(asyncio.run, exchange()).result(timeout=60)
    assert exchanged == {"type": "presence", "who": "fiona"}


def test_the_redis_cache_is_shared_between_processes() -> None:
    first, second = RedisCache(REDIS_URL, {}), RedisCache(REDIS_URL, {})  # as two web processes
    name = f"throttle-probe-{uuid.uuid4().hex[:8]}"
    first.set(name, 1, 30)
    assert second.incr(name) == 2
    assert first.get(name) == 2
    first.delete(name)
