"""A download served through Django's ASGI handler streams block by block, without Django's
"must consume synchronous iterators" warning (it read the whole file into memory first)."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Mapping
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from otklik.testing import factories
from otklik.tickets import services
from otklik.tickets.inbound import InboundAttachment

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 1024  # 256 KiB: several blocks


def _asgi_get(path: str, cookie: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected until the response is complete
        return {"type": "http.disconnect"}

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    # async_to_sync from this thread: the view's database work comes back to the test's connection, which
    # the request signals must not close (Django's test client disconnects them the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(ASGIHandler())(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return sent


def test_download_streams_under_asgi_without_the_sync_iterator_warning(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    message = services.ticket_reply(
        actor=people.fiona,
        ticket_id=ticket.pk,
        body_text="log",
        now=now,
        attachments=[InboundAttachment("trace.bin", CONTENT)],
    )
    token = message.attachments.get().token
    client = Client()
    client.force_login(people.alice)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sent = _asgi_get(f"/files/{token}/", cookie)
    assert not [w for w in caught if "synchronous iterators" in str(w.message)], [str(w.message) for w in caught]
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    bodies = [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]
    assert b"".join(bodies) == CONTENT
    assert len(bodies) > 1  # streamed in blocks, not read whole
