"""The admin screens of the Telegram channel: bots with hidden secrets, updates with a reprocess action."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otklik.telegram import inbox
from otklik.telegram.models import Bot, InboundUpdate, UpdateStatus
from tests.telegram.fakebot import FakeBotApi, TelegramPerson

pytestmark = pytest.mark.django_db


def test_bot_token_and_secret_are_never_shown_and_kept_when_left_empty(people, bot: Bot) -> None:
    bot.webhook_secret = "hook-secret-value"
    bot.save()
    client = Client()
    client.force_login(people.adam)
    url = reverse("admin:telegram_bot_change", args=[bot.pk])
    page = client.get(url).content.decode()
    assert bot.token not in page and "hook-secret-value" not in page
    response = client.post(url, {"name": "Renamed", "token": "", "api_url": bot.api_url, "is_active": "on",
                                 "unknown_users": "refuse", "conversation_idle_minutes": "30", "webhook_secret": ""})
    assert response.status_code == 302
    bot.refresh_from_db()
    assert (bot.name, bot.token, bot.webhook_secret, bot.unknown_users) == ("Renamed", "123:TEST",
                                                                          "hook-secret-value", "refuse")
    for model in ("bot", "inboundupdate", "outboundmessage", "telegramaccount"):
        assert client.get(reverse(f"admin:telegram_{model}_changelist")).status_code == 200


def test_the_admin_reprocesses_failed_updates(people, bot: Bot, api: FakeBotApi,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("otklik.telegram.dispatch.handle_message", lambda *a, **k: 1 / 0)
    row = inbox.update_receive(bot=bot, payload=TelegramPerson(api, 5).text("/start"), now=timezone.now())
    assert row.status == UpdateStatus.FAILED and "ZeroDivisionError" in row.reason
    monkeypatch.undo()
    client = Client()
    client.force_login(people.adam)
    response = client.post(reverse("admin:telegram_inboundupdate_changelist"),
                           {"action": "reprocess", "_selected_action": [row.pk]}, follow=True)
    assert "1 update processed" in response.content.decode()
    assert InboundUpdate.objects.get(pk=row.pk).status == UpdateStatus.PROCESSED


def test_binding_a_group_in_the_admin_processes_its_waiting_messages(people, bot: Bot, api: FakeBotApi) -> None:
    from otklik.chat import services as chat_services
    from otklik.chat.models import ChatMessage
    from otklik.telegram.models import GroupChat
    from tests.telegram.fakebot import GroupMember

    member = GroupMember(api, 31, group_id=-100777, title="Floor 2")
    inbox.update_receive(bot=bot, payload=member.text("Coffee machine leaks"), now=timezone.now())
    group = GroupChat.objects.get(telegram_chat_id=-100777)
    chat = chat_services.chat_create(actor=people.adam, name="Floor 2 chat", team=people.first_line,
                                     now=timezone.now())
    client = Client()
    client.force_login(people.adam)
    assert client.get(reverse("admin:telegram_groupchat_changelist")).status_code == 200
    response = client.post(reverse("admin:telegram_groupchat_change", args=[group.pk]),
                           {"bot": bot.pk, "telegram_chat_id": "-100777", "title": "Floor 2",
                            "support_chat": chat.pk}, follow=True)
    assert "1 waiting message was processed" in response.content.decode()
    group.refresh_from_db()
    assert group.support_chat == chat and group.bound_at is not None
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["Coffee machine leaks"]
