"""Telegram groups as support chats, against the fake Bot API: a group message reaches the console, a console
answer reaches the group, duplicates are stored once, /ticket and /my, unbound groups and their parked updates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.models import User
from otklik.chat import selectors as chat_selectors
from otklik.chat import services as chat_services
from otklik.chat.models import ChatMessage, Conversation, Dialog, SupportChat
from otklik.telegram import groups, inbox, outbox
from otklik.telegram.models import Bot, GroupChat, InboundUpdate, TelegramAccount, UpdateStatus
from otklik.testing.personas import Personas
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import Source, Ticket
from tests.telegram.fakebot import FakeBotApi, GroupMember, Sent

pytestmark = pytest.mark.django_db

GROUP_ID = -100500


@pytest.fixture
def support_chat(people: Personas) -> SupportChat:
    return chat_services.chat_create(actor=people.adam, name="Office chat", team=people.first_line,
                                     now=timezone.now())


@pytest.fixture
def group(bot: Bot, support_chat: SupportChat) -> GroupChat:
    row = GroupChat.objects.create(bot=bot, telegram_chat_id=GROUP_ID, title="Office helpdesk",
                                   created_at=timezone.now())
    groups.group_bind(group=row, support_chat=support_chat, now=timezone.now())
    return row


class Group:
    """Delivers group members' updates like the runner does; reads what the bot said in the group."""

    def __init__(self, api: FakeBotApi, bot: Bot) -> None:
        self.api, self.bot = api, bot
        self.seen = 0

    def member(self, person_id: int, user: User | None = None, *, private_chat: bool = False) -> GroupMember:
        if user is not None:
            TelegramAccount.objects.create(user=user, telegram_user_id=person_id, linked_by="token",
                                           linked_at=timezone.now(), chat_id=person_id if private_chat else None,
                                           bot=self.bot if private_chat else None)
        return GroupMember(self.api, person_id, group_id=GROUP_ID, first_name=f"P{person_id}")

    def deliver(self, update: dict[str, Any], now: datetime | None = None) -> list[Sent]:
        moment = now or timezone.now()
        self.last_row: InboundUpdate = inbox.update_receive(bot=self.bot, payload=update, now=moment)
        outbox.flush(now=moment)
        return self.new_answers()

    def new_answers(self) -> list[Sent]:
        calls = [call for call in self.api.sent(GROUP_ID) if call.method == "sendMessage"]
        fresh, self.seen = calls[self.seen:], len(calls)
        return fresh


@pytest.fixture
def office(api: FakeBotApi, bot: Bot) -> Group:
    return Group(api, bot)


def _text(answers: list[Sent]) -> str:
    return "\n".join(answer.text for answer in answers)


def test_group_message_reaches_the_console_and_the_answer_reaches_the_group(
    people: Personas, office: Group, group: GroupChat, support_chat: SupportChat,
) -> None:
    alice = office.member(501, people.alice)
    start = timezone.now()
    update = alice.text("The printer on floor 3 is jammed", message_id=9701)
    assert office.deliver(update, now=start) == []  # nothing is said back to a plain question
    assert office.last_row.outcome == "chat_message"

    message = ChatMessage.objects.get(chat=support_chat)
    assert message.author == people.alice and not message.from_staff
    assert message.external_id == f"telegram-group:{group.pk}:{GROUP_ID}:9701"
    rows = chat_selectors.console_conversations(people.fiona, support_chat.pk)
    assert [row.conversation.requester for row in rows] == [people.alice]
    assert rows[0].waiting_since == start  # an open dialog, counted by the chat app

    conversation = Conversation.objects.get(chat=support_chat, requester=people.alice)
    chat_services.chat_message_post(chat=support_chat, author=people.fiona, conversation=conversation,
                                    text="INTERNAL: call facilities", is_internal=True, now=start)
    chat_services.chat_message_post(chat=support_chat, author=people.fiona, conversation=conversation,
                                    text="Open tray 2 & pull the sheet <gently>", now=start + timedelta(minutes=3))
    outbox.flush(now=timezone.now())
    answers = office.new_answers()
    assert len(answers) == 1
    assert "Open tray 2 &amp; pull the sheet &lt;gently&gt;" in answers[0].text
    assert "Fiona" in answers[0].text
    assert answers[0].params["reply_parameters"]["message_id"] == 9701
    assert not any("INTERNAL" in call.text for call in office.api.calls)
    dialog = Dialog.objects.get(conversation=conversation)
    assert dialog.answered_by == people.fiona and dialog.response_seconds == 180


