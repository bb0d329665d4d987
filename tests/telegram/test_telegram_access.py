"""Channel: Telegram. The access matrix rows for the bot, its webhook route and the portal link page."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otklik.telegram import inbox, outbox
from otklik.telegram.models import Bot, InboundUpdate, LinkToken, TelegramAccount, UpdateStatus
from tests.access.world import HANDLED, PERSONAS, TICKETS, VISIBLE, World, internal_marker, public_marker
from tests.telegram.fakebot import FakeBotApi, TelegramPerson

pytestmark = pytest.mark.django_db

UPDATE = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/start",
                                      "from": {"id": 31, "is_bot": False, "first_name": "W"},
                                      "chat": {"id": 31, "type": "private"}}}


def _post(client: Client, bot: Bot, secret: str | None, payload: object = UPDATE) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    response = client.post(reverse("telegram:webhook", args=[bot.pk]), data=json.dumps(payload),
                           content_type="application/json", headers=headers)
    return response.status_code


@pytest.mark.parametrize("persona", [None, *PERSONAS])
def test_the_webhook_takes_updates_only_with_the_bot_secret(world: World, bot: Bot, persona: str | None) -> None:
    bot.webhook_secret = "s3cret-token"
    bot.save()
    client = Client()
    if persona:
        client.force_login(world.user(persona))  # being signed in to the desk grants nothing here
    assert _post(client, bot, None) == 403
    assert _post(client, bot, "wrong") == 403
    assert client.get(reverse("telegram:webhook", args=[bot.pk])).status_code == 405
    assert not InboundUpdate.objects.exists()
    other = Bot.objects.create(name="No webhook", token="1:NOHOOK")
    assert _post(client, other, "") == 403  # a bot without a secret takes no webhook at all
    assert Client().post(reverse("telegram:webhook", args=[999999]), data="{}", content_type="application/json",
                         headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}).status_code == 403


def test_the_webhook_stores_the_raw_update_then_processes_it(bot: Bot, api: FakeBotApi,
                                                             django_capture_on_commit_callbacks) -> None:
    bot.webhook_secret = "s3cret-token"
    bot.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(Client(), bot, "s3cret-token") == 200
    row = InboundUpdate.objects.get()
    assert row.payload == UPDATE and row.status == UpdateStatus.PROCESSED
    assert _post(Client(), bot, "s3cret-token") == 200  # Telegram retries: still one row
    assert InboundUpdate.objects.count() == 1
    assert _post(Client(), bot, "s3cret-token", payload={"no": "update"}) == 400
    outbox.flush(now=timezone.now())
    assert api.texts(31)


def test_the_link_page_needs_a_signed_in_person(db: None) -> None:
    response = Client().get(reverse("telegram:link"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert Client().post(reverse("telegram:link")).status_code == 302
    assert not LinkToken.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_link_page_makes_a_token_for_the_viewer_only(world: World, bot: Bot, persona: str) -> None:
    TelegramAccount.objects.create(user=world.user("carol"), telegram_user_id=555, username="carol_tg",
                                   linked_by="token", linked_at=timezone.now())
    client = Client()
    client.force_login(world.user(persona))
    page = client.get(reverse("telegram:link"))
    assert page.status_code == 200
    assert ("carol_tg" in page.content.decode()) is (persona == "carol")
    made = client.post(reverse("telegram:link"))
    token = LinkToken.objects.get()
    assert token.user == world.user(persona)
    assert f"https://t.me/{bot.username}?start={token.token}" in made.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_bot_shows_a_persona_exactly_what_they_may_see(world: World, bot: Bot, api: FakeBotApi,
                                                           persona: str) -> None:
    user = world.user(persona)
    TelegramAccount.objects.create(user=user, telegram_user_id=700, linked_by="token", linked_at=timezone.now())
    person = TelegramPerson(api, 700)
    now = timezone.now()
    inbox.update_receive(bot=bot, payload=person.text("/my"), now=now)
    for key in TICKETS:
        inbox.update_receive(bot=bot, payload=person.press(f"t:{world.tickets[key].pk}"), now=now)
    outbox.flush(now=now)
    said = "\n".join(api.texts(700))
    problems = []
    for key in TICKETS:
        shown = public_marker(key) in said
        if shown is not (key in VISIBLE[persona]):
            problems.append(f"{key}: shown={shown}")
        if internal_marker(key) in said:
            problems.append(f"{key}: internal note left through Telegram (handled={key in HANDLED[persona]})")
    assert not problems, "\n".join(problems)
