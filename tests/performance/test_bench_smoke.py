"""The benchmark loader at its smallest size: loaded history is marked as handled and searchable."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from otklik.testing.migrated import copy_migrated_sqlite

REPO = Path(__file__).resolve().parents[2]


def test_generate_marks_history_as_handled_and_indexes_it(tmp_path: Path) -> None:
    database = tmp_path / "bench.sqlite3"
    copy_migrated_sqlite(database)  # generate.py migrates what it is given; that part is not under test here
    env = {**os.environ, "OTKLIK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "otklik.settings.base"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), "--tickets", "30", "--database-url",
         f"sqlite:///{database}"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "tickets:  30" in result.stdout
    with sqlite3.connect(database) as db:
        latest = db.execute("SELECT MAX(id) FROM tickets_ticketevent").fetchone()[0]
        cursors = dict(db.execute("SELECT consumer, position FROM notifications_outboxcursor").fetchall())
        subjects = db.execute("SELECT COUNT(*) FROM search_searchentry WHERE message_id IS NULL").fetchone()[0]
    assert latest and cursors == {"notifications": latest, "automation.triggers": latest}
    assert subjects == 30
