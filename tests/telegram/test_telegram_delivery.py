"""Updates processed once, failures kept and reprocessed, flood control and outages in the outbox,
unknown people under both settings, linking by deep link and by contact, and group chats kept aside."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from otklik.accounts.models import User
from otklik.telegram import inbox, outbox
from otklik.telegram.groups import GROUP_NOT_SUPPORTED
from otklik.telegram.models import (
    Bot,
    InboundUpdate,
    OutboundMessage,
    OutboundStatus,
    TelegramAccount,
    UnknownUsers,
    UpdateStatus,
)
from otklik.telegram.people import link_token_create
from otklik.tickets.models import RequestType, Ticket
from tests.telegram.conftest import Chat
from tests.telegram.fakebot import FakeBotApi, TelegramPerson

pytestmark = pytest.mark.django_db


def _file_request(chat: Chat, laptop: RequestType) -> dict[str, Any]:
    chat.say("/start")
    chat.press(f"rt:{laptop.pk}")
    for step in ("fv:0",):
        chat.press(step)
    chat.say("1")
    chat.press("skip")
    chat.press("skip")
    chat.press("fv:0")
    chat.say("Subject")
    chat.press("skip")
    chat.press("done")
    return chat.person.press("send")


def test_a_duplicated_update_is_processed_once(chat_with: Callable[..., Chat], laptop: RequestType,
                                               api: FakeBotApi, bot: Bot) -> None:
    chat = chat_with()
    send = _file_request(chat, laptop)
    chat.deliver(send)
    answers_before = len(api.sent(777, "sendMessage"))
    again = chat.deliver(send)  # Telegram delivers the same update again (a retried webhook, a restart)
    assert again == []
    assert Ticket.objects.count() == 1
    assert InboundUpdate.objects.filter(update_id=send["update_id"]).count() == 1
    assert len(api.sent(777, "sendMessage")) == answers_before
    row, created = inbox.update_store(bot=bot, payload=send, now=timezone.now())
    assert not created and row.status == UpdateStatus.PROCESSED


def test_a_failed_update_is_kept_with_its_reason_and_can_be_reprocessed(
    chat_with: Callable[..., Chat], monkeypatch: pytest.MonkeyPatch, bot: Bot
) -> None:
    chat = chat_with()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("handler bug")

    monkeypatch.setattr("otklik.telegram.dispatch.handle_message", broken)
    chat.say("/start")
    row = chat.last_row
    assert row.status == UpdateStatus.FAILED and "handler bug" in row.reason
    assert row.payload["message"]["text"] == "/start"  # the raw update is kept
    assert not OutboundMessage.objects.exists()  # nothing half-done was queued
    monkeypatch.undo()
    call_command("telegram", "reprocess", "--failed")
    row.refresh_from_db()
    assert row.status == UpdateStatus.PROCESSED and row.reason == ""
    outbox.flush(now=timezone.now())
    assert "/new" in Chat.text_of(chat.new_answers())


def test_a_bot_api_outage_while_downloading_postpones_the_update(
    chat_with: Callable[..., Chat], laptop: RequestType, api: FakeBotApi
) -> None:
    chat = chat_with()
    chat.say("/start")
    chat.press(f"rt:{laptop.pk}")
    chat.press("fv:0")
    chat.say("1")
    chat.press("skip")
    chat.press("skip")
    chat.press("fv:0")
    chat.say("Subject")
    chat.press("skip")
    api.outage["getFile"] = 1
    chat.deliver(chat.person.document("a.pdf", b"%PDF"))
    assert chat.last_row.status == UpdateStatus.RECEIVED  # kept for a retry, not failed
    inbox.process_pending(now=timezone.now())
    chat.last_row.refresh_from_db()
    assert chat.last_row.status == UpdateStatus.PROCESSED


def test_flood_control_waits_retry_after_and_sends_once(bot: Bot, api: FakeBotApi) -> None:
    now = timezone.now()
    rows = [outbox.queue_text(bot=bot, chat_id=5, text=f"message {n}", now=now)[0] for n in range(3)]
    api.flood["sendMessage"] = 1
    api.retry_after = 7
    counts = outbox.flush(now=now)
    assert counts["sent"] == 0
    bot.refresh_from_db()
    assert bot.send_paused_until == now + timedelta(seconds=7)
    assert outbox.flush(now=now + timedelta(seconds=3))["sent"] == 0  # still paused: nothing is tried
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 0
    counts = outbox.flush(now=now + timedelta(seconds=8))
    assert counts["sent"] == 3
    assert api.texts(5) == ["message 0", "message 1", "message 2"]  # in order
    assert outbox.flush(now=now + timedelta(seconds=9))["sent"] == 0
    assert api.texts(5) == ["message 0", "message 1", "message 2"]  # never twice
    for row in rows:
        row.refresh_from_db()
        assert row.status == OutboundStatus.SENT and row.attempts == 1


def test_an_outage_backs_off_and_a_refusal_fails(bot: Bot, api: FakeBotApi) -> None:
    now = timezone.now()
    row = outbox.queue_text(bot=bot, chat_id=5, text="hello", now=now)[0]
    api.outage["sendMessage"] = 2
    outbox.flush(now=now)
    row.refresh_from_db()
    assert row.status == OutboundStatus.PENDING and row.next_attempt_at == now + timedelta(seconds=2)
    outbox.flush(now=now + timedelta(seconds=2))
    outbox.flush(now=now + timedelta(seconds=10))
    row.refresh_from_db()
    assert row.status == OutboundStatus.SENT and row.attempts == 3
    refused = outbox.queue_call(bot=bot, chat_id=0, method="sendMessage", params={"text": "x"}, now=now)
    assert refused is not None
    outbox.flush(now=now + timedelta(seconds=11))
    refused.refresh_from_db()
    assert refused.status == OutboundStatus.FAILED and "chat not found" in refused.last_error


def test_unknown_people_are_refused_when_the_bot_says_so(chat_with: Callable[..., Chat], bot: Bot,
                                                         laptop: RequestType) -> None:
    bot.unknown_users = UnknownUsers.REFUSE
    bot.save()
    chat = chat_with()
    refused = chat.say("/start")
    assert "account on the service desk" in Chat.text_of(refused)
    assert refused[0].params["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert "account" in Chat.text_of(chat.say("/new"))
    chat.press(f"rt:{laptop.pk}")
    assert chat.last_row.outcome == "refused"
    assert not TelegramAccount.objects.exists()
    assert not User.objects.filter(email__endswith="telegram.invalid").exists()
    assert Ticket.objects.count() == 0


def test_unknown_people_get_a_requester_account_by_default(chat_with: Callable[..., Chat]) -> None:
    chat = chat_with(first_name="Пётр", language_code="ru")
    answer = chat.say("/start")
    assert "Здравствуйте, Пётр" in Chat.text_of(answer)
    account = TelegramAccount.objects.get()
    assert account.linked_by == "created" and account.user.is_requester and not account.user.has_usable_password()


def test_a_deep_link_token_links_once(chat_with: Callable[..., Chat], bot: Bot, people) -> None:
    bot.unknown_users = UnknownUsers.REFUSE
    bot.save()
    token = link_token_create(user=people.bob, now=timezone.now()).token
    chat = chat_with()
    linked = chat.say(f"/start {token}")
    assert "bob@a.example" in Chat.text_of(linked)
    assert TelegramAccount.objects.get(telegram_user_id=777).user == people.bob
    other = chat_with(person_id=888)
    assert "not valid" in Chat.text_of(other.say(f"/start {token}"))  # one-time
    assert not TelegramAccount.objects.filter(telegram_user_id=888).exists()


def test_a_shared_contact_links_by_phone(chat_with: Callable[..., Chat], bot: Bot, people) -> None:
    bot.unknown_users = UnknownUsers.REFUSE
    bot.save()
    people.carol.phone = "+7 (912) 345-67-89"
    people.carol.save()
    chat = chat_with()
    assert "No account" in Chat.text_of(chat.deliver(chat.person.contact("+79120000000")))
    assert "own contact" in Chat.text_of(chat.deliver(chat.person.contact("89123456789", user_id=1)))
    linked = chat.deliver(chat.person.contact("89123456789"))
    assert "carol@b.example" in Chat.text_of(linked)
    assert TelegramAccount.objects.get().user == people.carol


def test_updates_of_an_unbound_group_are_parked_for_the_binding(bot: Bot, api: FakeBotApi,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="otklik.telegram.groups")
    update = api.push({"message": {"message_id": 1, "date": 0, "text": "/ticket",
                                   "from": {"id": 5, "is_bot": False, "first_name": "A"},
                                   "chat": {"id": -100123, "type": "supergroup", "title": "IT help"}}})
    row = inbox.update_receive(bot=bot, payload=update, now=timezone.now())
    assert row.status == UpdateStatus.PROCESSED and row.outcome == GROUP_NOT_SUPPORTED
    assert "unbound group -100123 parked" in caplog.text
    assert row.payload["message"]["chat"]["title"] == "IT help"  # kept raw, reprocessed once bound
    # One notice to the group (tests/telegram/test_telegram_groups.py covers it), no account made.
    assert list(OutboundMessage.objects.values_list("chat_id", flat=True)) == [-100123]
    assert not TelegramAccount.objects.exists()


def test_the_environment_token_is_a_bot(settings, db: None) -> None:
    from otklik.telegram import bots

    settings.OTKLIK_TELEGRAM_TOKEN = "999:ENV"
    first = bots.configured_bots()
    assert [bot.token for bot in first] == ["999:ENV"]
    settings.OTKLIK_TELEGRAM_TOKEN = "999:NEW"
    assert [bot.token for bot in bots.configured_bots()] == ["999:NEW"]
    assert Bot.objects.count() == 1


def test_the_minutely_job_catches_up_with_updates_and_answers(bot: Bot, api: FakeBotApi) -> None:
    from otklik.telegram.tasks import telegram_minutely

    long_ago = timezone.now() - timedelta(minutes=5)
    row, _created = inbox.update_store(bot=bot, payload=TelegramPerson(api, 41).text("/start"), now=long_ago)
    fresh, _created = inbox.update_store(bot=bot, payload=TelegramPerson(api, 42).text("/start"),
                                         now=timezone.now())
    telegram_minutely.call_local()
    row.refresh_from_db()
    fresh.refresh_from_db()
    assert row.status == UpdateStatus.PROCESSED
    assert fresh.status == UpdateStatus.RECEIVED  # left to the job that stored it
    assert api.texts(41)


def test_the_news_feed_starts_when_the_first_person_links(chat_with: Callable[..., Chat], people) -> None:
    from otklik.notifications.models import OutboxCursor
    from otklik.tickets import services
    from otklik.tickets.models import TicketEvent

    services.ticket_create(actor=people.bob, requester=people.bob, subject="Old", body_text="x",
                           now=timezone.now())
    latest = TicketEvent.objects.order_by("-pk").first()
    assert latest is not None
    chat_with().say("/start")
    assert OutboxCursor.objects.get(consumer="telegram").position == latest.pk
