"""Agent replies: Markdown (previewed, sanitised wherever shown), Cc on the reply mail, the signature."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from otklik.accounts.models import User
from otklik.accounts.services import user_set_signature
from otklik.core.errors import InvalidInput
from otklik.mail.models import OutboundMail
from otklik.mail.outbound import reply_mail_from_event
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import services
from otklik.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

HOSTILE = "**Restart** it\nthen <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"


@pytest.fixture
def ticket(people: Personas, now: datetime) -> Ticket:
    return factories.ticket(requester=people.alice, subject="Printer", now=now)


def _reply(client: Client, ticket: Ticket, **data: object) -> object:
    page = client.get(reverse("ticket", args=[ticket.number]))
    token = page.context["form_token"]
    return client.post(reverse("ticket_reply", args=[ticket.number]), {"form_token": token, **data})


def test_markdown_reply_is_rendered_and_sanitised_everywhere(
    people: Personas, ticket: Ticket, client_for: Callable[[User], Client],
) -> None:
    fiona = client_for(people.fiona)
    _reply(fiona, ticket, body=HOSTILE)
    message = Message.objects.filter(ticket=ticket, author=people.fiona).get()
    assert message.markdown and message.body_text.startswith("**Restart** it")  # the API gives the text
    for page in (fiona.get(reverse("ticket", args=[ticket.number])).content.decode(),
                 client_for(people.alice).get(reverse("ticket", args=[ticket.number])).content.decode()):
        assert "<strong>Restart</strong> it<br>" in page
        assert "<script>alert(1)" not in page and 'href="javascript' not in page and "<img src=x" not in page
    mail = reply_mail_from_event(ticket=ticket, message_id=message.pk, now=message.created_at)
    assert mail is not None and "<strong>Restart</strong>" in mail.body_html
    assert "<script>alert" not in mail.body_html and "<img src=x" not in mail.body_html
    assert 'href="javascript' not in mail.body_html
    assert "**Restart**" in mail.body_text


def test_preview_renders_like_the_sent_reply(people: Personas, client_for: Callable[[User], Client]) -> None:
    response = client_for(people.fiona).post(reverse("reply_preview"), {"body": HOSTILE})
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>Restart</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html and "<img" not in html
    empty = client_for(people.fiona).post(reverse("reply_preview"), {"body": ""})
    assert "Nothing to preview" in empty.content.decode()
    assert client_for(people.alice).post(reverse("reply_preview"), {"body": "x"}).status_code == 404
    assert client_for(people.fiona).get(reverse("reply_preview")).status_code == 405


def test_cc_is_validated_stored_shown_and_mailed(
    people: Personas, ticket: Ticket, client_for: Callable[[User], Client],
) -> None:
    fiona = client_for(people.fiona)
    _reply(fiona, ticket, body="See you", cc="not-an-address, boss@a.example")
    assert not Message.objects.filter(ticket=ticket, author=people.fiona).exists()
    _reply(fiona, ticket, body="See you", cc="Boss@a.example; it@b.example, boss@a.example")
    message = Message.objects.get(ticket=ticket, author=people.fiona)
    assert message.cc == ["boss@a.example", "it@b.example"]
    assert "boss@a.example, it@b.example" in fiona.get(reverse("ticket", args=[ticket.number])).content.decode()
    assert "it@b.example" not in client_for(people.alice).get(reverse("ticket", args=[ticket.number])).content.decode()
    mail = OutboundMail.objects.filter(ticket_id=ticket.pk, reply_message_id=message.pk).get()
    assert mail.to == ["alice@a.example"] and mail.cc == ["boss@a.example", "it@b.example"]
    with pytest.raises(InvalidInput):
        services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="x", cc=["a@b.c", "nope"],
                              now=message.created_at)


def test_signature_is_shown_before_sending_and_added_to_public_replies_only(
    people: Personas, ticket: Ticket, client_for: Callable[[User], Client],
) -> None:
    fiona = client_for(people.fiona)
    assert "data-signature-missing" in fiona.get(reverse("ticket", args=[ticket.number])).content.decode()
    response = fiona.post(reverse("profile"), {"first_name": "Fiona", "signature": "Fiona, first line\n+7 495 000"})
    assert response.status_code == 302
    people.fiona.refresh_from_db()
    assert people.fiona.signature == "Fiona, first line\n+7 495 000"
    page = fiona.get(reverse("ticket", args=[ticket.number])).content.decode()
    assert "data-signature" in page and "Fiona, first line" in page
    _reply(fiona, ticket, body="Done.")
    reply = Message.objects.get(ticket=ticket, author=people.fiona, is_internal=False)
    assert reply.body_text == "Done.\n\n-- \nFiona, first line\n+7 495 000"
    page = fiona.get(reverse("ticket", args=[ticket.number])).content.decode()
    fiona.post(reverse("ticket_note", args=[ticket.number]),
               {"form_token": fiona.get(reverse("ticket", args=[ticket.number])).context["form_token"],
                "body": "Internal"})
    note = Message.objects.get(ticket=ticket, is_internal=True)
    assert note.body_text == "Internal"
    with pytest.raises(InvalidInput):
        user_set_signature(user=people.alice, signature="Alice")
    assert "signature" not in client_for(people.alice).get(reverse("profile")).context["form"].fields
