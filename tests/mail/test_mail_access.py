"""Who may see the original message and inline images of a mailed ticket: absent and forbidden are both 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from otklik.accounts.models import User
from otklik.testing.personas import PASSWORD
from tests.mail.mailtools import build_mail

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def mailed(mailbox, deliver):
    html = '<p>See the error:</p><img src="cid:shot@a.example">'
    raw = build_mail(html=html, attachments=[("shot.png", PNG, "image/png")])
    # Give the image a Content-ID, the way mail clients send inline pictures.
    raw = raw.replace(b'Content-Disposition: attachment; filename="shot.png"',
                      b'Content-Disposition: inline; filename="shot.png"\nContent-ID: <shot@a.example>')
    return deliver(raw, mailbox=mailbox)


def _get(client: Client, user: User | None, url: str) -> Any:
    client.logout()
    if user is not None:
        assert client.login(email=user.email, password=PASSWORD)
    return client.get(url)


def test_mail_inline_image_is_shown_in_the_body_and_served_under_ticket_access(mailed, client, people):
    url = reverse("mail:inline", args=[mailed.pk, 0])
    # The body asks for the image inline; the one download response decides by the bytes.
    assert f'src="{url}?inline=1"' in mailed.ticket_message.body_html

    allowed = {name: _get(client, user, url).status_code for name, user in people.all_users().items()}

    # Alice asked; Bob shares nothing with her by default; Carol is another org; Sam is second line.
    assert allowed == {"alice": 200, "bob": 404, "carol": 404, "fiona": 200, "sam": 404, "mia": 200,
                       "rita": 200, "adam": 200}
    response = _get(client, people.alice, url + "?inline=1")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_mail_original_message_is_for_staff_who_see_the_ticket(mailed, client, people):
    url = reverse("mail:original", args=[mailed.pk])

    allowed = {name: _get(client, user, url).status_code for name, user in people.all_users().items()}

    assert allowed == {"alice": 404, "bob": 404, "carol": 404, "fiona": 200, "sam": 404, "mia": 200,
                       "rita": 200, "adam": 200}
    response = _get(client, people.fiona, url)
    assert b"".join(response) == bytes(mailed.raw)
    assert response["Content-Disposition"].startswith("attachment;")


def test_mail_unknown_message_and_anonymous_visitors(mailed, client, people):
    assert _get(client, people.adam, reverse("mail:original", args=[mailed.pk + 100])).status_code == 404
    assert _get(client, None, reverse("mail:original", args=[mailed.pk])).status_code == 302
