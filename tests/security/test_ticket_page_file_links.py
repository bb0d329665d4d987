"""The file links on ticket pages (`files/<token>/`) serve by the file's bytes, not by what the uploader claimed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otklik.testing import factories
from otklik.tickets import services
from otklik.tickets.inbound import InboundAttachment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _file(people, now, filename: str, content: bytes, content_type: str) -> str:
    ticket = factories.ticket(requester=people.alice, now=now)
    message = services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="see file", now=now,
                                    attachments=[InboundAttachment(filename, content, content_type)])
    return message.attachments.get().token


def test_html_claiming_to_be_an_image_is_only_ever_a_download(client, people, now):
    token = _file(people, now, "cat.png", b"<html><script>alert(1)</script></html>", "image/png")
    client.force_login(people.alice)
    response = client.get(reverse("attachment", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_real_image_opens_in_the_browser_only_when_asked_and_others_get_404(client, people, now):
    token = _file(people, now, "screen.png", PNG, "image/png")
    client.force_login(people.alice)
    response = client.get(reverse("attachment", args=[token]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")  # docs/security.md: inline only on ?inline=1
    response = client.get(reverse("attachment", args=[token]) + "?inline=1")
    assert response["Content-Disposition"].startswith("inline")
    client.force_login(people.carol)
    assert client.get(reverse("attachment", args=[token])).status_code == 404
