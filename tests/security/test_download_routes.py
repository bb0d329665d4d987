"""Every download route answers through one function (issue 11): the type judged from the bytes, risky
types as application/octet-stream with the sandbox CSP, images inline only with ?inline=1 (never in the API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import services
from otklik.tickets.inbound import InboundAttachment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RISKY = [
    ("evil.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
    ("evil.xml", b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
     "application/xml"),
    ("evil.js", b"alert(document.cookie)", "application/javascript"),
]

Fetch = Callable[[str, str], object]


def _token(people: Personas, now: datetime, filename: str, content: bytes, content_type: str) -> str:
    ticket = factories.ticket(requester=people.alice, now=now)
    # Staff may attach risky types (requesters are refused at upload); serving them must still be safe.
    message = services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="see file", now=now,
                                    attachments=[InboundAttachment(filename, content, content_type)])
    return str(message.attachments.get().token)


@pytest.fixture
def routes(people: Personas, now: datetime) -> dict[str, Fetch]:
    web = Client()
    web.force_login(people.alice)
    api = APIClient()
    issued = token_create(actor=people.alice, user=people.alice, name="t", scopes=("read",), now=now)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return {
        "web files/<token>/": lambda token, query: web.get(reverse("attachment", args=[token]) + query),
        "account/attachments/<token>/": lambda token, query: web.get(
            reverse("security:attachment_download", args=[token]) + query),
        "api/v1/attachments/<token>/": lambda token, query: api.get(f"/api/v1/attachments/{token}/{query}"),
    }


@pytest.mark.parametrize(("filename", "content", "declared"), RISKY)
def test_risky_files_are_sandboxed_downloads_on_every_route(routes: dict[str, Fetch], people: Personas,
                                                            now: datetime, filename: str, content: bytes,
                                                            declared: str) -> None:
    token = _token(people, now, filename, content, declared)
    problems = []
    for route, fetch in routes.items():
        for query in ("", "?inline=1"):
            response = fetch(token, query)
            headers = response.headers  # type: ignore[attr-defined]
            got = (response.status_code, headers.get("Content-Type"),  # type: ignore[attr-defined]
                   headers.get("Content-Disposition", "").split(";")[0], "sandbox" in headers.get(
                       "Content-Security-Policy", ""), headers.get("X-Content-Type-Options"))
            if got != (200, "application/octet-stream", "attachment", True, "nosniff"):
                problems.append(f"{route}{query}: {got}")
    assert not problems, "\n".join(problems)


def test_images_are_inline_only_when_asked_and_never_in_the_api(routes: dict[str, Fetch], people: Personas,
                                                                now: datetime) -> None:
    token = _token(people, now, "screen.png", PNG, "image/png")
    dispositions = {
        (route, query): fetch(token, query).headers["Content-Disposition"].split(";")[0]  # type: ignore[attr-defined]
        for route, fetch in routes.items() for query in ("", "?inline=1")
    }
    assert dispositions == {
        ("web files/<token>/", ""): "attachment", ("web files/<token>/", "?inline=1"): "inline",
        ("account/attachments/<token>/", ""): "attachment", ("account/attachments/<token>/", "?inline=1"): "inline",
        ("api/v1/attachments/<token>/", ""): "attachment", ("api/v1/attachments/<token>/", "?inline=1"): "attachment",
    }
