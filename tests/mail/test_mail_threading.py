"""Inbound mail to tickets: each kind of threading evidence, dedupe, participants, states, automated mail."""

from __future__ import annotations

import base64

import pytest

from otklik.mail import outbound, services, tokens
from otklik.mail.models import InboundStatus, OutboundKind, OutboundMail, OutboundStatus, Outcome, UndeliverableAddress
from otklik.testing import factories
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import LinkKind, Message, StatusKind, Ticket, TicketLink
from tests.mail.mailtools import SUPPORT, build_mail


@pytest.fixture
def first(mailbox, deliver):
    """Alice's request, ticket #1, acknowledged."""
    row = deliver(build_mail(), mailbox=mailbox)
    assert row.outcome == Outcome.NEW_TICKET
    return row


def test_mail_new_request_opens_a_ticket_for_the_sender_in_the_mailbox_team(first, people):
    ticket = first.ticket
    assert ticket.subject == "Printer on the 3rd floor is broken"
    assert ticket.requester == people.alice
    assert ticket.team == people.first_line
    assert ticket.source == "email"
    assert first.ticket_message.body_text == "It does not print since this morning."
    assert first.thread_rule == "new"
    ack = OutboundMail.objects.get(ticket=ticket)
    assert (ack.kind, ack.to, ack.status) == (OutboundKind.ACKNOWLEDGEMENT, ["alice@a.example"], OutboundStatus.PENDING)


def test_mail_reply_to_the_customers_own_message_threads_by_known_message_id(first, mailbox, deliver):
    row = deliver(build_mail(subject="Re: printer", body="Still broken.", message_id="<m2@a.example>",
                             in_reply_to="<m1@a.example>"), mailbox=mailbox)

    assert (row.outcome, row.ticket_id, row.thread_rule) == (Outcome.REPLY, first.ticket_id, "known_message_id")
    assert first.ticket.messages.count() == 2


def test_mail_reply_to_our_message_id_threads_even_without_subject_tag(first, mailbox, deliver):
    ours = OutboundMail.objects.get(ticket=first.ticket).message_id
    row = deliver(build_mail(subject="whatever", body="Thanks", message_id="<m3@a.example>",
                             in_reply_to=f"<{ours}>"), mailbox=mailbox)

    assert (row.outcome, row.ticket_id, row.thread_rule) == (Outcome.REPLY, first.ticket_id, "our_message_id")


def test_mail_references_only_with_our_id_in_the_middle_threads(first, mailbox, deliver):
    ours = OutboundMail.objects.get(ticket=first.ticket).message_id
    row = deliver(build_mail(subject="x", body="More", message_id="<m4@a.example>",
                             references=f"<unknown1@x.example> <{ours}> <unknown2@y.example>"), mailbox=mailbox)

    assert (row.outcome, row.ticket_id) == (Outcome.REPLY, first.ticket_id)


def test_mail_signed_reply_to_token_threads_when_every_header_is_lost(first, mailbox, deliver):
    token = tokens.reply_address(ticket_number=first.ticket.number, address=SUPPORT)
    row = deliver(build_mail(to=token, subject="new subject, no headers", body="Here is the photo",
                             message_id="<m5@a.example>"), mailbox=mailbox)

    assert (row.outcome, row.ticket_id, row.thread_rule) == (Outcome.REPLY, first.ticket_id, "token")


def test_mail_forged_token_and_forged_message_id_open_new_tickets(first, mailbox, deliver, people):
    forged_token = f"support+t{first.ticket.number}.0000000000@otklik.test"
    forged_id = f"otk.{first.ticket.number}.abcdef.000000000000@otklik.test"
    by_token = deliver(build_mail(sender="carol@b.example", to=forged_token, message_id="<c1@b.example>"),
                       mailbox=mailbox)
    by_id = deliver(build_mail(sender="carol@b.example", message_id="<c2@b.example>",
                               in_reply_to=f"<{forged_id}>"), mailbox=mailbox)

    assert by_token.outcome == by_id.outcome == Outcome.NEW_TICKET
    assert by_token.ticket_id != first.ticket_id and by_id.ticket_id != first.ticket_id
    assert first.ticket.messages.count() == 1


