from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.accounts import access
from otklik.accounts.access import chats as chat_access
from otklik.chat import services
from otklik.chat.models import ChatMessage, Dialog, Membership
from otklik.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from otklik.sla.models import Schedule
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Attachment, Source


def test_only_admins_create_chats(people, now):
    with pytest.raises(PermissionDenied):
        services.chat_create(actor=people.fiona, name="x", team=people.first_line, now=now)


def test_bad_origin_is_refused_and_nothing_written(people, now):
    with pytest.raises(InvalidInput) as error:
        services.chat_create(actor=people.adam, name="x", team=people.first_line, now=now,
                             allowed_origins="https://ok.example\njavascript:alert(1)")
    assert "allowed_origins" in error.value.errors


def test_requester_question_and_answer_make_one_dialog(people, chats, now):
    chat = chats.org_a
    first = services.chat_message_post(chat=chat, author=people.alice, text="VPN is down", now=now)
    services.chat_message_post(chat=chat, author=people.alice, text="since morning", now=now + timedelta(seconds=20))
    dialog = Dialog.objects.get()
    assert (dialog.first_message_id, dialog.question_count, dialog.answered_at) == (first.pk, 2, None)

    remark = services.chat_message_post(
        chat=chat, author=people.fiona, text="checking AD", conversation=first.conversation, is_internal=True,
        now=now + timedelta(seconds=30),
    )
    assert remark.is_internal and Dialog.objects.get().answered_at is None  # a remark answers nothing

    answer = services.chat_message_post(chat=chat, author=people.fiona, text="Reconnect please",
                                        conversation=first.conversation, now=now + timedelta(seconds=90))
    dialog.refresh_from_db()
    assert dialog.answer_message_id == answer.pk
    assert dialog.answered_by_id == people.fiona.pk
    assert (dialog.response_seconds, dialog.response_working_seconds) == (90, 90)

    services.chat_message_post(chat=chat, author=people.fiona, text="anything else?",
                               conversation=first.conversation, now=now + timedelta(seconds=120))
    assert Dialog.objects.count() == 1
    services.chat_message_post(chat=chat, author=people.alice, text="thanks, also mail", now=now + timedelta(minutes=5))
    assert Dialog.objects.count() == 2


def test_working_time_follows_the_chat_schedule(people, chats):
    schedule = Schedule.objects.create(name="Office", timezone="UTC")  # 09-18 on weekdays
    chat = chats.org_a
    chat.schedule = schedule
    chat.first_response_minutes = 10
    chat.save()
    friday_evening = datetime(2026, 3, 6, 17, 55, tzinfo=UTC)
    question = services.chat_message_post(chat=chat, author=people.alice, text="help", now=friday_evening)
    dialog = Dialog.objects.get()
    assert dialog.due_at == datetime(2026, 3, 9, 9, 5, tzinfo=UTC)
    monday = datetime(2026, 3, 9, 9, 1, tzinfo=UTC)
    services.chat_message_post(
        chat=chat, author=people.fiona, text="here", conversation=question.conversation, now=monday
    )
    dialog.refresh_from_db()
    assert dialog.response_seconds == int((monday - friday_evening).total_seconds())
    assert dialog.response_working_seconds == 6 * 60


def test_membership_rules(people, chats, now):
    assert set(chat_access.chats_askable_by(people.alice)) == {chats.org_a, chats.everyone}
    assert set(chat_access.chats_askable_by(people.carol)) == {chats.org_b, chats.everyone}
    with pytest.raises(NotFound):
        services.chat_message_post(chat=chats.org_a, author=people.carol, text="let me in", now=now)
    listed = services.chat_create(actor=people.adam, name="VIP", team=people.first_line, now=now,
                                  membership=Membership.PEOPLE, people=[people.bob])
    assert listed in chat_access.chats_askable_by(people.bob)
    assert listed not in chat_access.chats_askable_by(people.alice)


def test_requesters_see_only_their_own_public_messages(people, chats, now):
    alice_q = services.chat_message_post(chat=chats.org_a, author=people.alice, text="mine", now=now)
    bob_q = services.chat_message_post(chat=chats.org_a, author=people.bob, text="bob's", now=now)
    services.chat_message_post(chat=chats.org_a, author=people.fiona, text="internal", is_internal=True,
                               conversation=alice_q.conversation, now=now)
    answer = services.chat_message_post(chat=chats.org_a, author=people.fiona, text="answer",
                                        conversation=alice_q.conversation, now=now)
    assert set(chat_access.chat_messages_visible_to(people.alice, chats.org_a.pk)) == {alice_q, answer}
    assert set(chat_access.chat_messages_visible_to(people.carol, chats.org_a.pk)) == set()
    assert chat_access.chat_messages_visible_to(people.sam, chats.org_a.pk).count() == 0  # another desk
    assert chat_access.chat_messages_visible_to(people.fiona, chats.org_a.pk).count() == 4
    assert bob_q in chat_access.chat_messages_visible_to(people.rita, chats.org_a.pk)
    with pytest.raises(PermissionDenied):
        services.chat_message_post(chat=chats.org_a, author=people.rita, text="auditor",
                                   conversation=alice_q.conversation, now=now)
    with pytest.raises(NotFound):  # Bob cannot write into Alice's conversation
        services.chat_message_post(chat=chats.org_a, author=people.bob, text="x", conversation=alice_q.conversation,
                                   now=now)
    with pytest.raises(PermissionDenied):
        services.chat_message_post(chat=chats.org_a, author=people.alice, text="x", is_internal=True, now=now)


