"""A worker killed after the raw row is stored and before processing commits: after a restart the
message is processed exactly once. Real processes, a real SIGKILL, a SQLite file shared between them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from otklik.testing.migrated import copy_migrated_sqlite
from tests.mail.mailtools import build_mail

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("crash_worker.py")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_mail_worker_killed_mid_processing_processes_the_message_exactly_once(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "otklik.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.sqlite3'}",
        "OTKLIK_DATA_DIR": str(tmp_path),
        "OTKLIK_JOBS_IMMEDIATE": "0",  # a real queue file: the job outlives the killed process
        "OTKLIK_JOBS_BACKEND": "sqlite",
        "LOG_LEVEL": "ERROR",
    }
    message = tmp_path / "request.eml"
    message.write_bytes(build_mail(message_id="<crash@a.example>"))
    copy_migrated_sqlite(tmp_path / "crash.sqlite3")

    killed = _run(env, str(WORKER), "store-and-die", str(message))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after_crash = json.loads(_run(env, str(WORKER), "report").stdout)
    assert after_crash == {"tickets": 0, "messages": 0, "inbound": [["received", ""]]}

    restarted = _run(env, str(WORKER), "restart")
    assert restarted.returncode == 0, restarted.stderr
    again = _run(env, str(WORKER), "restart")  # a second restart finds nothing to do
    assert again.returncode == 0, again.stderr
    imported_again = _run(env, "-m", "otklik", "mail", "import", "--address", "support@otklik.test", "--json",
                          str(message))

    final = json.loads(_run(env, str(WORKER), "report").stdout)
    assert final["tickets"] == 1
    assert final["messages"] == 1
    assert final["inbound"] == [["processed", "new_ticket"], ["processed", "duplicate"]]
    assert json.loads(imported_again.stdout)["outcome"] == "duplicate"