def test_mail_subject_tag_threads_for_a_participant(first, mailbox, deliver):
    number = first.ticket.number
    row = deliver(build_mail(subject=f"Re: Printer [#{number}]", body="It works now", message_id="<m6@a.example>"),
                  mailbox=mailbox)

    assert (row.outcome, row.ticket_id, row.thread_rule) == (Outcome.REPLY, first.ticket_id, "subject_tag")


def test_mail_subject_tag_from_a_stranger_opens_a_new_ticket(first, mailbox, deliver):
    row = deliver(build_mail(sender="carol@b.example", subject=f"Re: Printer [#{first.ticket.number}]",
                             message_id="<c3@b.example>"), mailbox=mailbox)

    assert row.outcome == Outcome.NEW_TICKET
    assert row.ticket_id != first.ticket_id
    assert first.ticket.messages.count() == 1


def test_mail_subject_tag_inside_an_encoded_word_subject_is_found(first, mailbox, deliver):
    encoded = base64.b64encode(f"Ответ: принтер [#{first.ticket.number}]".encode()).decode()
    raw = build_mail(subject="placeholder", body="Спасибо", message_id="<m7@a.example>")
    raw = raw.replace(b"Subject: placeholder", f"Subject: =?utf-8?B?{encoded}?=".encode())
    row = deliver(raw, mailbox=mailbox)

    assert (row.outcome, row.ticket_id, row.thread_rule) == (Outcome.REPLY, first.ticket_id, "subject_tag")


def test_mail_tag_rescues_the_thread_when_a_provider_rewrote_our_message_id(first, mailbox, deliver):
    row = deliver(build_mail(subject=f"RE: Printer [#{first.ticket.number}]", message_id="<m8@a.example>",
                             in_reply_to="<0100018@email.amazonses.com>"), mailbox=mailbox)

    assert (row.outcome, row.ticket_id) == (Outcome.REPLY, first.ticket_id)


def test_mail_same_subject_without_evidence_and_a_tag_of_a_missing_ticket_open_new_tickets(first, mailbox, deliver):
    same_subject = deliver(build_mail(message_id="<m9@a.example>"), mailbox=mailbox)
    wrong_tag = deliver(build_mail(subject="Printer [#999]", message_id="<m10@a.example>"), mailbox=mailbox)

    assert same_subject.outcome == wrong_tag.outcome == Outcome.NEW_TICKET
    assert len({first.ticket_id, same_subject.ticket_id, wrong_tag.ticket_id}) == 3


def test_mail_same_message_fetched_twice_changes_nothing(first, mailbox, deliver):
    raw = build_mail()
    # The copy an IMAP server hands back: CRLF line endings and one more trace header.
    copy = b"Received: from relay.example by mx.otklik.test; Mon, 2 Mar 2026 08:01:00 +0000\r\n" + raw.replace(
        b"\n", b"\r\n")
    again = deliver(raw, mailbox=mailbox)
    via_other_path = deliver(copy, mailbox=mailbox)

    assert again.outcome == via_other_path.outcome == Outcome.DUPLICATE
    assert again.ticket_id == via_other_path.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1
    assert OutboundMail.objects.count() == 1


def test_mail_same_message_id_with_different_content_is_not_a_duplicate(first, mailbox, deliver):
    row = deliver(build_mail(subject="Another problem", body="The scanner too."), mailbox=mailbox)

    assert row.outcome == Outcome.NEW_TICKET
    assert row.ticket_id != first.ticket_id
    assert row.details["reused_message_id"] is True


def test_mail_cc_becomes_watcher_and_their_reply_all_joins_the_ticket(mailbox, deliver, people):
    row = deliver(build_mail(cc="Bob <bob@a.example>, support@otklik.test"), mailbox=mailbox)
    ticket = row.ticket
    assert list(ticket.watchers.values_list("email", flat=True)) == ["bob@a.example"]

    reply = deliver(build_mail(sender="bob@a.example", sender_name="Bob", subject="Re: Printer",
                               body="Same here", message_id="<b1@a.example>", in_reply_to="<m1@a.example>",
                               cc="alice@a.example"), mailbox=mailbox)

    assert (reply.outcome, reply.ticket_id) == (Outcome.REPLY, ticket.pk)
    assert reply.ticket_message.author == people.bob


