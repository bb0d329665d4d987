"""Stored messages processed as a batch (issue #16): one transaction for the batch, one savepoint per
message. A message that fails is rolled back alone and quarantined with its raw bytes; the others land."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from otklik.mail import services
from otklik.mail.models import (
    InboundMail,
    InboundSource,
    InboundStatus,
    OutboundKind,
    OutboundMail,
    OutboundStatus,
    Outcome,
    UndeliverableAddress,
)
from otklik.tickets import services as ticket_services
from otklik.tickets.models import Message, Ticket, TicketEvent
from tests.mail.mailtools import build_mail
from tests.mail.test_mail_queries import NEW_REQUEST, NEW_SENDER_EXTRA
from tests.mail.test_mail_threading import _dsn

pytestmark = pytest.mark.django_db


def _stored(raws: list[bytes], mailbox, now) -> list[int]:
    return [services.inbound_store(raw=raw, source=InboundSource.IMPORT, mailbox=mailbox, now=now,
                                   enqueue=False)[0].pk for raw in raws]


def test_a_broken_message_is_quarantined_alone_and_the_others_land(mailbox, now, monkeypatch):
    real_ingest = ticket_services.ticket_ingest

    def ingest_then_break(**kwargs: Any) -> Any:
        result = real_ingest(**kwargs)  # the ticket, its message and events are written...
        if kwargs["inbound"].subject == "Broken":
            raise RuntimeError("a bug in a receiver")  # ...and then something fails
        return result

    monkeypatch.setattr(ticket_services, "ticket_ingest", ingest_then_break)
    raws = [build_mail(sender="one@a.example", message_id="<one@a.example>", subject="First"),
            build_mail(sender="two@a.example", message_id="<two@a.example>", subject="Broken"),
            build_mail(sender="three@a.example", message_id="<three@a.example>", subject="Third")]
    first, broken, third = _stored(raws, mailbox, now)

    rows = services.inbound_process_batch(inbound_ids=[third, broken, first], now=now)

    assert [row.pk for row in rows] == [first, broken, third]  # in the order they were stored
    by_id = {row.pk: InboundMail.objects.get(pk=row.pk) for row in rows}
    assert [(by_id[pk].status, by_id[pk].outcome) for pk in (first, broken, third)] == [
        (InboundStatus.PROCESSED, Outcome.NEW_TICKET), (InboundStatus.QUARANTINED, Outcome.FAILED),
        (InboundStatus.PROCESSED, Outcome.NEW_TICKET)]
    assert "a bug in a receiver" in by_id[broken].reason
    assert bytes(by_id[broken].raw) == raws[1]  # kept for the admin's retry
    assert by_id[broken].ticket_id is None
    # Nothing of the broken message is left half-written; the others are whole.
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Third"]
    assert not Message.objects.filter(raw_ref=f"mail:{broken}").exists()
    assert set(TicketEvent.objects.values_list("ticket_id", flat=True)) == {by_id[first].ticket_id,
                                                                           by_id[third].ticket_id}

    monkeypatch.setattr(ticket_services, "ticket_ingest", real_ingest)
    retried = services.inbound_reprocess(inbound_id=broken, now=now + timedelta(minutes=1))
    assert (retried.status, retried.outcome) == (InboundStatus.PROCESSED, Outcome.NEW_TICKET)


def test_a_batch_run_twice_processes_each_message_once(mailbox, now):
    ids = _stored([build_mail(message_id="<m1@a.example>"),
                   build_mail(subject="Re: printer", body="Still broken.", message_id="<m2@a.example>",
                              in_reply_to="<m1@a.example>")], mailbox, now)

    first_run = services.inbound_process_batch(inbound_ids=ids, now=now)
    second_run = services.inbound_process_batch(inbound_ids=ids, now=now + timedelta(minutes=1))

    # The reply stored after its request threads to the ticket the same batch opened.
    request, reply = first_run
    assert (request.outcome, reply.outcome, reply.ticket_id) == (Outcome.NEW_TICKET, Outcome.REPLY, request.ticket_id)
    assert second_run == []
    assert (Ticket.objects.count(), Message.objects.count()) == (1, 2)
    assert set(InboundMail.objects.values_list("attempts", flat=True)) == {1}


def test_a_database_error_rolls_the_batch_back_and_takes_the_messages_one_by_one(mailbox, now, monkeypatch):
    ids = _stored([build_mail(sender="one@a.example", message_id="<one@a.example>"),
                   build_mail(sender="two@a.example", message_id="<two@a.example>")], mailbox, now)
    real_ingest = ticket_services.ticket_ingest
    calls = {"n": 0}

    def deadlock_once(**kwargs: Any) -> Any:
        calls["n"] += 1
        result = real_ingest(**kwargs)
        if calls["n"] == 2:  # the batch's second message: the first one's writes are rolled back too
            raise OperationalError("deadlock detected")
        return result

    monkeypatch.setattr(ticket_services, "ticket_ingest", deadlock_once)

    rows = services.inbound_process_batch(inbound_ids=ids, now=now)

    assert calls["n"] == 4  # twice in the batch, then once per message in transactions of their own
    assert [(row.status, row.outcome) for row in rows] == [(InboundStatus.PROCESSED, Outcome.NEW_TICKET)] * 2
    assert Ticket.objects.count() == 2
    assert set(InboundMail.objects.values_list("attempts", flat=True)) == {1}


def test_the_importer_stores_a_batch_in_one_statement_and_processes_it_at_a_fixed_cost_per_message(mailbox, now):
    # A first message warms what is remembered between messages (the mailbox list, the email domains).
    services.inbound_intake(raws=[(build_mail(sender="bob@b.example", message_id="<warm@b.example>"), "")],
                            source=InboundSource.IMPORT, mailbox=mailbox, now=now)

    def intake(count: int, start: int) -> int:
        raws = [(build_mail(sender=f"new{start + index}@a.example", message_id=f"<n{start + index}@a.example>"),
                 f"{start + index}.eml") for index in range(count)]
        with CaptureQueriesContext(connection) as queries:
            rows = services.inbound_intake(raws=raws, source=InboundSource.IMPORT, mailbox=mailbox, now=now)
        assert [row.outcome for row in rows] == [Outcome.NEW_TICKET] * count
        assert [row.filename for row in rows] == [name for _raw, name in raws]
        return len(queries.captured_queries)

    two, four = intake(2, 0), intake(4, 2)

    # Per message: a single message's statements (the row's own locked read excepted: the batch reads its
    # rows in one statement and their raw bytes in another) with its savepoint pair, as a test's transactions
    # are savepoints too. Per batch: the store's INSERT and the processing's two reads, each transaction
    # a savepoint pair here. Round 5: the acknowledgement's two guard reads (the undeliverable addresses, the
    # loop guard's counts) are asked once per batch for all its senders (`guardmemo`): -2 per message, +2 per
    # batch.
    per_message = NEW_REQUEST[connection.vendor] + NEW_SENDER_EXTRA - 1 - GUARD_READS
    assert four - two == 2 * per_message
    assert two == 3 + 4 + GUARD_READS + 2 * per_message


GUARD_READS = 2


def _acknowledgements(to: str) -> list[str]:
    return list(OutboundMail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT, recipient_key=to)
                .order_by("pk").values_list("status", flat=True))


def test_the_loop_guard_in_a_batch_counts_the_acknowledgements_the_batch_queued(mailbox, now):
    # Two requests from one sender in one batch: the second is not acknowledged (one per window), as when
    # they come one by one; the guard's counts come from the batch's one read plus what the batch wrote.
    ids = _stored([build_mail(sender="eve@a.example", message_id=f"<e{index}@a.example>", subject=f"Q{index}")
                   for index in range(2)], mailbox, now)
    rows = services.inbound_process_batch(inbound_ids=ids, now=now)
    assert [row.outcome for row in rows] == [Outcome.NEW_TICKET] * 2
    assert _acknowledgements("eve@a.example") == [OutboundStatus.PENDING, OutboundStatus.SUPPRESSED]
    # Same again one message at a time: the same answers.
    alone = [services.inbound_process(inbound_id=pk, now=now) for pk in _stored(
        [build_mail(sender="fay@a.example", message_id=f"<f{index}@a.example>", subject=f"Q{index}")
         for index in range(2)], mailbox, now)]
    assert [row.outcome for row in alone] == [Outcome.NEW_TICKET] * 2
    assert _acknowledgements("fay@a.example") == [OutboundStatus.PENDING, OutboundStatus.SUPPRESSED]


def test_an_acknowledgement_rolled_back_with_its_message_is_not_counted(mailbox, now, monkeypatch):
    real_acknowledge = services._acknowledge

    def acknowledge_then_break(row: InboundMail, *args: Any, **kwargs: Any) -> None:
        real_acknowledge(row, *args, **kwargs)  # the acknowledgement is queued...
        if row.subject == "Broken":
            raise RuntimeError("a bug after the acknowledgement")  # ...and its message rolled back

    monkeypatch.setattr(services, "_acknowledge", acknowledge_then_break)
    ids = _stored([build_mail(sender="gil@a.example", message_id="<g1@a.example>", subject="Broken"),
                   build_mail(sender="gil@a.example", message_id="<g2@a.example>", subject="Second")],
                  mailbox, now)
    broken, second = services.inbound_process_batch(inbound_ids=ids, now=now)
    assert (broken.status, second.outcome) == (InboundStatus.QUARANTINED, Outcome.NEW_TICKET)
    # The broken message's acknowledgement is gone with it, so the second one is acknowledged.
    assert _acknowledgements("gil@a.example") == [OutboundStatus.PENDING]


def test_a_bounce_earlier_in_a_batch_holds_back_a_later_acknowledgement(mailbox, now):
    ids = _stored([_dsn(original_message_id="gone@otklik.test", recipient="hal@a.example"),
                   build_mail(sender="hal@a.example", message_id="<h1@a.example>", subject="Hello")], mailbox, now)
    bounced, request = services.inbound_process_batch(inbound_ids=ids, now=now)
    assert (bounced.outcome, request.outcome) == (Outcome.BOUNCE, Outcome.NEW_TICKET)
    assert UndeliverableAddress.objects.filter(email="hal@a.example").exists()
    # Found undeliverable by the bounce of the same batch: the acknowledgement has no recipient left.
    assert _acknowledgements("hal@a.example") == [OutboundStatus.SUPPRESSED]
