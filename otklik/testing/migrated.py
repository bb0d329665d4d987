"""Migrated databases for tests that start real processes (job workers, `otklik telegram run`, a killed
mail worker): each of them needs a database of its own, and running every migration for each costs
~20 s of CPU, most of it Django rendering model states. The first test of a run migrates one template
(under a lock, so parallel test workers build it once) and every later one copies it.

The template's name carries a digest of the project's code, so a changed migration (or anything a data
migration imports) builds a new one instead of reusing a stale schema.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PREFIX = "otklik_migrated_"


@cache
def code_digest() -> str:
    """Digest of every Python file of the project: the schema and seeded rows can depend on any of them."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "otklik").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _migrate(database_url: str, data_dir: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DATABASE_URL", "REDIS_URL", "OTKLIK_", "DJANGO_SETTINGS_MODULE"))}
    env.update({"DJANGO_SETTINGS_MODULE": "otklik.settings.base", "DATABASE_URL": database_url,
                "OTKLIK_DATA_DIR": str(data_dir), "OTKLIK_JOBS_IMMEDIATE": "1"})
    subprocess.run([sys.executable, "-m", "otklik", "migrate", "-v0"], env=env, cwd=REPO, check=True)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_template() -> Path:
    folder = Path(tempfile.gettempdir()) / f"{TEMPLATE_PREFIX}{code_digest()}"
    template = folder / "template.sqlite3"
    folder.mkdir(exist_ok=True)
    with _file_lock(folder / "lock"):
        if not template.exists():
            building = folder / "building.sqlite3"
            building.unlink(missing_ok=True)
            _migrate(f"sqlite:///{building}", folder)
            building.rename(template)  # only a complete template ever carries the name
    return template


def copy_migrated_sqlite(destination: Path) -> None:
    """Write a fully migrated SQLite database to `destination` (what `otklik migrate` would leave)."""
    with sqlite3.connect(_sqlite_template()) as source, sqlite3.connect(destination) as target:
        source.backup(target)


def create_migrated_postgres(admin: Any, name: str, database_url_of: Callable[[str], str]) -> None:
    """Create PostgreSQL database `name` fully migrated, as a copy of a template database built once.

    `admin` is an autocommit psycopg connection to a maintenance database; `database_url_of(name)` gives
    the URL of a database on the same server. Other runs' templates (other code) are dropped."""
    template = f"{TEMPLATE_PREFIX}{code_digest()}"
    admin.execute("SELECT pg_advisory_lock(hashtext('otklik migrated template'))")
    try:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
        if not exists:
            stale = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                  [TEMPLATE_PREFIX + "%"]).fetchall()
            for (old,) in stale:
                admin.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
            building = f"{template}_building"
            admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{building}"')
            with tempfile.TemporaryDirectory() as data_dir:
                _migrate(database_url_of(building), Path(data_dir))
            admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        admin.execute("SELECT pg_advisory_unlock(hashtext('otklik migrated template'))")