def test_mail_requester_reply_resumes_a_ticket_waiting_for_clarification(first, mailbox, deliver, people, now):
    changes.ticket_change_status(
        actor=people.mia, ticket_id=first.ticket_id, status=factories.status("needs_clarification"), now=now)

    deliver(build_mail(subject=f"Re: [#{first.ticket.number}]", body="Room 301", message_id="<m11@a.example>",
                       in_reply_to="<m1@a.example>"), mailbox=mailbox)

    assert Ticket.objects.get(pk=first.ticket_id).status.kind == StatusKind.OPEN


def test_mail_reply_to_a_closed_ticket_opens_a_linked_follow_up(first, mailbox, deliver, people, now):
    changes.ticket_close(actor=people.mia, ticket_id=first.ticket_id, now=now)

    row = deliver(build_mail(subject="Re: printer", body="Broken again", message_id="<m12@a.example>",
                             in_reply_to="<m1@a.example>"), mailbox=mailbox)

    assert row.outcome == Outcome.NEW_TICKET
    assert TicketLink.objects.filter(from_ticket=row.ticket, to_ticket=first.ticket, kind=LinkKind.RELATED).exists()
    assert Ticket.objects.get(pk=first.ticket_id).status.kind == StatusKind.CLOSED


def test_mail_auto_reply_never_reopens_never_creates_never_answers(first, mailbox, deliver, people, now):
    changes.ticket_resolve(actor=people.mia, ticket_id=first.ticket_id, now=now)
    ours = OutboundMail.objects.get(ticket=first.ticket).message_id
    vacation = deliver(build_mail(subject="Automatic reply: Printer", body="I am on leave until Monday.",
                                  message_id="<oof1@a.example>", in_reply_to=f"<{ours}>",
                                  headers={"Auto-Submitted": "auto-replied"}), mailbox=mailbox)
    russian = deliver(build_mail(subject="Автоответ: Принтер", body="Я в отпуске до 10 марта.",
                                 message_id="<oof2@a.example>"), mailbox=mailbox)

    assert vacation.outcome == russian.outcome == Outcome.AUTO_REPLY
    assert vacation.ticket_id == first.ticket_id  # recorded against its ticket, for the admin
    assert Ticket.objects.count() == 1
    assert first.ticket.messages.count() == 1
    assert Ticket.objects.get(pk=first.ticket_id).status.kind == StatusKind.RESOLVED
    assert OutboundMail.objects.count() == 1


def test_mail_list_mail_becomes_a_ticket_without_an_automatic_answer(mailbox, deliver):
    row = deliver(build_mail(headers={"List-Id": "<staff.lists.a.example>"}), mailbox=mailbox)

    assert row.outcome == Outcome.NEW_TICKET
    assert not OutboundMail.objects.exists()


def _dsn(*, original_message_id: str, recipient: str, status: str = "5.1.1") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.a.example>\r\n"
        "To: support@otklik.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.a.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.a.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@otklik.test\r\nTo: {recipient}\r\nMessage-ID: <{original_message_id}>\r\n"
        "Subject: We received your request\r\n"
        "--B--\r\n"
    ).encode()


def test_mail_bounce_records_the_failed_recipient_on_the_ticket_and_stops_mail_to_it(first, mailbox, deliver):
    ours = OutboundMail.objects.get(ticket=first.ticket).message_id
    row = deliver(_dsn(original_message_id=ours, recipient="alice@a.example"), mailbox=mailbox)

    assert (row.outcome, row.ticket_id) == (Outcome.BOUNCE, first.ticket_id)
    note = first.ticket.messages.get(is_internal=True)
    assert "alice@a.example" in note.body_text and "5.1.1" in note.body_text
    assert UndeliverableAddress.objects.filter(email="alice@a.example", status="5.1.1").exists()
    assert Ticket.objects.count() == 1
    later = outbound.outbound_enqueue(to=["alice@a.example"], subject="Status", body_text="x",
                                      ticket_id=first.ticket_id)
    assert later is not None and later.status == OutboundStatus.SUPPRESSED


