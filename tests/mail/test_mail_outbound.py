"""Outgoing mail through a real SMTP server on loopback (aiosmtpd): headers that bring replies back,
the outbox on agent replies, retries, the loop guard, and the auto-responder ping-pong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.mail import outbound, services, tokens
from otklik.mail.models import OutboundKind, OutboundMail, OutboundStatus, Outcome
from otklik.tickets import services as ticket_services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Ticket
from tests.mail.mailtools import SUPPORT, build_mail


@pytest.fixture
def ticket_by_mail(mailbox, deliver):
    row = deliver(build_mail(), mailbox=mailbox)
    return row.ticket


def _send_all(now):
    for outbound_id in OutboundMail.objects.filter(status=OutboundStatus.PENDING).values_list("pk", flat=True):
        outbound.outbound_send(outbound_id=outbound_id, now=now)


def test_mail_agent_reply_is_mailed_with_every_threading_hook(
    ticket_by_mail, people, now, smtp, django_capture_on_commit_callbacks
):
    ticket = ticket_by_mail
    OutboundMail.objects.all().delete()  # the acknowledgement is tested elsewhere
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply(
            actor=people.fiona, ticket_id=ticket.pk, body_text="Please restart the printer.",
            now=now + timedelta(hours=1),
            attachments=[InboundAttachment(filename="manual.pdf", content=b"%PDF-1.4 manual",
                                           content_type="application/pdf")],
        )

    assert len(smtp.received) == 1
    captured = smtp.received[0]
    message = captured.message
    assert captured.rcpt_tos == ["alice@a.example"]
    assert message["Subject"] == f"Re: Printer on the 3rd floor is broken [#{ticket.number}]"
    message_id = message["Message-ID"].strip("<>")
    assert tokens.message_id_ticket_number(message_id) == ticket.number
    assert message["In-Reply-To"] == "<m1@a.example>"
    assert "<m1@a.example>" in message["References"]
    assert tokens.reply_address_ticket_number(message["Reply-To"]) == ticket.number
    assert message["Auto-Submitted"] is None  # a person's answer, not automatic
    assert "Please restart the printer." in message.get_body(("plain",)).get_content()
    assert [part.get_filename() for part in message.iter_attachments()] == ["manual.pdf"]
    assert OutboundMail.objects.get().status == OutboundStatus.SENT


def test_mail_internal_notes_are_never_mailed(ticket_by_mail, people, now, smtp, django_capture_on_commit_callbacks):
    OutboundMail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        note = ticket_services.ticket_add_note(actor=people.fiona, ticket_id=ticket_by_mail.pk,
                                               body_text="Customer is difficult", now=now)
    refused = outbound.outbound_enqueue(to=["alice@a.example"], subject="x", body_text=note.body_text,
                                        kind="reply", reply_message_id=note.pk, ticket_id=ticket_by_mail.pk)

    assert refused is None
    assert not OutboundMail.objects.exists()
    assert smtp.received == []


def test_mail_requester_answer_to_our_reply_comes_back_into_the_same_ticket(
    ticket_by_mail, mailbox, deliver, people, now, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply(actor=people.fiona, ticket_id=ticket_by_mail.pk, body_text="Try now", now=now)
    ours = smtp.received[-1].message
    answer = build_mail(to=str(ours["Reply-To"]), subject=f"Re: {ours['Subject']}", body="Works, thanks!",
                        message_id="<thanks@a.example>", in_reply_to=ours["Message-ID"],
                        references=f"{ours['References']} {ours['Message-ID']}")

    row = deliver(answer, mailbox=mailbox)

    assert (row.outcome, row.ticket_id, row.thread_rule) == (Outcome.REPLY, ticket_by_mail.pk, "token")
    assert "Works, thanks!" in row.ticket_message.body_text


def test_mail_acknowledgement_is_automatic_and_in_the_requesters_language(
    mailbox, deliver, now, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = deliver(build_mail(sender="ivan@c.example", sender_name="Иван Петров", subject="Не печатает принтер",
                                 body="Помогите, пожалуйста.", message_id="<ru1@c.example>"), mailbox=mailbox)

    message = smtp.received[-1].message
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert message["Subject"] == f"Ваше обращение принято: Не печатает принтер [#{row.ticket.number}]"
    assert "Здравствуйте, Иван" in message.get_content()


def test_mail_subject_tag_is_never_doubled(ticket_by_mail, now):
    row = outbound.outbound_enqueue(to=["alice@a.example"], subject=f"Re: Printer [#{ticket_by_mail.number}]",
                                    body_text="x", ticket_id=ticket_by_mail.pk, now=now)

    assert row is not None and row.subject.count(f"[#{ticket_by_mail.number}]") == 1


def test_mail_dedupe_key_sends_once(ticket_by_mail, now):
    first = outbound.outbound_enqueue(to=["alice@a.example"], subject="SLA", body_text="x",
                                      ticket_id=ticket_by_mail.pk, dedupe_key="sla_breach:1:2026", now=now)
    second = outbound.outbound_enqueue(to=["alice@a.example"], subject="SLA", body_text="x",
                                       ticket_id=ticket_by_mail.pk, dedupe_key="sla_breach:1:2026", now=now)

    assert first is not None and second is not None and first.pk == second.pk
    assert OutboundMail.objects.filter(dedupe_key="sla_breach:1:2026").count() == 1


def test_mail_automatic_mail_never_goes_to_daemons_no_reply_or_ourselves(ticket_by_mail, now):
    row = outbound.outbound_enqueue(
        to=["MAILER-DAEMON@mx.example", "no-reply@shop.example", SUPPORT, "list-request@lists.example"],
        subject="Status", body_text="x", ticket_id=ticket_by_mail.pk, now=now,
    )

    assert row is not None and row.status == OutboundStatus.SUPPRESSED
    assert row.to == []


def test_mail_temporary_smtp_failure_is_retried_then_sent(ticket_by_mail, now, smtp):
    smtp.refuse = 1
    row = OutboundMail.objects.get(ticket=ticket_by_mail)

    with pytest.raises(outbound.OutboundRetry):
        outbound.outbound_send(outbound_id=row.pk, now=now)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.PENDING, 1)
    assert "451" in row.last_error
    assert outbound.outbound_send(outbound_id=row.pk, now=now) == "pending"  # not before the backoff

    later = now + timedelta(minutes=5)
    assert services.pending_work_sweep(now=later) == {"processed": 0, "sent": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 2)
    assert len(smtp.received) == 1


def test_mail_a_burst_of_mail_is_sent_by_one_job(ticket_by_mail, now, smtp, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    """Issue #16, round 2: the outbox is sent by one job per burst (a wake-up), not one job per mail; the job
    sends every due row once, leaves a row in its backoff for later, and a second run sends nothing again."""
    OutboundMail.objects.all().delete()
    kicks: list[str] = []
    monkeypatch.setattr(outbound, "_kick_outbox", lambda: kicks.append("outbox job"))
    with django_capture_on_commit_callbacks(execute=True):
        rows = [outbound.outbound_enqueue(to=[f"person{index}@c.example"], subject="Status", body_text="x",
                                          ticket_id=ticket_by_mail.pk, now=now) for index in range(3)]
    assert kicks == ["outbox job"]  # three mails committed together, one job queued
    waiting = rows[2]
    assert waiting is not None
    OutboundMail.objects.filter(pk=waiting.pk).update(claimed_until=now + timedelta(minutes=2))  # in backoff

    assert outbound.outbox_send_due(now=now) == (2, 2)
    assert outbound.outbox_send_due(now=now) == (0, 0)  # sent once
    assert sorted(item.rcpt_tos[0] for item in smtp.received) == ["person0@c.example", "person1@c.example"]
    assert outbound.outbox_send_due(now=now + timedelta(minutes=3)) == (1, 1)
    assert OutboundMail.objects.filter(status=OutboundStatus.SENT).count() == 3


def test_mail_failed_after_the_last_attempt(ticket_by_mail, now, smtp, settings):
    settings.OTKLIK_MAIL_SEND_ATTEMPTS = 1
    smtp.refuse = 5
    row = OutboundMail.objects.get(ticket=ticket_by_mail)

    assert outbound.outbound_send(outbound_id=row.pk, now=now) == OutboundStatus.FAILED
    assert OutboundMail.objects.get(pk=row.pk).status == OutboundStatus.FAILED


@pytest.mark.parametrize("style", ["rfc3834", "naive"])
def test_mail_auto_responder_ping_pong_gets_at_most_one_acknowledgement(
    mailbox, deliver, now, smtp, django_capture_on_commit_callbacks, style
):
    """A vacation responder answers everything we send: with proper RFC 3834 headers, or (a naive one)
    with no headers and no references at all. It must end after one acknowledgement."""
    responder = "boss@c.example"
    with django_capture_on_commit_callbacks(execute=True):
        deliver(build_mail(sender=responder, subject="Need a new laptop", message_id="<start@c.example>"),
                mailbox=mailbox)
    answered = 0
    for round_number in range(10):
        to_responder = [mail for mail in smtp.received if responder in mail.rcpt_tos]
        if answered == len(to_responder):
            break
        for mail in to_responder[answered:]:
            ours = mail.message
            proper = style == "rfc3834"
            reply = build_mail(
                sender=responder, subject=f"Out of office: {ours['Subject']}" if proper else "Re: your mail",
                body="I am away until Monday.", message_id=f"<oof{round_number}-{answered}@c.example>",
                in_reply_to=ours["Message-ID"] if proper else None,
                headers={"Auto-Submitted": "auto-replied"} if proper else None,
            )
            with django_capture_on_commit_callbacks(execute=True):
                deliver(reply, mailbox=mailbox)
            answered += 1

    acknowledgements = [mail for mail in smtp.received if mail.message["Auto-Submitted"] == "auto-replied"]
    assert len(acknowledgements) == 1
    assert len(smtp.received) == 1
    assert Ticket.objects.count() == (1 if style == "rfc3834" else 2)
    assert answered == 1
    assert OutboundMail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT, status=OutboundStatus.SENT).count() == 1
