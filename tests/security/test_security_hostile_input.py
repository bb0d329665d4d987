"""Hostile input in every field a person can fill, rendered by every page that shows it.

Subjects, bodies (text and HTML), file names, custom field values, people's and organizations' names all
carry script payloads; no page, the Django admin included, may return them as active content.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from otklik.accounts.models import Organization
from otklik.core.errors import InvalidInput
from otklik.testing.personas import Personas
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment, InboundMessage
from otklik.tickets.models import Attachment, CustomField, Message, RequestType, Ticket
from tests.security.hostile import HTML_PAYLOAD, PAYLOADS, active_content

# Unescaped openings of the payloads; their escaped forms (&lt;img ...) are harmless text.
RAW_MARKERS = ('<script>alert("xss', "<script>alert('xss", "<img src=x onerror", "<svg onload", '<iframe src="https',
               "<body onload")


@pytest.fixture
def hostile(people: Personas, now: datetime) -> dict[str, object]:
    payload = " ".join(PAYLOADS)
    people.alice.first_name = PAYLOADS[0][:150]
    people.alice.last_name = PAYLOADS[1][:150]
    people.alice.save()
    people.fiona.last_name = PAYLOADS[2][:150]
    people.fiona.save()
    people.org_a.name = PAYLOADS[3][:200]
    people.org_a.save()
    people.first_line.name = PAYLOADS[5][:200]
    people.first_line.save()
    request_type = RequestType.objects.create(code="evil", name=PAYLOADS[6], description=payload)
    CustomField.objects.create(request_type=request_type, code="asset", label=PAYLOADS[1][:200])
    CustomField.objects.create(request_type=request_type, code="secret", label=PAYLOADS[0], internal_only=True)
    ticket = services._ticket_create(
        actor=people.alice, requester=people.alice, subject=payload, body_text=payload, body_html=HTML_PAYLOAD,
        request_type=request_type, fields={"asset": payload[:500]}, team=people.first_line, now=now,
        attachments=(
            InboundAttachment(PAYLOADS[1] + ".png", b"\x89PNG\r\n\x1a\nrest", "image/png"),
            InboundAttachment("../../../../etc/passwd", b"root:x:0:0", "text/plain"),
        ),
    )
    changes.ticket_set_fields(actor=None, ticket_id=ticket.pk, values={"secret": payload[:500]}, now=now)
    reply = services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text=payload, body_html=HTML_PAYLOAD,
                                  attachments=(InboundAttachment(PAYLOADS[0] + ".html", b"<script>x</script>",
                                                                 "text/html"),), now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text=payload, body_html=HTML_PAYLOAD,
                             now=now)
    return {"ticket": Ticket.objects.get(pk=ticket.pk), "reply": reply}


def _get(client: Client, url: str, *, allow_not_found: bool = False) -> str:
    response = client.get(url, follow=True)
    if allow_not_found and response.status_code == 404:
        return ""
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.content.decode()


def _pages(ticket: Ticket, reply: Message, persona: str) -> list[str]:
    names: list[tuple[str, list[object], str]] = [
        ("ticket", [ticket.number], ""), ("home", [], ""), ("portal_home", [], ""), ("search", [], "?q=xss"),
        ("security:overview", [], ""), ("profile", [], ""),
    ]
    urls = []
    for name, args, query in names:
        try:
            urls.append(reverse(name, args=args) + query)
        except NoReverseMatch:
            continue
    if persona == "adam":
        people_ids = [reply.author_id, ticket.requester_id]
        urls += [
            "/admin/", "/admin/tickets/ticket/", f"/admin/tickets/ticket/{ticket.pk}/change/",
            "/admin/tickets/message/", f"/admin/tickets/message/{reply.pk}/change/",
            "/admin/accounts/user/", *[f"/admin/accounts/user/{pk}/change/" for pk in people_ids],
            "/admin/accounts/organization/", "/admin/accounts/team/",
            "/admin/tickets/requesttype/", f"/admin/tickets/requesttype/{ticket.request_type_id}/change/",
            "/admin/audit/auditentry/",
        ]
    return urls


@pytest.mark.parametrize("persona", ["alice", "fiona", "adam"])
def test_no_page_turns_hostile_input_into_active_content(people: Personas, hostile: dict[str, object],
                                                          persona: str) -> None:
    client = Client()
    client.force_login(getattr(people, persona))
    ticket, reply = hostile["ticket"], hostile["reply"]
    assert isinstance(ticket, Ticket) and isinstance(reply, Message)
    problems = []
    pages = _pages(ticket, reply, persona)
    assert len(pages) >= 3
    for url in pages:
        # Agent-only pages answer a requester with 404, like a missing page.
        html = _get(client, url, allow_not_found=persona == "alice")
        problems += [f"{url}: {problem}" for problem in active_content(html)]
        problems += [f"{url}: raw payload {marker!r}" for marker in RAW_MARKERS if marker in html]
    assert not problems, "\n".join(problems)


def test_stored_html_is_sanitised_and_text_kept_verbatim(people: Personas, hostile: dict[str, object]) -> None:
    ticket = hostile["ticket"]
    assert isinstance(ticket, Ticket)
    for message in ticket.messages.all():
        assert not active_content(message.body_html), message.body_html
        assert "<b>there</b>" in message.body_html  # formatting survives
        assert message.body_text.startswith(PAYLOADS[0])  # the raw input is kept, only never rendered raw


def test_safe_html_filter_cleans_again_at_render_time() -> None:
    from django.template import Context, Template

    rendered = Template("{% load otklik_security %}{{ body|safe_html }}").render(Context({"body": HTML_PAYLOAD}))
    assert not active_content(rendered)
    assert "<b>there</b>" in rendered


def test_path_traversal_file_names_are_flattened_and_stored_by_token(hostile: dict[str, object]) -> None:
    ticket = hostile["ticket"]
    assert isinstance(ticket, Ticket)
    names = set(Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True))
    assert "passwd" in names
    media = Path(settings.MEDIA_ROOT).resolve()
    for attachment in Attachment.objects.filter(ticket=ticket):
        stored = Path(attachment.file.path).resolve()
        assert stored.is_relative_to(media)
        assert stored.name == attachment.token  # the name on disk is never the uploader's
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert not attachment.filename.startswith(".")


@pytest.mark.parametrize("name", ["..\\..\\boot.ini", "/etc/shadow", "....//....//x", "\x00evil\x1f.txt", ".htaccess",
                                  "a/../../b.txt", "", "   "])
def test_hostile_file_names_through_every_channel(people: Personas, now: datetime, name: str) -> None:
    result = services.ticket_ingest(
        inbound=InboundMessage(sender_email="stranger@c.example", channel="email", subject="files",
                               body_text="see attached", attachments=(InboundAttachment(name, b"data"),)),
        now=now,
    )
    stored = Attachment.objects.get(ticket=result.ticket)
    assert stored.filename
    assert not any(part in stored.filename for part in ("/", "\\", "\x00", ".."))
    assert Path(stored.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())


def test_oversized_uploads_are_refused_and_leave_nothing(people: Personas, now: datetime, settings: object) -> None:
    settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = 1000  # type: ignore[attr-defined]
    settings.OTKLIK_MAX_UPLOAD_BYTES = 5000  # type: ignore[attr-defined]
    before = (Ticket.objects.count(), Message.objects.count(), Attachment.objects.count())
    with pytest.raises(InvalidInput):
        services.ticket_create(actor=people.alice, requester=people.alice, subject="big", now=now,
                               attachments=(InboundAttachment("big.bin", b"x" * 1001),))
    assert (Ticket.objects.count(), Message.objects.count(), Attachment.objects.count()) == before
    ticket = services.ticket_create(actor=people.alice, requester=people.alice, subject="small", now=now)
    # Staff have the higher limit, requesters the lower one, on the same ticket.
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="log", now=now,
                          attachments=(InboundAttachment("log.txt", b"x" * 4000),))
    with pytest.raises(InvalidInput):
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="log", now=now,
                              attachments=(InboundAttachment("log.txt", b"x" * 4000),))
    with pytest.raises(InvalidInput):
        services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="big", now=now,
                                 attachments=(InboundAttachment("huge.txt", b"x" * 5001),))
    assert Attachment.objects.filter(ticket=ticket).count() == 1


def test_organization_names_with_markup_stay_text_in_the_admin(people: Personas) -> None:
    Organization.objects.create(name='<img src=x onerror=alert("xss-org")>')
    client = Client()
    client.force_login(people.adam)
    html = _get(client, "/admin/accounts/organization/")
    assert not active_content(html)