def test_mail_own_mail_coming_back_and_spam_verdicts_make_no_ticket(mailbox, deliver):
    loop = deliver(build_mail(sender="someone@c.example", headers={"X-Otklik-Loop": SUPPORT}), mailbox=mailbox)
    spam = deliver(build_mail(sender="win@spam.example", message_id="<s@spam.example>",
                              headers={"X-Spam-Flag": "YES"}), mailbox=mailbox)

    assert (loop.outcome, spam.outcome) == (Outcome.IGNORED, Outcome.SPAM)
    assert not Ticket.objects.exists()


def test_mail_one_bad_message_is_quarantined_and_reprocessed_after_the_fix(mailbox, deliver, monkeypatch, now):
    def broken_ingest(**kwargs):
        raise RuntimeError("search index is down")

    monkeypatch.setattr(ticket_services, "ticket_ingest", broken_ingest)
    bad = deliver(build_mail(message_id="<bad@a.example>"), mailbox=mailbox)
    monkeypatch.undo()
    good = deliver(build_mail(sender="bob@a.example", message_id="<good@a.example>"), mailbox=mailbox)

    assert (bad.status, bad.outcome) == (InboundStatus.QUARANTINED, Outcome.FAILED)
    assert "search index is down" in bad.reason
    assert not Message.objects.filter(external_id="bad@a.example").exists()  # nothing half-written
    assert good.outcome == Outcome.NEW_TICKET

    fixed = services.inbound_reprocess(inbound_id=bad.pk, now=now)
    assert (fixed.status, fixed.outcome) == (InboundStatus.PROCESSED, Outcome.NEW_TICKET)
    assert Ticket.objects.count() == 2


def test_mail_without_a_sender_is_quarantined_with_its_reason_and_raw_kept(mailbox, deliver):
    raw = b"Subject: no sender\r\nMessage-ID: <ns@x.example>\r\n\r\nhello\r\n"
    row = deliver(raw, mailbox=mailbox)

    assert row.status == InboundStatus.QUARANTINED
    assert "sender address" in row.reason
    assert bytes(row.raw) == raw


def test_mail_acknowledgements_are_limited_per_sender(mailbox, deliver):
    deliver(build_mail(message_id="<r1@a.example>", subject="One"), mailbox=mailbox)
    deliver(build_mail(message_id="<r2@a.example>", subject="Two"), mailbox=mailbox)
    deliver(build_mail(message_id="<r3@a.example>", subject="Three"), mailbox=mailbox)

    statuses = list(OutboundMail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).order_by("pk")
                    .values_list("status", flat=True))
    assert statuses == [OutboundStatus.PENDING, OutboundStatus.SUPPRESSED, OutboundStatus.SUPPRESSED]
    assert Ticket.objects.count() == 3


def test_mail_admin_lists_quarantined_mail_and_reprocesses_it_with_one_action(mailbox, deliver, people, rf):
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    from otklik.mail.models import InboundMail

    row = deliver(b"Subject: no sender\r\nMessage-ID: <q@x.example>\r\n\r\nhello\r\n", mailbox=mailbox)
    InboundMail.objects.filter(pk=row.pk).update(
        raw=build_mail(message_id="<q@x.example>", subject="Fixed by the admin"))
    from otklik.mail.admin import InboundMailAdmin

    model_admin = admin.site._registry[InboundMail]
    assert isinstance(model_admin, InboundMailAdmin)
    request = rf.post("/admin/mail/inboundmail/")
    request.user = people.adam
    request.session = {}
    request._messages = FallbackStorage(request)

    listed = model_admin.get_queryset(request).filter(status=InboundStatus.QUARANTINED)
    assert list(listed) == [row]
    model_admin.reprocess(request, listed)

    row.refresh_from_db()
    assert (row.status, row.outcome, row.ticket.subject) == (
        InboundStatus.PROCESSED, Outcome.NEW_TICKET, "Fixed by the admin")
