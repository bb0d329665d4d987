"""Email intake: a fixed number of queries per message, whatever came before it (issue #16).

Each figure is measured on this change; a new query on this path should be a decision: change the
figure in the same commit that explains it. The store is its own short transaction (the raw bytes are
safe before any parsing); processing reads the stored row with its mailbox in one locked query and
writes it back without the raw bytes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.mail import services
from otklik.mail.models import InboundMail, InboundSource, Outcome
from tests.mail.mailtools import build_mail

pytestmark = pytest.mark.django_db

# Statements per message, savepoints included (a test runs inside a transaction, so each of the two
# transactions of a message is a savepoint pair here). Before issue #16's mail round: new request 39 on
# PostgreSQL / 43 on SQLite, reply 43 / 43, duplicate 5, auto-reply 7 (its mailbox read on its own).
STORE = {"postgresql": 3, "sqlite": 3}
# SQLite pays for the monthly tallies of the reports (docs/reports.md, "Monthly tallies") in statements of
# their own, since it cannot chain writes: +1 for a new request, +3 for a reply. PostgreSQL folds them into
# the statements that write the copies (and stays at the figures of the mail round).
# Create path, round 8: no SLA policy read when none applies, the mailbox's team from the remembered teams, the
# first message handed back by the service instead of read back (-3); PostgreSQL also writes the new ticket's
# report row in its rollups' statement (-1).
# Issue #16, round 2: ingest asks neither the duplicate check (the threading query answered it) nor the
# sender's visibility twice, locks the target once and hands it back instead of reading it again, opens no
# savepoints inside the mail transaction (ingest's, the create's, the reply's, the SLA clocks' when the ticket
# has none), and the acknowledgement neither asks for its own dedupe key (this transaction opened the ticket)
# nor reads the thread it already holds (-8 new request, -10 reply on PostgreSQL).
# Issue #16, round 3: the sender is found (or created) without a savepoint, and the ticket a reply answers is
# locked by the threading read itself, which ingest then uses (-2 new request, -3 reply). A new request from
# a sender not known yet costs one statement more (the user's INSERT; their organization comes from the
# remembered email domains, where it was an organization read more: 27 → 24 on SQLite).
NEW_REQUEST = {"postgresql": 17, "sqlite": 23}
NEW_SENDER_EXTRA = 1
# Issue #16, round 4: the reports facts of a reply to a ticket neither answered nor resolved read neither the
# statuses nor the desk's calendar (the SLA policy and the schedule), which only durations use (-3 reply).
# Issue #16, round 5: the reports facts read the ticket and its report row in one query, and a requester's reply,
# which changes none of the row's durations, does not read the ticket's history to recompute them (-2 reply).
# Issue #16, round 6: the requester's permission check is decided from the locked row (their own ticket), which
# neither reads their organization nor asks the scope's SQL (-2), and the SLA outcome rows are compared with the
# clocks in one read instead of rewritten (PostgreSQL: two statements, SQLite: four) when they already agree.
REPLY_BY_MESSAGE_ID = {"postgresql": 17, "sqlite": 18}
DUPLICATE = {"postgresql": 5, "sqlite": 5}
AUTO_REPLY = {"postgresql": 5, "sqlite": 5}


def _counted(raw: bytes, mailbox, now) -> tuple[InboundMail, int, int]:
    with CaptureQueriesContext(connection) as stored:
        row, _created = services.inbound_store(raw=raw, source=InboundSource.IMPORT, mailbox=mailbox, now=now,
                                               enqueue=False)
    with CaptureQueriesContext(connection) as processed:
        row = services.inbound_process(inbound_id=row.pk, now=now)
    return row, len(stored.captured_queries), len(processed.captured_queries)


def test_each_kind_of_message_costs_a_fixed_number_of_queries(mailbox, now, people):
    vendor = connection.vendor
    # A first message from someone else (a new sender) warms what is remembered between messages (the
    # mailbox list, the organizations' email domains).
    services.inbound_process(inbound_id=services.inbound_store(
        raw=build_mail(sender="bob@b.example", message_id="<warm@b.example>"), source=InboundSource.IMPORT,
        mailbox=mailbox, now=now, enqueue=False)[0].pk, now=now)

    first, stored, new_request = _counted(build_mail(), mailbox, now + timedelta(minutes=1))
    assert first.outcome == Outcome.NEW_TICKET
    reply, _stored, by_id = _counted(
        build_mail(subject="Re: printer", body="Still broken.", message_id="<m2@a.example>",
                   in_reply_to="<m1@a.example>"), mailbox, now + timedelta(minutes=2))
    assert (reply.outcome, reply.ticket_id) == (Outcome.REPLY, first.ticket_id)
    again, _stored, duplicate = _counted(build_mail(), mailbox, now + timedelta(minutes=3))
    assert again.outcome == Outcome.DUPLICATE
    auto, _stored, auto_reply = _counted(
        build_mail(subject="Automatic reply", message_id="<oof@a.example>", headers={"Auto-Submitted": "auto-replied"}),
        mailbox, now + timedelta(minutes=4))
    assert auto.outcome == Outcome.AUTO_REPLY
    stranger, _stored, new_sender = _counted(
        build_mail(sender="dora@b.example", sender_name="Dora", message_id="<dora1@b.example>"),
        mailbox, now + timedelta(minutes=5))
    assert stranger.outcome == Outcome.NEW_TICKET
    assert stranger.ticket is not None
    assert stranger.ticket.requester.organization == people.org_b  # the domain's organization, as before

    assert (stored, new_request, by_id, duplicate, auto_reply, new_sender) == (
        STORE[vendor], NEW_REQUEST[vendor], REPLY_BY_MESSAGE_ID[vendor], DUPLICATE[vendor], AUTO_REPLY[vendor],
        NEW_REQUEST[vendor] + NEW_SENDER_EXTRA)
