"""Zammad's REST API, served by a small threaded HTTP server on loopback with paging and a token check."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from otklik.accounts.models import Role, User
from otklik.imports.readers import build_reader
from otklik.imports.readers.base import ReaderError
from otklik.tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db
TOKEN = "s3cret"

ORGS = [{"id": 1, "name": "Initech", "domain": "initech.example"}]
USERS = [
    {"id": 1, "email": "", "firstname": "-", "lastname": "", "role_ids": [1]},
    {
        "id": 2,
        "email": "peter@initech.example",
        "firstname": "Peter",
        "lastname": "Gibbons",
        "organization_id": 1,
        "role_ids": [3],
    },
    {"id": 3, "email": "bill@desk.example", "firstname": "Bill", "lastname": "L", "role_ids": [2]},
    {"id": 4, "email": "", "firstname": "Milton", "lastname": "", "role_ids": [3], "phone": "+1 555"},
]
TICKETS = [
    {
        "id": 10 + i,
        "number": str(31000 + i),
        "title": f"TPS report {i}",
        "customer_id": 2,
        "owner_id": 3 if i else 1,
        "organization_id": 1,
        "state": "open" if i % 2 else "closed",
        "priority": "3 high",
        "group": "Users",
        "created_at": "2026-01-12T09:00:00.000Z",
        "updated_at": "2026-01-12T10:00:00.000Z",
        "close_at": None if i % 2 else "2026-01-12T10:00:00.000Z",
        "create_article_type": "email",
    }
    for i in range(5)
]
TICKETS.append(
    {
        "id": 99,
        "number": "31099",
        "title": "Stapler",
        "customer_id": 4,
        "owner_id": 1,
        "state": "pending reminder",
        "priority": "2 normal",
        "created_at": "2026-01-13T09:00:00Z",
    }
)
TICKETS.append(
    {
        "id": 100,
        "number": "31100",
        "title": "Ghost",
        "customer_id": 404,
        "owner_id": 1,
        "state": "open",
        "priority": "2 normal",
        "created_at": "2026-01-13T09:00:00Z",
    }
)


def articles(ticket_id: int) -> list[dict[str, Any]]:
    return [
        {
            "id": ticket_id * 10,
            "ticket_id": ticket_id,
            "body": "<p>Where is my stapler?</p>",
            "content_type": "text/html",
            "internal": False,
            "created_by_id": 2,
            "created_at": "2026-01-12T09:00:00Z",
            "attachments": [{"id": 5, "filename": "tps.pdf", "preferences": {"Content-Type": "application/pdf"}}]
            if ticket_id == 10
            else [],
        },
        {
            "id": ticket_id * 10 + 1,
            "ticket_id": ticket_id,
            "body": "Use the new cover sheet",
            "content_type": "text/plain",
            "internal": ticket_id == 11,
            "created_by_id": 3,
            "created_at": "2026-01-12T09:40:00Z",
            "attachments": [],
        },
    ]


class FakeZammad(BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if self.headers.get("Authorization") != f"Token token={TOKEN}":
            self._send(401, {"error": "authentication failed"})
            return
        url = urlparse(self.path)
        query = parse_qs(url.query)
        page, per_page = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["100"])[0])
        lists: dict[str, list[dict[str, Any]]] = {
            "/api/v1/organizations": ORGS,
            "/api/v1/users": USERS,
            "/api/v1/tickets": TICKETS,
        }
        if url.path in lists:
            items = lists[url.path]
            self._send(200, items[(page - 1) * per_page : page * per_page])
        elif url.path.startswith("/api/v1/ticket_articles/by_ticket/"):
            self._send(200, articles(int(url.path.rsplit("/", 1)[1])))
        elif url.path.startswith("/api/v1/ticket_attachment/"):
            self._send(200, b"%PDF-1.4 tps", "application/pdf")
        else:
            self._send(404, {"error": "not found"})


@pytest.fixture
def zammad() -> Iterator[str]:
    FakeZammad.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeZammad)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_zammad_import_with_paging(zammad, run_import):
    options = {"url": zammad, "token": TOKEN, "per_page": 2, "keep_numbers": True}
    run = run_import("zammad", options, batch=3)
    assert run.counts["created"]["ticket"] == 6
    assert "404" in run.problems.get(external_id="100").reason
    assert any("page=4" in path for path in FakeZammad.requests if path.startswith("/api/v1/tickets"))
    first = Ticket.objects.get(number=31000)
    assert first.status.code == "closed" and first.assignee is None  # owner 1 is Zammad's "nobody"
    assert first.priority.code == "high" and first.source == "email"
    assert first.requester.get_full_name() == "Peter Gibbons"
    assert first.organization is not None and first.organization.name == "Initech"
    assert Attachment.objects.get(ticket=first).filename == "tps.pdf"
    second = Ticket.objects.get(number=31001)
    assert second.assignee == User.objects.get(email="bill@desk.example")
    assert second.assignee.role == Role.AGENT
    assert second.messages.filter(is_internal=True).count() == 1
    stapler = Ticket.objects.get(number=31099)
    assert stapler.status.kind == "on_hold"
    assert stapler.requester.email.endswith("@import.invalid") and stapler.requester.phone == "+1 555"
    again = run_import("zammad", options, batch=3)
    assert again.counts["updated"]["ticket"] == 6 and Ticket.objects.count() == 6
    assert Attachment.objects.count() == 1


def test_zammad_bad_token_is_one_clear_error(zammad, run_import):
    reader = build_reader("zammad", {"url": zammad, "token": "wrong"})
    with pytest.raises(ReaderError, match="refused the token"):
        list(reader.rows(0))
    with pytest.raises(ReaderError):
        build_reader("zammad", {"url": "ftp://x", "token": "t"})
