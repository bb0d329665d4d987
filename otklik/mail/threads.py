"""Which ticket an incoming message belongs to, from its headers: signed reply tokens, our Message-IDs, known
Message-IDs, then the [#N] subject tag of a participant (never the subject text alone). Reads only; the mail
intake (`services`) calls it, the benchmarks time `thread_evidence` alone."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from otklik.accounts.models import User
from otklik.mail import tokens
from otklik.mail.models import OutboundMail
from otklik.mail.parsing import ParsedMail
from otklik.tickets import services as ticket_services
from otklik.tickets.models import Message, Source, Ticket

logger = logging.getLogger("otklik.mail.services")

CHANNEL = Source.EMAIL
SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")


def _participant(ticket: Ticket, email: str) -> bool:
    from otklik.accounts import access

    user = User.objects.filter(email=email.lower()).first()
    if user is None:
        return False
    if ticket.requester_id == user.pk or ticket.watchers.filter(pk=user.pk).exists():
        return True
    return user.is_staff_member and access.is_visible(user, ticket.pk)


@dataclass(frozen=True)
class ThreadEvidence:
    """What a message's headers say about its ticket, read without the database."""

    token_numbers: tuple[int, ...]  # signed Reply-To plus-addresses it was sent to, in header order
    message_ids: tuple[str, ...]  # In-Reply-To, then References newest first (a bounce's enclosed ids first)
    id_numbers: tuple[int | None, ...]  # per message id: the ticket number our signed Message-ID names
    forged_ids: frozenset[str]  # ids shaped like ours whose signature does not verify
    subject_numbers: tuple[int, ...]  # the [#N] tags of the subject


def thread_evidence(parsed: ParsedMail, *, include_enclosed: bool = False) -> ThreadEvidence:
    token_numbers: list[int] = []
    for address in [*parsed.envelope_to, *(a for _n, a in parsed.to), *(a for _n, a in parsed.cc)]:
        number = tokens.reply_address_ticket_number(address)
        if number is not None:
            token_numbers.append(number)
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if include_enclosed:
        ids = [*parsed.enclosed_ids, *ids]
    id_numbers = tuple(tokens.message_id_ticket_number(message_id) for message_id in ids)
    forged = frozenset(
        message_id for message_id, number in zip(ids, id_numbers, strict=True)
        if number is None and tokens.looks_like_our_message_id(message_id)
    )
    return ThreadEvidence(
        token_numbers=tuple(token_numbers), message_ids=tuple(ids), id_numbers=id_numbers, forged_ids=forged,
        subject_numbers=tuple(int(number) for number in SUBJECT_TAG.findall(parsed.subject or "")),
    )


def _tickets_by_number(tickets: QuerySet[Ticket], numbers: Iterable[int]) -> dict[int, Ticket]:
    wanted = set(numbers)
    return {ticket.number: ticket for ticket in tickets.filter(number__in=wanted)} if wanted else {}


def thread_target(
    parsed: ParsedMail, *, sender: str, include_enclosed: bool = False, own_id: str = "", lock: bool = False
) -> tuple[Ticket | None, str, bool | None]:
    """The ticket, the rule that found it, and whether a ticket message already carries `own_id` (the
    message's own Message-ID), answered by the known-ids query when it runs (None when it did not).

    Strongest evidence first: signed token, our Message-ID, any known Message-ID, the [#N] tag of a
    participant. Never the subject text alone. Each kind of evidence is looked up in one query.
    `lock`: the tickets are read locked (`tickets_locked`), for a message that ingest then writes to the
    ticket in the same transaction, so ingest need not lock it again."""
    tickets = ticket_services.tickets_locked() if lock else Ticket.objects.all()
    evidence = thread_evidence(parsed, include_enclosed=include_enclosed)
    if evidence.token_numbers:
        by_token = _tickets_by_number(tickets, evidence.token_numbers)
        for token_number in evidence.token_numbers:
            if token_number in by_token:
                return by_token[token_number], "token", None
    ids = evidence.message_ids
    found = _tickets_by_number(tickets, (number for number in evidence.id_numbers if number is not None))
    for message_id, number in zip(ids, evidence.id_numbers, strict=True):
        if number is not None:
            if number in found:
                return found[number], "our_message_id", None
        elif message_id in evidence.forged_ids:
            logger.warning("unverifiable Otklik Message-ID %r ignored (forged or old secret)", message_id[:200])
    in_use: bool | None = None
    if ids:
        known: dict[str, int] = {}
        for message_id, ticket_id in OutboundMail.objects.filter(message_id__in=ids, ticket__isnull=False) \
                .values_list("message_id", "ticket_id"):
            known.setdefault(message_id, ticket_id)
        # The same query answers whether this message's own id is taken (one query, not two).
        in_use = False
        for message_id, ticket_id in Message.objects.filter(
                external_id__in=[*ids, own_id] if own_id else ids, channel=CHANNEL) \
                .order_by("-created_at").values_list("external_id", "ticket_id"):
            in_use = in_use or message_id == own_id
            if message_id in ids:
                known.setdefault(message_id, ticket_id)
        for message_id in ids:
            if message_id in known:
                return tickets.filter(pk=known[message_id]).first(), "known_message_id", in_use
    if sender:
        for number in evidence.subject_numbers:
            ticket = tickets.filter(number=number).first()
            if ticket is not None and _participant(ticket, sender):
                return ticket, "subject_tag", in_use
    return None, "new", in_use