def test_unknown_person_gets_an_account_that_never_receives_news_in_the_group(
    office: Group, group: GroupChat, support_chat: SupportChat,
) -> None:
    stranger = office.member(502)
    office.deliver(stranger.text("Hello, is anyone there?"))
    account = TelegramAccount.objects.get(telegram_user_id=502)
    assert account.user.email == "tg502@telegram.invalid"
    assert account.chat_id is None  # ticket news go to a private chat, never to the group
    assert ChatMessage.objects.get(chat=support_chat).author == account.user


def test_a_repeated_update_or_message_is_stored_once(
    people: Personas, office: Group, group: GroupChat, support_chat: SupportChat,
) -> None:
    alice = office.member(501, people.alice)
    update = alice.text("VPN drops every hour", message_id=9801)
    office.deliver(update)
    office.deliver(update)  # the same update again: the inbox answers from the stored row
    again = dict(update, update_id=update["update_id"] + 50)  # a new update id for the same Telegram message
    office.deliver(again)
    assert InboundUpdate.objects.filter(status=UpdateStatus.PROCESSED).count() == 2
    assert ChatMessage.objects.filter(chat=support_chat).count() == 1
    assert Dialog.objects.get().question_count == 1


def test_ticket_from_the_fourth_last_group_message(
    people: Personas, office: Group, group: GroupChat, support_chat: SupportChat,
) -> None:
    alice = office.member(501, people.alice)
    bob = office.member(503, people.bob)
    texts = ["Mail is slow", "Monitor flickers\nsince Monday", "Need a new mouse", "Printer again", "Wi-Fi ok now"]
    for number, text in enumerate(texts):
        office.deliver((alice if number % 2 else bob).text(text))
    fiona = office.member(504, people.fiona)
    listing = office.deliver(fiona.text("/ticket"))
    buttons = listing[-1].buttons
    assert len(buttons) == 5 and buttons[0][0].endswith("Wi-Fi ok now")  # newest first
    label, data = buttons[3]  # the 4th-last message
    assert label == "Alice: Monitor flickers"

    said = office.deliver(fiona.press(data))
    ticket = Ticket.objects.get()
    assert ticket.requester == people.alice and ticket.assignee == people.fiona
    assert ticket.team == people.first_line and ticket.source == Source.CHAT
    assert ticket.subject == "Monitor flickers"
    assert people.fiona in ticket.watchers.all()  # the desk's lead watches
    assert ChatMessage.objects.get(pk=int(data.split(":")[1])).ticket == ticket
    assert f"#{ticket.number}" in _text(said)
    assert office.last_row.outcome == "ticket_created" and office.last_row.ticket == ticket

    # The made message leaves the list; pressing the stale button again makes nothing new.
    assert len(office.deliver(fiona.text("/ticket"))[-1].buttons) == 4
    office.deliver(fiona.press(data))
    assert Ticket.objects.count() == 1 and office.last_row.outcome == "refused"


@pytest.mark.parametrize("persona", ["sam", "adam", "rita"])
def test_only_a_member_of_the_chat_and_its_team_makes_tickets(
    persona: str, people: Personas, office: Group, group: GroupChat,
) -> None:
    alice = office.member(501, people.alice)
    office.deliver(alice.text("Keyboard is broken"))
    message = ChatMessage.objects.get()
    outsider = office.member(505, getattr(people, persona))
    said = office.deliver(outsider.text("/ticket"))
    assert "Only a member of both this chat and its team" in _text(said)
    assert not any(answer.buttons for answer in said)
    office.deliver(outsider.press(f"gt:{message.pk}"))  # a crafted button
    assert office.last_row.outcome == "refused"
    assert not Ticket.objects.exists()


