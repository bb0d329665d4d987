"""`otklik run` starts the Telegram long-polling process beside the web server when a bot is configured."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from django.core.management import call_command

from otklik.telegram.models import Bot
from otklik.web.management.commands import run as run_command

pytestmark = pytest.mark.django_db


class _Process:
    started: list[list[str]] = []

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        _Process.started.append(list(args))

    def send_signal(self, signum: int) -> None:
        pass

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    _Process.started = []
    monkeypatch.setattr(run_command, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr("otklik.web.management.commands.run.subprocess.Popen", _Process)
    monkeypatch.setitem(sys.modules, "uvicorn", types.SimpleNamespace(run=lambda *args, **kwargs: None))
    return _Process.started


def _telegram(started: list[list[str]]) -> list[list[str]]:
    return [args for args in started if args[-2:] == ["telegram", "run"]]


def test_no_bot_no_telegram_process(started: list[list[str]], settings: Any) -> None:
    settings.OTKLIK_TELEGRAM_TOKEN = ""
    call_command("run", "--no-worker")
    assert _telegram(started) == []


def test_a_configured_bot_starts_the_telegram_process(started: list[list[str]], settings: Any) -> None:
    settings.OTKLIK_TELEGRAM_TOKEN = ""
    Bot.objects.create(name="Desk", token="1:A")
    call_command("run", "--no-worker")
    assert _telegram(started) == [[sys.executable, "-m", "otklik", "telegram", "run"]]


def test_the_environment_token_starts_it_too(started: list[list[str]], settings: Any) -> None:
    settings.OTKLIK_TELEGRAM_TOKEN = "2:ENV"
    call_command("run", "--no-worker")
    assert len(_telegram(started)) == 1
