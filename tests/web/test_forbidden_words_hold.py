"""An agent's public reply with a forbidden word is held with a warning, keeps its text, and goes out
only when the agent confirms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otklik.automation.models import ForbiddenWord
from otklik.testing import factories
from otklik.tickets.models import Message

pytestmark = pytest.mark.django_db


def test_reply_with_forbidden_word_is_held_then_sent_when_confirmed(client, people, now):
    ForbiddenWord.objects.create(phrase="не наша проблема")
    ticket = factories.ticket(requester=people.alice, now=now, team=people.first_line, actor=people.fiona)
    client.force_login(people.fiona)
    url = reverse("ticket_reply", args=[ticket.number])
    text = "Это НЕ наша проблема, обратитесь к поставщику."

    held = client.post(url, {"body": text})
    assert held.status_code == 200
    page = held.content.decode()
    assert 'id="reply-held"' in page and "не наша проблема" in page.lower()
    assert text in page  # the draft is not lost
    assert not Message.objects.filter(ticket=ticket, author=people.fiona).exists()

    sent = client.post(url, {"body": text, "send_anyway": "1"})
    assert sent.status_code == 302
    assert Message.objects.filter(ticket=ticket, author=people.fiona, body_text=text, is_internal=False).exists()

    clean = client.post(url, {"body": "Проверим и вернёмся с ответом."})
    assert clean.status_code == 302
    assert Message.objects.filter(ticket=ticket, author=people.fiona).count() == 2