def test_an_unbound_group_is_told_once_and_its_messages_wait_for_the_binding(
    people: Personas, office: Group, bot: Bot, support_chat: SupportChat,
) -> None:
    alice = office.member(501, people.alice)
    first = office.deliver(alice.text("Anyone here?"))
    second = office.deliver(alice.text("Hello?"))
    assert len(first) == 1 and "not connected to a support chat" in first[0].text and str(GROUP_ID) in first[0].text
    assert second == []
    assert office.last_row.outcome == groups.GROUP_NOT_SUPPORTED
    assert not ChatMessage.objects.exists()
    group = GroupChat.objects.get(bot=bot, telegram_chat_id=GROUP_ID)
    assert group.title == "Office helpdesk" and group.support_chat is None

    assert groups.group_bind(group=group, support_chat=support_chat, now=timezone.now()) == 2
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["Anyone here?", "Hello?"]
    assert not InboundUpdate.objects.filter(outcome=groups.GROUP_NOT_SUPPORTED).exists()
    outbox.flush(now=timezone.now())
    assert office.new_answers() == []  # binding does not repeat the notice


def test_a_group_bound_to_another_chat_does_not_hear_this_chats_answers(
    people: Personas, office: Group, group: GroupChat, support_chat: SupportChat,
) -> None:
    alice = office.member(501, people.alice)
    office.deliver(alice.text("Printer jammed"))
    other = chat_services.chat_create(actor=people.adam, name="Other", team=people.first_line, now=timezone.now())
    groups.group_bind(group=group, support_chat=other, now=timezone.now())
    conversation = Conversation.objects.get(chat=support_chat)
    chat_services.chat_message_post(chat=support_chat, author=people.fiona, conversation=conversation,
                                    text="Answer for the old chat", now=timezone.now())
    outbox.flush(now=timezone.now())
    assert office.new_answers() == []


def test_staff_reply_in_the_group_answers_the_question_without_an_echo(
    people: Personas, office: Group, group: GroupChat, support_chat: SupportChat,
) -> None:
    alice = office.member(501, people.alice)
    office.deliver(alice.text("Where is the projector?", message_id=9901))
    fiona = office.member(504, people.fiona)
    office.deliver(fiona.text("Room 12, top shelf", reply_to=9901))
    assert office.last_row.outcome == "chat_answer"
    office.deliver(fiona.text("lunch anyone?"))  # staff talk that answers nobody is not recorded
    assert office.last_row.outcome == "group_staff_chatter"
    answer = ChatMessage.objects.get(from_staff=True)
    assert answer.author == people.fiona and answer.conversation.requester == people.alice
    assert Dialog.objects.get().answer_message == answer
    assert office.new_answers() == []  # already in the group: not sent back


def test_my_in_a_group_answers_privately_by_role(
    people: Personas, office: Group, group: GroupChat, api: FakeBotApi,
) -> None:
    now = timezone.now()
    ticket = ticket_services._ticket_create(actor=people.alice, requester=people.alice, subject="Laptop battery",
                                           body_text="Dies fast", source=Source.WEB, team=people.first_line, now=now)
    changes.ticket_assign(actor=people.fiona, ticket_id=ticket.pk, assignee=people.fiona, now=now)
    fiona = office.member(504, people.fiona, private_chat=True)
    said = office.deliver(fiona.text("/my"))
    assert "private message" in _text(said) and "Laptop battery" not in _text(said)
    private = [call.text for call in api.sent(504) if call.method == "sendMessage"]
    assert len(private) == 1
    assert "Doing (assigned to you)" in private[0] and f"#{ticket.number} Laptop battery" in private[0]

    alice = office.member(501, people.alice)  # no private chat with the bot yet
    said = office.deliver(alice.text("/my"))
    assert "open a private chat" in _text(said) and "Laptop battery" not in _text(said)
    assert office.last_row.outcome == "my_needs_private_chat"


def test_commands_for_other_bots_and_service_messages_are_ignored(
    people: Personas, office: Group, group: GroupChat,
) -> None:
    alice = office.member(501, people.alice)
    assert office.deliver(alice.text("/ticket@some_other_bot")) == []
    assert office.last_row.outcome == "ignored"
    assert not ChatMessage.objects.exists()


def test_group_answers_cost_a_fixed_number_of_queries(
    people: Personas, office: Group, group: GroupChat, support_chat: SupportChat,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    alice = office.member(501, people.alice)
    for count in (2, 20):
        for number in range(count):
            office.deliver(alice.text(f"question {count}-{number}"))
        fiona = office.member(600 + count, people.fiona if count == 2 else people.mia)
        with django_assert_max_num_queries(40):
            listing = office.deliver(fiona.text("/ticket"))
        assert len(listing[-1].buttons) == min(10, ChatMessage.objects.count())
