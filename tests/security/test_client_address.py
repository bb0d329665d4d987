"""The client address (lockout, audit log) is decided by one rule, whatever server is in front (issue 11):
only the configured trusted proxies' X-Forwarded-For entries count, and `otklik run` does not let uvicorn
rewrite the address from forwarded headers before Django sees it."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from django.test import Client

from otklik.audit.models import AuditEntry, AuditKind
from otklik.testing.personas import PASSWORD, Personas
from otklik.web.management.commands.run import uvicorn_options


async def _echo_client(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A stand-in application that answers with the client address the server put in the scope."""
    if scope["type"] != "http":
        return
    body = str((scope.get("client") or ("", 0))[0]).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def served_like_otklik_run() -> Iterator[int]:
    """The echo app served by uvicorn with exactly the options `otklik run` uses, on an ephemeral port."""
    options = uvicorn_options("127.0.0.1", 0)
    options.pop("host"), options.pop("port")
    config = uvicorn.Config(_echo_client, log_level="warning",
                            **{key: value for key, value in options.items() if key != "log_level"})
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


def test_otklik_run_keeps_uvicorn_away_from_forwarded_headers() -> None:
    options = uvicorn_options("127.0.0.1", 8000)
    assert options["proxy_headers"] is False
    assert options["forwarded_allow_ips"] == ""


def test_a_local_client_cannot_forge_its_address_through_the_server(served_like_otklik_run: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served_like_otklik_run, timeout=5)
    connection.request("GET", "/", headers={"X-Forwarded-For": "203.0.113.66", "X-Real-IP": "203.0.113.67"})
    seen = connection.getresponse().read().decode()
    connection.close()
    assert seen == "127.0.0.1"


def test_forged_forwarded_addresses_do_not_reset_the_lockout(people: Personas, settings: Any) -> None:
    settings.OTKLIK_TRUSTED_PROXY_COUNT = 0
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": people.fiona.email, "password": "wrong-password"},
                    REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt + 1}")
    response = client.post("/login/", {"username": people.fiona.email, "password": PASSWORD},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert response.status_code == 429
    logged = set(AuditEntry.objects.filter(kind=AuditKind.LOGIN_FAILED).values_list("ip_address", flat=True))
    assert logged == {"127.0.0.1"}


def test_behind_one_trusted_proxy_only_its_entry_counts(people: Personas, settings: Any) -> None:
    settings.OTKLIK_TRUSTED_PROXY_COUNT = 1
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The client prepends forged entries; the proxy appends the real address last.
        client.post("/login/", {"username": people.fiona.email, "password": "wrong-password"},
                    REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt + 1}, 203.0.113.5")
    logged = set(AuditEntry.objects.filter(kind=AuditKind.LOGIN_FAILED).values_list("ip_address", flat=True))
    assert logged == {"203.0.113.5"}
