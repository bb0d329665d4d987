from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from otklik.accounts.models import Role, Team, User
from otklik.tickets.models import Message, StatusKind, Ticket, TicketEvent

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_createadmin_for_scripts_and_promotion():
    call_command("createadmin", email="Root@Example.com", password="a-long-password-1", stdout=StringIO())
    admin = User.objects.get(email="root@example.com")
    assert admin.is_superuser and admin.role == Role.ADMIN and admin.check_password("a-long-password-1")
    call_command("createadmin", email="root@example.com", password="another-password-2", stdout=StringIO())
    admin.refresh_from_db()
    assert admin.check_password("another-password-2")
    with pytest.raises(CommandError):
        call_command("createadmin", email="weak@example.com", password="123", stdout=StringIO())
    assert not User.objects.filter(email="weak@example.com").exists()


@pytest.mark.django_db
def test_demo_loads_a_realistic_desk():
    out = StringIO()
    call_command("demo", tickets=300, days=20, stdout=out)
    assert "300 tickets" in out.getvalue()
    assert "adam@otklik.demo" in out.getvalue()  # `otklik demo` alone tells how to sign in
    assert Team.objects.count() >= 3
    assert User.objects.filter(role=Role.AGENT).count() >= 10
    # The demo chats make a few tickets of their own from chat messages.
    assert Ticket.objects.exclude(messages__external_id__startswith="otklik-chat-message-").count() == 300
    kinds = set(Ticket.objects.values_list("status__kind", flat=True))
    assert {StatusKind.CLOSED, StatusKind.OPEN, StatusKind.NEW} <= kinds
    assert Message.objects.filter(is_internal=True).exists()
    assert TicketEvent.objects.filter(kind="status_changed").exists()
    # Numbers continue after the demo: a new ticket never collides with a generated one.
    numbers = list(Ticket.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, Ticket.objects.count() + 1))
    assert any("а" <= ch <= "я" for ch in "".join(Ticket.objects.values_list("subject", flat=True)))
    # Twice is harmless for the reference data. `otklik run --demo` asks for no account list: its banner has it.
    quiet = StringIO()
    call_command("demo", tickets=1, show_accounts=False, stdout=quiet)
    assert Team.objects.count() == 4
    assert "1 tickets" in quiet.getvalue() and "adam@otklik.demo" not in quiet.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_otklik_run_serves_login_page_with_worker_and_scheduler(tmp_path):
    """The README's first command, minus the install: migrate, demo data, web + worker + scheduler."""
    port = _free_port()
    env = {**os.environ, "OTKLIK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "otklik.settings.base",
           "OTKLIK_JOBS_IMMEDIATE": "0"}
    for name in ("DATABASE_URL", "REDIS_URL", "OTKLIK_JOBS_BACKEND"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, "-m", "otklik", "run", "--port", str(port), "--demo"],
                              env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
                    status = response.status
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, server.stdout.read().decode() if server.poll() is not None and server.stdout else ""
        assert "csrfmiddlewaretoken" in page
        assert (tmp_path / "otklik.sqlite3").exists() and (tmp_path / "secret_key").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)
    # A service manager stops `otklik run` with SIGTERM: its job worker must stop with it, not linger.
    deadline = time.monotonic() + 30
    while _processes_using(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _processes_using(tmp_path), "the job worker outlived `otklik run`"


def _processes_using(data_dir) -> list[int]:
    """Processes started with this data folder in their environment (Linux /proc)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"OTKLIK_DATA_DIR={data_dir}".encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found
