"""The done criterion: `OTKLIK_TELEGRAM_TOKEN=... OTKLIK_TELEGRAM_API_URL=... otklik telegram run` against a
Bot-API-compatible server carries a new user from /start through /new to a ticket with its fields filled.

The command runs as a real subprocess (python-telegram-bot long polling) on its own SQLite database and is
stopped in the middle of the intake and started again: the conversation continues from the database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from otklik.testing.migrated import copy_migrated_sqlite
from tests.telegram.fakebot import FakeBotApi, TelegramPerson, fake_bot_api

ROOT = Path(__file__).resolve().parents[2]
OTKLIK = shutil.which("otklik", path=str(Path(sys.executable).parent))
SEED = """
from otklik.tickets.models import CustomField, RequestType
rt = RequestType.objects.create(code="access", name="Access to a system")
CustomField.objects.create(request_type=rt, code="system", label="System", kind="choice", choices=["CRM", "ERP"],
                           required=True, order=1)
CustomField.objects.create(request_type=rt, code="days", label="For how many days", kind="number", required=True,
                           order=2)
"""


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="otklik-tg-run-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(workdir: Path, api: FakeBotApi) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "DJANGO_SETTINGS",
                                                                                   "REDIS_URL", "OTKLIK_"))}
    env.update({"OTKLIK_DATA_DIR": str(workdir), "OTKLIK_TELEGRAM_TOKEN": "4242:RUN-TEST",
                "OTKLIK_TELEGRAM_API_URL": api.url, "OTKLIK_JOBS_IMMEDIATE": "1", "PYTHONUNBUFFERED": "1"})
    return env


def _command(*args: str) -> list[str]:
    return [OTKLIK, *args] if OTKLIK else [sys.executable, "-m", "otklik", *args]


def _start(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / "run.log").open("ab")
    return subprocess.Popen(_command("telegram", "run", "--poll-timeout", "1"), cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_otklik_telegram_run_carries_a_new_user_from_start_to_a_ticket(workdir: Path) -> None:
    with fake_bot_api() as api:
        env = _env(workdir, api)
        copy_migrated_sqlite(workdir / "otklik.sqlite3")
        subprocess.run(_command("shell", "-c", SEED), cwd=ROOT, env=env, check=True, timeout=120)
        person = TelegramPerson(api, 9001, first_name="Olga", language_code="ru")

        def answered(count: int) -> bool:
            return len(api.texts(9001)) >= count

        process = _start(env, workdir)
        try:
            person.text("/start")
            api.wait_for(lambda: answered(1), timeout=60)
            assert "Здравствуйте, Olga" in api.texts(9001)[0]  # the Telegram client's language
            api.flood["sendMessage"] = 1  # flood control: the runner waits retry_after, then sends once
            person.text("/new")
            api.wait_for(lambda: answered(2))
            assert api.flood["sendMessage"] == 0
            choose = api.sent(9001, "sendMessage")[-1]
            service = next(data for label, data in choose.buttons if label == "Access to a system")
            person.press(service)
            api.wait_for(lambda: answered(3))
            assert "System" in api.texts(9001)[-1]
            person.press("fv:1")
            api.wait_for(lambda: answered(4))
            assert "For how many days" in api.texts(9001)[-1]
        finally:
            _stop(process)

        # A restart in the middle of the intake: the next process continues the same conversation.
        process = _start(env, workdir)
        try:
            person.text("5")
            api.wait_for(lambda: answered(5), timeout=60)  # a fresh process starts Django first
            person.text("Нужен доступ к ERP")
            api.wait_for(lambda: answered(6))
            person.press("skip")
            api.wait_for(lambda: answered(7))
            person.press("done")
            api.wait_for(lambda: answered(8))
            assert "Нужен доступ к ERP" in api.texts(9001)[-1]
            person.press("send")
            api.wait_for(lambda: answered(9))
            final = api.texts(9001)[-1]
        finally:
            _stop(process)

    with sqlite3.connect(workdir / "otklik.sqlite3") as db:
        number, subject, source, fields = db.execute(
            "SELECT number, subject, source, fields FROM tickets_ticket").fetchone()
        email = db.execute("SELECT u.email FROM tickets_ticket t JOIN accounts_user u ON u.id = t.requester_id"
                           ).fetchone()[0]
    assert f"№{number}" in final
    assert subject == "Нужен доступ к ERP" and source == "telegram"
    assert json.loads(fields) == {"system": "ERP", "days": "5"}
    assert email == "tg9001@telegram.invalid"
    assert "Traceback" not in (workdir / "run.log").read_text(errors="replace")
