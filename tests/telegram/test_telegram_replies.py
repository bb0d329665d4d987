"""After the request: agents' public replies reach Telegram with files and a Reply button, notes never do;
the requester's answer joins the ticket (and wakes a waiting ticket); /my with close, reopen and rate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from otklik.notifications.models import NotificationPreference
from otklik.notifications.topics import REQUESTER_STATUS_CHANGED
from otklik.telegram import notify, outbox
from otklik.telegram.models import OutboundMessage, TelegramAccount
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Source, StatusKind, Ticket, TicketRating
from otklik.tickets.services import status_default
from tests.telegram.conftest import Chat
from tests.telegram.fakebot import Sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(people, chat_with: Callable[..., Chat]) -> Chat:
    TelegramAccount.objects.create(user=people.alice, telegram_user_id=777, linked_by="token",
                                   linked_at=timezone.now())
    chat = chat_with()
    chat.say("/start")  # remembers the chat and the bot
    return chat


def _ticket(people, subject: str = "VPN is down") -> Ticket:
    return services._ticket_create(actor=people.alice, requester=people.alice, subject=subject, body_text="Help",
                                  source=Source.WEB, team=people.first_line, now=timezone.now())


def _deliver_news(chat: Chat) -> list[Sent]:
    notify.notify_process(now=timezone.now())
    outbox.flush(now=timezone.now())
    return chat.new_answers()


def test_replies_both_ways_with_files_and_notes_stay_inside(linked: Chat, people) -> None:
    chat = linked
    ticket = _ticket(people)
    _deliver_news(chat)  # the "received" notice
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="INTERNAL-SECRET",
                             attachments=[InboundAttachment("internal.txt", b"secret")], now=timezone.now())
    services.ticket_reply(
        actor=people.fiona, ticket_id=ticket.pk, body_text="Please send a <screenshot>.",
        attachments=[InboundAttachment("howto.pdf", b"%PDF how to")],
        new_status=status_default(StatusKind.WAITING_CUSTOMER), now=timezone.now(),
    )
    news = _deliver_news(chat)
    everything = "\n".join(answer.text for answer in news)
    assert "INTERNAL-SECRET" not in everything
    assert all(answer.document is None or answer.document[0] != "internal.txt" for answer in news)
    reply_message = next(answer for answer in news if "screenshot" in answer.text)
    assert f"#{ticket.number}" in reply_message.text
    assert "&lt;screenshot&gt;" in reply_message.text
    assert ("Reply", f"r:{ticket.pk}") in reply_message.buttons
    documents = [answer.document for answer in news if answer.method == "sendDocument"]
    assert documents == [("howto.pdf", b"%PDF how to")]
    assert not any("INTERNAL-SECRET" in call.text for call in chat.api.calls)

    # The requester answers with a photo of the problem, as a reply to the bot's message.
    answer = chat.deliver(chat.person.document("screen.png", b"\x89PNG shot", caption="Here it is",
                                               reply_to=reply_message.message_id, mime="image/png"))
    assert f"#{ticket.number}" in Chat.text_of(answer)
    ticket.refresh_from_db()
    message = ticket.messages.filter(channel=Source.TELEGRAM, author=people.alice).last()
    assert message is not None and message.body_text == "Here it is" and not message.is_internal
    assert message.attachments.get().file.read() == b"\x89PNG shot"
    assert ticket.status.kind == StatusKind.OPEN  # the waiting ticket woke up, as after a portal reply

    # After the Reply button, a plain message joins the ticket too.
    chat.press(f"r:{ticket.pk}")
    chat.say("One more detail")
    assert ticket.messages.filter(body_text="One more detail", author=people.alice).exists()
    assert "/new" in Chat.text_of(chat.say("hello"))  # the reply mode ended with that message


def test_status_news_follow_the_notification_preferences(linked: Chat, people) -> None:
    chat = linked
    ticket = _ticket(people)
    _deliver_news(chat)
    NotificationPreference.objects.create(user=people.alice, topic=REQUESTER_STATUS_CHANGED, email=True, in_app=False)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=status_default(StatusKind.ON_HOLD),
                                  now=timezone.now())
    assert _deliver_news(chat) == []
    NotificationPreference.objects.filter(user=people.alice).update(in_app=True)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=status_default(StatusKind.OPEN),
                                  now=timezone.now())
    news = _deliver_news(chat)
    assert len(news) == 1 and f"#{ticket.number}" in news[0].text
    assert _deliver_news(chat) == []  # each event once


def test_my_requests_show_close_reopen_and_rate(linked: Chat, people) -> None:
    chat = linked
    mine = _ticket(people, "Printer jams")
    bobs = services.ticket_create(actor=people.carol, requester=people.carol, subject="Carol's secret",
                                  body_text="x", now=timezone.now())
    services.ticket_add_note(actor=people.adam, ticket_id=mine.pk, body_text="NOTE-XYZ", now=timezone.now())
    listing = Chat.text_of(chat.say("/my"))
    assert "Printer jams" in listing and "Carol's secret" not in listing
    shown = chat.press(f"t:{mine.pk}")
    assert "Help" in Chat.text_of(shown) and "NOTE-XYZ" not in Chat.text_of(shown)
    assert "Not found" in Chat.text_of(chat.press(f"t:{bobs.pk}"))  # crafted: someone else's ticket
    assert "Not found" in Chat.text_of(chat.press(f"c:{bobs.pk}"))
    assert "closed" in Chat.text_of(chat.press(f"c:{mine.pk}"))
    mine.refresh_from_db()
    assert mine.status.kind == StatusKind.CLOSED
    rate_buttons = [data for answer in chat.press(f"t:{mine.pk}") for _label, data in answer.buttons]
    assert f"rate:{mine.pk}:5" in rate_buttons and f"o:{mine.pk}" in rate_buttons
    assert "Thank you" in Chat.text_of(chat.press(f"rate:{mine.pk}:5"))
    assert TicketRating.objects.get(ticket=mine).score == 5
    assert "already been rated" in Chat.text_of(chat.press(f"rate:{mine.pk}:1"))
    assert "open again" in Chat.text_of(chat.press(f"o:{mine.pk}"))
    mine.refresh_from_db()
    assert mine.status.kind == StatusKind.OPEN


def test_long_texts_are_split_and_never_cut_an_entity() -> None:
    text = ("word &amp; " * 1000).strip()
    parts = outbox.split_text(text, limit=500)
    assert len(parts) > 1 and all(len(part) <= 500 for part in parts)
    assert " ".join(parts) == text


def test_sent_messages_remember_their_ticket_for_replies(linked: Chat, people) -> None:
    ticket = _ticket(people)
    news = _deliver_news(linked)
    assert f"#{ticket.number}" in Chat.text_of(news)  # a portal request is acknowledged in Telegram too
    row = OutboundMessage.objects.filter(ticket=ticket, method="sendMessage").first()
    assert row is not None and row.telegram_message_id == news[0].message_id


def test_a_request_made_in_telegram_is_not_acknowledged_twice(chat_with: Callable[..., Chat], people) -> None:
    TelegramAccount.objects.create(user=people.alice, telegram_user_id=777, linked_by="token",
                                   linked_at=timezone.now())
    chat = chat_with()
    chat.say("/start")
    services.ticket_create(actor=people.alice, requester=people.alice, subject="From the bot", body_text="x",
                           source=Source.TELEGRAM, now=timezone.now())
    assert _deliver_news(chat) == []
