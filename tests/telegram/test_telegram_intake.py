"""The guided intake `/new`, driven through stored updates and a real HTTP fake of the Bot API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.telegram.models import Conversation, InboundUpdate, TelegramAccount, UpdateStatus
from otklik.tickets.models import RequestType, Source, SubmitRule, Ticket
from tests.telegram.conftest import Chat
from tests.telegram.fakebot import Sent

pytestmark = pytest.mark.django_db


def _button(answers: list[Sent], text: str) -> str:
    for answer in answers:
        for label, data in answer.buttons:
            if label == text:
                return str(data)
    raise AssertionError(f"no button {text!r} in {[a.buttons for a in answers]}")


def test_a_new_person_files_a_request_with_every_field_filled(chat_with: Callable[..., Chat],
                                                              laptop: RequestType) -> None:
    chat = chat_with()
    greeting = chat.say("/start")
    assert "/new" in Chat.text_of(greeting)
    account = TelegramAccount.objects.get(telegram_user_id=777)
    assert account.user.first_name == "Ivan" and account.user.is_requester

    services = chat.say("/new")
    assert "Choose a service" in Chat.text_of(services)
    model_question = chat.press(_button(services, "New laptop"))
    assert "Model" in Chat.text_of(model_question)
    assert [label for label, _data in model_question[-1].buttons][:2] == ["Dell", "HP"]
    count_question = chat.press(_button(model_question, "HP"))
    assert "How many" in Chat.text_of(count_question)
    assert "Enter a number" in Chat.text_of(chat.say("two"))  # a bad answer: asked again
    date_question = chat.say("2")
    assert "Needed by" in Chat.text_of(date_question)
    assert "YYYY-MM-DD" in Chat.text_of(chat.say("31/12"))
    room_question = chat.say("31.12.2026")
    assert "Room" in Chat.text_of(room_question)
    urgent_question = chat.press(_button(room_question, "Skip"))
    assert "Cost center" not in Chat.text_of(urgent_question)  # internal-only fields are never asked
    subject_question = chat.press(_button(urgent_question, "Yes"))
    assert "Subject" in Chat.text_of(subject_question)
    assert "Describe" in Chat.text_of(chat.say("Laptop for <b>new</b> hire"))
    assert "Attach" in Chat.text_of(chat.say("Anna starts on Monday & needs it."))
    added = chat.deliver(chat.person.document("offer.pdf", b"%PDF-1.4 offer"))
    assert "offer.pdf" in Chat.text_of(added)
    summary = chat.press("done")
    summary_text = Chat.text_of(summary)
    assert "Model: HP" in summary_text and "How many: 2" in summary_text
    assert "&lt;b&gt;new&lt;/b&gt;" in summary_text  # user text is escaped in HTML mode
    assert Ticket.objects.count() == 0
    created = chat.press(_button(summary, "Send"))

    ticket = Ticket.objects.get()
    assert f"#{ticket.number}" in Chat.text_of(created)
    assert ticket.source == Source.TELEGRAM
    assert ticket.request_type == laptop
    assert ticket.fields == {"model": "HP", "count": "2", "needed_by": "2026-12-31", "urgent": "Yes"}
    assert ticket.subject == "Laptop for <b>new</b> hire"
    assert ticket.requester == account.user
    message = ticket.messages.get()
    assert message.body_text == "Anna starts on Monday & needs it." and message.channel == Source.TELEGRAM
    attachment = message.attachments.get()
    assert attachment.filename == "offer.pdf" and attachment.file.read() == b"%PDF-1.4 offer"
    assert Conversation.objects.get(chat_id=777).state == ""
    assert InboundUpdate.objects.filter(status=UpdateStatus.PROCESSED).count() == InboundUpdate.objects.count()


def test_edit_from_the_summary_and_cancel(chat_with: Callable[..., Chat], laptop: RequestType) -> None:
    chat = chat_with()
    chat.say("/start")
    chat.press(f"rt:{laptop.pk}")
    chat.press("fv:0")
    chat.say("1")
    chat.press("skip")
    chat.press("skip")
    chat.press("fv:1")
    chat.say("Old subject")
    chat.press("skip")
    summary = chat.press("done")
    assert "Old subject" in Chat.text_of(summary)
    menu = chat.press("edit")
    subject_again = chat.press(_button(menu, "Subject"))
    assert "Subject" in Chat.text_of(subject_again)
    back = chat.say("New subject")
    assert "New subject" in Chat.text_of(back) and "Send" in [label for a in back for label, _d in a.buttons]
    model_again = chat.press("ed:f0")
    assert "Model" in Chat.text_of(model_again)
    summary = chat.press("fv:1")
    assert "Model: HP" in Chat.text_of(summary)
    assert "Cancelled" in Chat.text_of(chat.press("cancel"))
    assert "already sent or cancelled" in Chat.text_of(chat.press("send"))
    assert Ticket.objects.count() == 0


def test_a_started_request_expires_after_the_idle_time(chat_with: Callable[..., Chat], laptop: RequestType) -> None:
    chat = chat_with()
    chat.now = timezone.now()
    chat.say("/start")
    chat.press(f"rt:{laptop.pk}")
    chat.now += timedelta(minutes=61)
    assert "expired" in Chat.text_of(chat.press("fv:0"))
    assert Conversation.objects.get().state == ""
    assert "/new" in Chat.text_of(chat.say("2"))
    assert Ticket.objects.count() == 0


def test_the_submit_rule_hides_and_refuses_a_forbidden_service(
    chat_with: Callable[..., Chat], laptop: RequestType, people
) -> None:
    staff_only = RequestType.objects.create(code="servers", name="Server access", submit_rule=SubmitRule.STAFF)
    org_b_only = RequestType.objects.create(code="b-only", name="Org B service", submit_rule=SubmitRule.ORGANIZATIONS)
    org_b_only.allowed_organizations.add(people.org_b)
    TelegramAccount.objects.create(user=people.alice, telegram_user_id=777, linked_by="token",
                                   linked_at=timezone.now())
    chat = chat_with()
    offered = chat.say("/new")
    labels = [label for answer in offered for label, _data in answer.buttons]
    assert "New laptop" in labels
    assert "Server access" not in labels and "Org B service" not in labels
    for forbidden in (staff_only, org_b_only):
        refused = chat.press(f"rt:{forbidden.pk}")  # crafted callback data
        assert "may not submit" in Chat.text_of(refused)
        assert chat.last_row.outcome == "refused"
    assert "may not submit" in Chat.text_of(chat.press("rt:999999"))
    assert Conversation.objects.get().data.get("rt") is None
    assert Ticket.objects.count() == 0


def test_files_over_the_limits_are_refused_with_a_clear_message(
    chat_with: Callable[..., Chat], laptop: RequestType, settings
) -> None:
    settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = 10
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
    refused = chat.deliver(chat.person.document("big.pdf", b"x" * 11))
    assert "larger than the allowed" in Chat.text_of(refused)  # the requester upload limit of the ticket core
    huge = chat.person.document("huge.iso", b"x")
    huge["message"]["document"]["file_size"] = 21 * 1024 * 1024
    assert "20 MB" in Chat.text_of(chat.deliver(huge))  # the Bot API limit, refused before downloading
    assert not [call for call in chat.api.calls if call.method == "getFile" and call.params["file_id"] ==
                huge["message"]["document"]["file_id"]]
    summary = chat.press("done")
    assert "Files" not in Chat.text_of(summary)
    chat.press("send")
    assert not Ticket.objects.get().attachments.exists()
