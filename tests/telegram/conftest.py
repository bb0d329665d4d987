from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from otklik.telegram import inbox, outbox
from otklik.telegram.models import Bot, InboundUpdate
from otklik.testing.personas import Personas
from otklik.tickets.models import CustomField, FieldKind, RequestType
from tests.access.world import World, build_world
from tests.telegram.fakebot import FakeBotApi, Sent, TelegramPerson, fake_bot_api


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


@pytest.fixture
def bot(db: None, api: FakeBotApi) -> Bot:
    return Bot.objects.create(name="Desk", token="123:TEST", api_url=api.url, username=api.username)


@pytest.fixture
def laptop(db: None) -> RequestType:
    request_type = RequestType.objects.create(code="laptop", name="New laptop", group="Hardware")
    CustomField.objects.create(request_type=request_type, code="model", label="Model", kind=FieldKind.CHOICE,
                               choices=["Dell", "HP"], required=True, order=1)
    CustomField.objects.create(request_type=request_type, code="count", label="How many", kind=FieldKind.NUMBER,
                               required=True, order=2)
    CustomField.objects.create(request_type=request_type, code="needed_by", label="Needed by", kind=FieldKind.DATE,
                               order=3)
    CustomField.objects.create(request_type=request_type, code="room", label="Room", kind=FieldKind.TEXT, order=4)
    CustomField.objects.create(request_type=request_type, code="urgent", label="Urgent?", kind=FieldKind.CHOICE,
                               choices=["Yes", "No"], required=True, order=5)
    CustomField.objects.create(request_type=request_type, code="cost_center", label="Cost center",
                               kind=FieldKind.TEXT, internal_only=True, order=6)
    return request_type


class Chat:
    """Delivers a person's updates to the bot the way the runner does, and returns the bot's new answers."""

    def __init__(self, api: FakeBotApi, bot: Bot, person: TelegramPerson) -> None:
        self.api, self.bot, self.person = api, bot, person
        self.seen = 0
        self.now: datetime | None = None

    def deliver(self, update: dict[str, Any]) -> list[Sent]:
        now = self.now or timezone.now()
        self.last_row: InboundUpdate = inbox.update_receive(bot=self.bot, payload=update, now=now)
        outbox.flush(now=now)
        return self.new_answers()

    def new_answers(self) -> list[Sent]:
        calls = [call for call in self.api.sent(self.person.id) if call.method in {"sendMessage", "sendDocument"}]
        fresh, self.seen = calls[self.seen:], len(calls)
        return fresh

    def say(self, text: str, **kwargs: Any) -> list[Sent]:
        return self.deliver(self.person.text(text, **kwargs))

    def press(self, data: str) -> list[Sent]:
        return self.deliver(self.person.press(data))

    @staticmethod
    def text_of(answers: list[Sent]) -> str:
        return "\n".join(answer.text for answer in answers)


@pytest.fixture
def chat_with(api: FakeBotApi, bot: Bot) -> Callable[..., Chat]:
    def _make(person_id: int = 777, **kwargs: Any) -> Chat:
        return Chat(api, bot, TelegramPerson(api, person_id, **kwargs))

    return _make


@pytest.fixture
def world(people: Personas, now: datetime) -> World:
    """The access matrix's shared scene (tests/access/world.py)."""
    return build_world(people, now)
