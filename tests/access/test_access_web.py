"""Channel: the web pages that exist (server-rendered UI, file downloads, the Django admin).

Pages are listed by URL name; a page that is not mounted yet is skipped, so the matrix grows by adding
a name here. What each persona may see comes from world.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from otklik.tickets.models import Attachment, Ticket
from tests.access.world import (
    HANDLED,
    PERSONAS,
    TICKETS,
    VISIBLE,
    World,
    internal_field_marker,
    internal_file_name,
    internal_marker,
    public_marker,
)

# Pages about one ticket, by URL name and how to build their arguments.
TICKET_PAGES: dict[str, Callable[[Ticket], list[object]]] = {
    "ticket": lambda ticket: [ticket.number],
}
# Pages that list or search tickets: never a hint of a ticket the viewer may not see.
LIST_PAGES: dict[str, str] = {
    "home": "",
    "portal_home": "",
    "portal_home:organization": "?scope=organization",
    "search": "?q=Subject",
}
# Every way to download a file.
DOWNLOADS = ("security:attachment_download", "attachment")


def _url(name: str, *args: object) -> str:
    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:
        pytest.skip(f"page {name!r} is not mounted")


def _client(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def _text(response: object) -> str:
    content = getattr(response, "content", b"")
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    # The styled error page carries a CSRF token, masked afresh on every response (BREACH defence):
    # random per response, never about the ticket, so it is left out of "looks exactly alike".
    return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1TOKEN", text)


@pytest.mark.parametrize("page", sorted(TICKET_PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_ticket_pages(world: World, page: str, persona: str) -> None:
    client = _client(world, persona)
    problems = []
    for key in TICKETS:
        ticket = world.tickets[key]
        response = client.get(_url(page, *TICKET_PAGES[page](ticket)), follow=True)
        body = _text(response)
        if key not in VISIBLE[persona]:
            if response.status_code != 404:
                problems.append(f"{key}: expected 404, got {response.status_code}")
            continue
        if response.status_code != 200:
            problems.append(f"{key}: expected 200, got {response.status_code}")
            continue
        if public_marker(key) not in body:
            problems.append(f"{key}: the public reply is missing")
        if (internal_marker(key) in body) is not (key in HANDLED[persona]):
            problems.append(f"{key}: internal note shown={internal_marker(key) in body}")
        if key not in HANDLED[persona]:
            for secret in (internal_field_marker(key), internal_file_name(key), world.internal_files[key].token):
                if secret in body:
                    problems.append(f"{key}: leaks {secret}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", sorted(TICKET_PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_forbidden_ticket_page_looks_exactly_like_a_missing_one(world: World, page: str, persona: str) -> None:
    hidden = [key for key in TICKETS if key not in VISIBLE[persona]]
    if not hidden:
        pytest.skip(f"{persona} sees every ticket")
    client = _client(world, persona)
    missing_number = Ticket.objects.order_by("-number").first().number + 100  # type: ignore[union-attr]
    absent_url = _url(page, missing_number)
    forbidden_url = _url(page, *TICKET_PAGES[page](world.tickets[hidden[0]]))
    absent, forbidden = client.get(absent_url), client.get(forbidden_url)
    assert absent.status_code == forbidden.status_code == 404
    assert _text(absent).replace(absent_url, "URL") == _text(forbidden).replace(forbidden_url, "URL")


def test_anonymous_visitors_get_the_same_answer_for_any_ticket_number(world: World) -> None:
    client = Client()
    existing = client.get(_url("ticket", world.tickets["alice_first"].number))
    missing = client.get(_url("ticket", 999999))
    assert existing.status_code == missing.status_code
    assert existing.status_code in {302, 404}
    assert public_marker("alice_first") not in _text(existing)


@pytest.mark.parametrize("page", sorted(LIST_PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_list_pages_never_mention_invisible_tickets(world: World, page: str, persona: str) -> None:
    name = page.split(":", 1)[0]
    client = _client(world, persona)
    response = client.get(_url(name) + LIST_PAGES[page], follow=True)
    assert response.status_code in {200, 404}
    body = _text(response)
    leaked = [key for key in TICKETS if key not in VISIBLE[persona] and f"Subject of {key}" in body]
    leaked += [internal_marker(key) for key in TICKETS if key not in HANDLED[persona] and internal_marker(key) in body]
    assert not leaked, f"{page} shows {persona}: {leaked}"


@pytest.mark.parametrize("download", DOWNLOADS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_file_downloads(world: World, download: str, persona: str) -> None:
    client = _client(world, persona)
    problems = []
    for key in TICKETS:
        for attachment, allowed in (
            (world.public_files[key], key in VISIBLE[persona]),
            (world.internal_files[key], key in HANDLED[persona]),
        ):
            response = client.get(_url(download, attachment.token))
            expected_status = 200 if allowed else 404
            if response.status_code != expected_status:
                problems.append(f"{attachment.filename}: expected {expected_status}, got {response.status_code}")
                continue
            if allowed:
                body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
                if body != attachment.file.open("rb").read():
                    problems.append(f"{attachment.filename}: wrong content")
                if response.headers.get("X-Content-Type-Options") != "nosniff":
                    problems.append(f"{attachment.filename}: no nosniff")
                if "attachment" not in response.headers.get("Content-Disposition", ""):
                    problems.append(f"{attachment.filename}: not served as a download")
    absent = client.get(_url(download, "no-such-token"))
    if absent.status_code != 404:
        problems.append(f"absent token: {absent.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("download", DOWNLOADS)
def test_downloads_need_a_signed_in_viewer(world: World, download: str) -> None:
    response = Client().get(_url(download, world.public_files["alice_first"].token))
    assert response.status_code in {302, 404}
    assert b"public bytes" not in b"".join(getattr(response, "streaming_content", [response.content]))


@pytest.mark.parametrize("persona", PERSONAS)
def test_django_admin_is_for_admins_only(world: World, persona: str) -> None:
    client = _client(world, persona)
    note = world.notes["alice_first"]
    index = client.get("/admin/")
    message_page = client.get(f"/admin/tickets/message/{note.pk}/change/")
    if persona == "adam":
        assert index.status_code == 200
        assert message_page.status_code == 200
    else:
        assert index.status_code == 302 and "/admin/login/" in index["Location"]
        assert message_page.status_code == 302
        assert internal_marker("alice_first") not in _text(message_page)


def test_health_probe_shows_no_data(world: World) -> None:
    body = _text(Client().get("/health/"))
    assert not any(key in body for key in TICKETS)
    assert Attachment.objects.count() == 8


# Web forms that write to a ticket: URL name -> (rule name, form data).
WEB_WRITES: dict[str, tuple[str, dict[str, str]]] = {
    "ticket_note": ("note", {"body": "WEB-WRITE"}),
    "ticket_reply": ("reply", {"body": "WEB-WRITE"}),
    "portal_reply": ("reply", {"body": "WEB-WRITE"}),
}


@pytest.mark.parametrize("page", sorted(WEB_WRITES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_web_writes_never_exceed_the_rules(world: World, page: str, persona: str) -> None:
    from otklik.tickets.models import Message
    from tests.access.world import Outcome, expected

    rule, data = WEB_WRITES[page]
    client = _client(world, persona)
    problems = []
    for key in TICKETS:
        ticket = world.tickets[key]
        before = Message.objects.filter(ticket=ticket, body_text="WEB-WRITE").count()
        response = client.post(_url(page, ticket.number), data)
        written = Message.objects.filter(ticket=ticket, body_text="WEB-WRITE").count() - before
        allowed = expected(rule, persona, key) is Outcome.ALLOWED
        if written and not allowed:
            problems.append(f"{key}: {persona} wrote through {page} ({response.status_code})")
        if key not in VISIBLE[persona] and response.status_code not in {404, 302}:
            problems.append(f"{key}: hidden ticket answered {response.status_code}")
        if page == "ticket_note" and allowed and not written:
            problems.append(f"{key}: {persona} may add notes but the page did not")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", PERSONAS)
def test_fields_editor_writes_only_where_the_rules_allow(world: World, persona: str) -> None:
    """The in-place request type and fields editor: a write only where "change" is allowed."""
    from otklik.testing import factories
    from otklik.tickets.models import Ticket
    from tests.access.world import Outcome, expected

    new_type = factories.request_type(f"web-fields-{persona}")
    client = _client(world, persona)
    problems = []
    for key in TICKETS:
        ticket = world.tickets[key]
        response = client.post(f"/tickets/{ticket.number}/fields/", {"request_type": new_type.pk})
        written = Ticket.objects.get(pk=ticket.pk).request_type_id == new_type.pk
        allowed = expected("change", persona, key) is Outcome.ALLOWED
        if written and not allowed:
            problems.append(f"{key}: {persona} changed the request type ({response.status_code})")
        if key not in VISIBLE[persona] and response.status_code not in {404, 302}:
            problems.append(f"{key}: hidden ticket answered {response.status_code}")
        if allowed and not written:
            problems.append(f"{key}: {persona} may change the ticket but the editor did not")
    assert not problems, "\n".join(problems)