def test_guests_only_where_allowed(people, chats, now):
    with pytest.raises(PermissionDenied):
        services.guest_conversation_start(chat=chats.org_a, name="Gus", email="gus@x.example", now=now)
    with pytest.raises(InvalidInput) as error:
        services.guest_conversation_start(chat=chats.everyone, name="", email="not-an-email", now=now)
    assert set(error.value.errors) == {"name", "email"}
    guest = services.guest_conversation_start(chat=chats.everyone, name="Gus", email="Gus@X.example", now=now)
    message = services.chat_message_post(chat=chats.everyone, author=None, conversation=guest, text="hi", now=now)
    assert message.conversation.guest_email == "gus@x.example" and Dialog.objects.count() == 1


def test_external_id_makes_a_retry_harmless(people, chats, now):
    first = services.chat_message_post(chat=chats.org_a, author=people.alice, text="hi", now=now, external_id="tg-1")
    again = services.chat_message_post(chat=chats.org_a, author=people.alice, text="hi", now=now, external_id="tg-1")
    assert first.pk == again.pk and ChatMessage.objects.count() == 1


def test_empty_and_oversized_input_write_nothing(people, chats, now, settings):
    with pytest.raises(InvalidInput):
        services.chat_message_post(chat=chats.org_a, author=people.alice, text=" \x00 ", now=now)
    settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = 10
    with pytest.raises(InvalidInput):
        services.chat_message_post(chat=chats.org_a, author=people.alice, text="file", now=now,
                                   attachments=[InboundAttachment("big.bin", b"x" * 11)])
    assert ChatMessage.objects.count() == 0 and Dialog.objects.count() == 0


def test_html_is_sanitised(people, chats, now):
    message = services.chat_message_post(chat=chats.org_a, author=people.alice, text="x", now=now,
                                         html='<b>bold</b><script>alert(1)</script><img src=x onerror=alert(1)>')
    assert "<script" not in message.html and "onerror" not in message.html and "<b>bold</b>" in message.html


def _conversation_with(people, chats, now, count=3):
    return [
        services.chat_message_post(chat=chats.org_a, author=people.alice, text=f"line {i}\nmore", now=now,
                                   attachments=[InboundAttachment("shot.png", b"png", "image/png")] if i == 0 else ())
        for i in range(count)
    ]


def test_ticket_from_message_goes_through_ingest_with_roles(people, chats, now):
    first, *_rest = _conversation_with(people, chats, now)
    ticket = services.chat_ticket_from_message(actor=people.fiona, message_id=first.pk, now=now)
    assert ticket.source == Source.CHAT
    assert ticket.requester_id == people.alice.pk
    assert ticket.assignee_id == people.fiona.pk
    assert ticket.team_id == people.first_line.pk
    assert ticket.subject == "line 0"
    assert ticket.messages.get().body_text == "line 0\nmore"
    assert Attachment.objects.get(ticket=ticket).filename == "shot.png"
    # Fiona leads the first line herself; the lead is added as a watcher when it is someone else.
    people.first_line.lead = people.mia
    people.first_line.save()
    second = ChatMessage.objects.filter(ticket__isnull=True, from_staff=False).first()
    assert second is not None
    other = services.chat_ticket_from_message(actor=people.fiona, message_id=second.pk, now=now)
    assert list(other.watchers.all()) == [people.mia]
    first.refresh_from_db()
    assert first.ticket_id == ticket.pk
    with pytest.raises(Conflict):
        services.chat_ticket_from_message(actor=people.fiona, message_id=first.pk, now=now)
    assert access.is_visible(people.alice, ticket.pk)


@pytest.mark.parametrize("persona", ["adam", "sam", "rita", "alice", "carol"])
def test_only_members_of_chat_and_team_make_tickets(people, chats, now, persona):
    first, *_rest = _conversation_with(people, chats, now)
    with pytest.raises((PermissionDenied, NotFound)):
        services.chat_ticket_from_message(actor=getattr(people, persona), message_id=first.pk, now=now)
    assert ChatMessage.objects.get(pk=first.pk).ticket_id is None


def test_ticket_only_from_the_last_ten(people, chats, now):
    messages = _conversation_with(people, chats, now, count=11)
    with pytest.raises(InvalidInput):
        services.chat_ticket_from_message(actor=people.fiona, message_id=messages[0].pk, now=now)
    assert services.chat_ticket_from_message(actor=people.fiona, message_id=messages[1].pk, now=now).pk
