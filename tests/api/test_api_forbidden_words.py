"""The forbidden-words hold applies to API replies too (issue 11): staff replies are held (409 reply_held)
until `send_anyway`; a requester's reply is never held."""

from __future__ import annotations

from otklik.automation.models import ForbiddenWord
from otklik.testing import factories
from otklik.tickets.models import Message


def test_an_agents_api_reply_with_a_forbidden_word_is_held_until_confirmed(people, client_for, now):
    ForbiddenWord.objects.create(phrase="не наша проблема")
    ticket = factories.ticket(requester=people.alice, now=now, team=people.first_line, actor=people.fiona)
    client = client_for(people.fiona)
    url = f"/api/v1/tickets/{ticket.number}/replies/"
    text = "Это НЕ наша проблема, обратитесь к поставщику."

    held = client.post(url, {"body_text": text}, format="json")
    assert held.status_code == 409
    assert held.json()["error"]["code"] == "reply_held"
    assert not Message.objects.filter(ticket=ticket, author=people.fiona).exists()

    sent = client.post(url, {"body_text": text, "send_anyway": True}, format="json")
    assert sent.status_code == 201
    assert Message.objects.filter(ticket=ticket, author=people.fiona, body_text=text).exists()


def test_a_requesters_reply_is_never_held(people, client_for, now):
    ForbiddenWord.objects.create(phrase="не наша проблема")
    ticket = factories.ticket(requester=people.alice, now=now, team=people.first_line)
    response = client_for(people.alice).post(f"/api/v1/tickets/{ticket.number}/replies/",
                                             {"body_text": "Вы сказали: не наша проблема?"}, format="json")
    assert response.status_code == 201
