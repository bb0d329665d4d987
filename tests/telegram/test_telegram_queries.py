"""A query per list: /my and a ticket's last messages cost the same for 2 rows as for 20."""

from __future__ import annotations

import pytest
from django.utils import timezone

from otklik.telegram import inbox
from otklik.telegram.models import Bot, TelegramAccount
from otklik.testing.queries import count_queries
from otklik.tickets import services
from tests.telegram.fakebot import FakeBotApi, TelegramPerson

pytestmark = pytest.mark.django_db


def _my_cost(bot: Bot, api: FakeBotApi, people, rows: int, person_id: int) -> int:
    user = people.alice if person_id == 1 else people.bob
    TelegramAccount.objects.create(user=user, telegram_user_id=person_id, linked_by="token", linked_at=timezone.now())
    ticket = None
    for n in range(rows):
        ticket = services.ticket_create(actor=user, requester=user, subject=f"Request {n}", body_text="b",
                                        now=timezone.now())
    assert ticket is not None
    for n in range(rows):
        services.ticket_reply(actor=user, ticket_id=ticket.pk, body_text=f"more {n}", now=timezone.now())
    person = TelegramPerson(api, person_id)
    inbox.update_receive(bot=bot, payload=person.text("/start"), now=timezone.now())  # first contact: conversation
    listing = count_queries(lambda: inbox.update_receive(bot=bot, payload=person.text("/my"), now=timezone.now()))
    shown = count_queries(lambda: inbox.update_receive(bot=bot, payload=person.press(f"t:{ticket.pk}"),
                                                       now=timezone.now()))
    return listing + 1000 * shown


def test_my_requests_and_a_ticket_cost_the_same_for_2_and_20_rows(bot: Bot, api: FakeBotApi, people) -> None:
    people.org_a.shares_tickets = False
    people.org_a.save()
    assert _my_cost(bot, api, people, 2, 1) == _my_cost(bot, api, people, 20, 2)
