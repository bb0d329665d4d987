"""Email channel services: store raw mail, turn it into tickets, and send mail about tickets.

`outbound_enqueue` is the one way any part of Otklik sends mail; its keyword signature is a contract
shared with notifications and automation (new arguments are optional keywords only).

Inbound: `inbound_store` keeps the raw bytes in their own short transaction, then `inbound_process`
parses, classifies, deduplicates, threads and calls `tickets.services.ticket_ingest`, all in one
transaction: a crash anywhere leaves the row "received" and the next run processes it exactly once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.core import lookups
from otklik.core.errors import InvalidInput
from otklik.core.wakeups import wake_on_commit
from otklik.mail import conf, tokens
from otklik.mail.bodies import build_body
from otklik.mail.classify import LOOP_HEADER, Classification, MailKind, classify, may_answer_automatically
from otklik.mail.models import (
    InboundMail,
    InboundSource,
    InboundStatus,
    Mailbox,
    OutboundKind,
    OutboundMail,
    OutboundStatus,
    Outcome,
    UndeliverableAddress,
)
from otklik.mail.parsing import ParsedMail, content_fingerprint, parse_mail, synthetic_message_id
from otklik.tickets import services as ticket_services
from otklik.tickets.inbound import InboundAttachment, InboundMessage
from otklik.tickets.models import Attachment, Message, Source, Ticket

logger = logging.getLogger(__name__)

CHANNEL = Source.EMAIL
SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
MAX_WATCHERS_PER_MESSAGE = 20


class MailRejected(Exception):
    """A message that cannot become ticket content as it is; it is quarantined with this reason."""


# ================================================================ inbound: store


def inbound_store(
    *,
    raw: bytes,
    source: str,
    now: datetime,
    mailbox: Mailbox | None = None,
    address: str = "",
    uidvalidity: int | None = None,
    uid: int | None = None,
    filename: str = "",
    enqueue: bool = True,
) -> tuple[InboundMail, bool]:
    """Keep the raw bytes, nothing else: (row, created). The same IMAP uid twice gives the first row."""
    if uid is not None:
        existing = InboundMail.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            row = InboundMail.objects.create(
                mailbox=mailbox, address=(address or (mailbox.email_address if mailbox else ""))[:254],
                source=source, uidvalidity=uidvalidity, uid=uid, filename=filename[:500], raw=raw, size=len(raw),
                received_at=now, fingerprint=content_fingerprint(raw),
            )
            if enqueue:
                transaction.on_commit(partial(_enqueue_processing, row.pk))
    except IntegrityError:
        # Two pollers raced for the same uid: the other one stored it.
        existing = InboundMail.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).first()
        if existing is None:
            raise
        return existing, False
    return row, True


def _enqueue_processing(inbound_id: int) -> None:
    from otklik.mail.tasks import inbound_process_task

    inbound_process_task(inbound_id)


# ================================================================ inbound: process


def inbound_process(
    *, inbound_id: int, now: datetime, reprocess: bool = False, as_human: bool = False
) -> InboundMail:
    """Parse, classify, dedupe, thread and ingest one stored message, exactly once.

    reprocess: run a quarantined (or parked automated) message again, after a fix.
    as_human: an admin decided the classifier was wrong; process it as a person's message.
    Never raises for a bad message: it is quarantined with the reason. Database outages do raise,
    so the job is retried.
    """
    try:
        with transaction.atomic():
            # The mailbox (its settings) comes with the locked row; only the row itself is locked.
            row = (
                InboundMail.objects.select_for_update(of=("self",))
                .select_related("mailbox", "mailbox__request_type").filter(pk=inbound_id).first()
            )
            if row is None:
                raise InvalidInput(_("No such inbound message."))
            if row.status != InboundStatus.RECEIVED and not reprocess:
                return row
            row.attempts += 1
            _process(row, now=now, as_human=as_human)
            row.status = InboundStatus.PROCESSED
            row.processed_at = now
            row.save(update_fields=_PROCESSED_FIELDS)  # not the raw bytes: they never change
            return row
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        reason = str(exc) if isinstance(exc, MailRejected | InvalidInput) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, InvalidInput):
            reason = exc.message
        logger.warning("inbound mail %s quarantined: %s", inbound_id, reason, exc_info=not isinstance(
            exc, MailRejected | InvalidInput))
        InboundMail.objects.filter(pk=inbound_id).update(
            status=InboundStatus.QUARANTINED, outcome=Outcome.FAILED, reason=reason[:5000],
            attempts=F("attempts") + 1, processed_at=now,
        )
        return InboundMail.objects.get(pk=inbound_id)


# What processing writes back to the stored row (everything except what inbound_store kept).
_PROCESSED_FIELDS = (
    "status", "outcome", "reason", "attempts", "message_id", "fingerprint", "subject", "sender", "ticket",
    "ticket_message", "thread_rule", "details", "processed_at",
)


def inbound_reprocess(*, inbound_id: int, now: datetime, as_human: bool = False) -> InboundMail:
    """The admin's one-click retry. Already-made tickets are not touched: only failed or parked mail."""
    row = InboundMail.objects.get(pk=inbound_id)
    retryable = row.status == InboundStatus.QUARANTINED or (
        row.status == InboundStatus.RECEIVED
        or (as_human and row.outcome in {Outcome.AUTO_REPLY, Outcome.SPAM, Outcome.IGNORED, Outcome.BOUNCE})
    )
    if not retryable:
        return row
    InboundMail.objects.filter(pk=inbound_id).update(status=InboundStatus.RECEIVED, reason="")
    return inbound_process(inbound_id=inbound_id, now=now, reprocess=True, as_human=as_human)


lookups.depends_on("mail.mailbox_addresses", Mailbox)


def own_addresses() -> set[str]:
    """Our mailboxes' addresses and the default sender, lower-cased (the mailbox list is a cached lookup)."""
    addresses = set(lookups.remembered("mail.mailbox_addresses", lambda: sorted(
        address.lower() for address in Mailbox.objects.values_list("email_address", flat=True))))
    addresses.add(str(settings.DEFAULT_FROM_EMAIL).lower())
    return addresses


def _process(row: InboundMail, *, now: datetime, as_human: bool) -> None:
    raw = bytes(row.raw)
    parsed = parse_mail(raw)
    fingerprint = row.fingerprint or content_fingerprint(raw)
    row.fingerprint = fingerprint
    row.message_id = parsed.message_id or synthetic_message_id(fingerprint)
    row.subject = parsed.subject[:998]
    row.sender = parsed.from_email[:254]
    details: dict[str, Any] = {"defects": sorted(set(parsed.defects))[:30]}
    if not parsed.message_id:
        details["synthetic_message_id"] = True
    row.details = details
    row.outcome, row.reason, row.ticket, row.ticket_message, row.thread_rule = "", "", None, None, ""

    duplicate = (
        InboundMail.objects.filter(message_id=row.message_id, fingerprint=fingerprint,
                                   status=InboundStatus.PROCESSED)
        .exclude(pk=row.pk).exclude(outcome=Outcome.FAILED).order_by("pk")
        .only("pk", "ticket_id", "ticket_message_id").first()  # not its raw bytes
    )
    if duplicate is not None:
        row.outcome, row.ticket_id = Outcome.DUPLICATE, duplicate.ticket_id
        row.ticket_message_id = duplicate.ticket_message_id
        row.reason = _("Same message as inbound #%(id)s.") % {"id": duplicate.pk}
        return

    mailbox = row.mailbox
    ours = own_addresses() | ({row.address.lower()} if row.address else set())
    own_id = tokens.message_id_ticket_number(parsed.message_id) is not None
    if as_human:
        classification = Classification(kind=MailKind.HUMAN, reasons=("processed as a person's message by an admin",))
    else:
        classification = classify(
            parsed, own_addresses=ours, own_message_id=own_id,
            spam_header=mailbox.spam_header if mailbox else "X-Spam-Flag",
            spam_value=mailbox.spam_value if mailbox else "YES",
        )
    details["classification"] = {"kind": classification.kind.value, "reasons": list(classification.reasons)}
    target, rule, id_in_use = thread_target(parsed, sender=parsed.from_email, include_enclosed=classification.kind
                                             == MailKind.BOUNCE, own_id=row.message_id)
    row.thread_rule = rule

    if classification.kind == MailKind.OWN_LOOP:
        row.outcome, row.ticket = Outcome.IGNORED, target
        row.reason = _("Our own mail came back: %(why)s") % {"why": ", ".join(classification.reasons)}
        return
    if classification.kind == MailKind.BOUNCE:
        row.outcome, row.ticket = Outcome.BOUNCE, target
        row.reason = _bounce_record(classification, target, now=now)
        return
    if classification.kind == MailKind.AUTO_REPLY:
        row.outcome, row.ticket = Outcome.AUTO_REPLY, target
        row.reason = ", ".join(classification.reasons)
        return
    if classification.kind == MailKind.SPAM:
        row.outcome, row.reason = Outcome.SPAM, ", ".join(classification.reasons)
        return
    _ingest_human(row, parsed, classification, target=target, rule=rule, ours=ours, now=now, id_in_use=id_in_use)


# ---------------------------------------------------------------- threading


@dataclass(frozen=True)
class _Evidence:
    ticket: Ticket | None
    rule: str


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


def _tickets_by_number(numbers: Iterable[int]) -> dict[int, Ticket]:
    wanted = set(numbers)
    return {ticket.number: ticket for ticket in Ticket.objects.filter(number__in=wanted)} if wanted else {}


def thread_target(
    parsed: ParsedMail, *, sender: str, include_enclosed: bool = False, own_id: str = ""
) -> tuple[Ticket | None, str, bool | None]:
    """The ticket, the rule that found it, and whether a ticket message already carries `own_id` (the
    message's own Message-ID), answered by the known-ids query when it runs (None when it did not).

    Strongest evidence first: signed token, our Message-ID, any known Message-ID, the [#N] tag of a
    participant. Never the subject text alone. Each kind of evidence is looked up in one query."""
    evidence = thread_evidence(parsed, include_enclosed=include_enclosed)
    if evidence.token_numbers:
        by_token = _tickets_by_number(evidence.token_numbers)
        for token_number in evidence.token_numbers:
            if token_number in by_token:
                return by_token[token_number], "token", None
    ids = evidence.message_ids
    found = _tickets_by_number(number for number in evidence.id_numbers if number is not None)
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
                return Ticket.objects.filter(pk=known[message_id]).first(), "known_message_id", in_use
    if sender:
        for number in evidence.subject_numbers:
            ticket = Ticket.objects.filter(number=number).first()
            if ticket is not None and _participant(ticket, sender):
                return ticket, "subject_tag", in_use
    return None, "new", in_use


# ---------------------------------------------------------------- human mail


def _valid_address(address: str) -> bool:
    if not address or len(address) > 150:  # User.username is the address and holds 150 characters
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _inline_url(inbound_id: int, index: int) -> str:
    # An image shown in the body asks to be shown inline; the download route judges its bytes.
    return reverse("mail:inline", kwargs={"inbound_id": inbound_id, "index": index}) + "?inline=1"


def _ingest_human(
    row: InboundMail, parsed: ParsedMail, classification: Classification, *, target: Ticket | None, rule: str,
    ours: set[str], now: datetime, id_in_use: bool | None = None,
) -> None:
    sender = parsed.from_email.lower()
    if not _valid_address(sender):
        raise MailRejected(_("The sender address %(address)r is missing or not valid.") % {"address": sender[:200]})
    if sender in ours or tokens.base_address(sender) in ours:
        raise MailRejected(_("The message claims to come from our own address %(address)s.") % {"address": sender})
    limit = ticket_services.upload_limit(None)  # the sender's account is found later, in ticket_ingest
    attachments: list[InboundAttachment] = []
    cid_urls: dict[str, str] = {}
    inline_files: dict[str, int] = {}
    too_large: list[str] = []
    for attachment in parsed.attachments:
        if len(attachment.content) > limit:
            too_large.append(f"{attachment.filename} ({len(attachment.content) / 1024 / 1024:.1f} MB)")
            continue
        index = len(attachments)
        attachments.append(InboundAttachment(
            filename=attachment.filename, content=attachment.content, content_type=attachment.content_type,
        ))
        if attachment.content_id:
            cid_urls[attachment.content_id] = _inline_url(row.pk, index)
            inline_files[attachment.content_id] = index
    mailbox = row.mailbox
    body = build_body(
        text=parsed.text, html=parsed.html, cid_urls=cid_urls, quoted_label=_("Show quoted text"),
        allow_remote_images=bool(mailbox and mailbox.allow_remote_images),
    )
    body_text = body.text
    if too_large:
        body_text += "\n\n" + _(
            "Attachments too large to add here (kept in the original message): %(names)s"
        ) % {"names": ", ".join(too_large)}
    if not body_text.strip() and not attachments:
        body_text = _("(empty message)")
    watcher_emails: list[str] = []
    for _name, address in [*parsed.cc, *parsed.to]:
        address = address.lower()
        if address == sender or address in ours or tokens.base_address(address) in ours:
            continue
        if _valid_address(address) and address not in watcher_emails:
            watcher_emails.append(address)
    external_id = row.message_id
    if id_in_use is None:
        id_in_use = Message.objects.filter(external_id=external_id, channel=CHANNEL).exists()
    if id_in_use:
        # Same Message-ID, different content: broken mailers reuse ids. Not a duplicate; keep both.
        external_id = f"{row.message_id}#{row.fingerprint[:16]}"
        row.details["reused_message_id"] = True
    inbound = InboundMessage(
        sender_email=sender,
        sender_name=parsed.from_name,
        channel=CHANNEL,
        subject=parsed.subject,
        body_text=body_text,
        body_html=body.html,
        external_id=external_id,
        references=tuple(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)])),
        ticket_id=target.pk if target is not None else None,
        attachments=tuple(attachments),
        raw_ref=f"mail:{row.pk}",
        request_type_code=mailbox.request_type.code if mailbox and mailbox.request_type else "",
        category_id=mailbox.category_id if mailbox else None,
        team_id=mailbox.team_id if mailbox else None,
        watcher_emails=tuple(watcher_emails[:MAX_WATCHERS_PER_MESSAGE]),
        mailbox=mailbox.email_address if mailbox else "",
    )
    # The id was just read as unused in this transaction (ingest need not ask again); a failure rolls back
    # this whole transaction (the row stays "received"), so ingest opens no savepoint of its own.
    result = ticket_services.ticket_ingest(inbound=inbound, now=now, external_id_unused=not id_in_use,
                                           savepoint=False)
    row.ticket = result.ticket
    row.ticket_message = result.message
    row.outcome = result.outcome
    if inline_files:
        row.details["inline"] = inline_files
    if result.outcome == "new_ticket" and target is not None:
        row.details["follow_up_of"] = target.number
        row.reason = _("Ticket #%(number)s is closed or not open to this sender; a follow-up was opened.") % {
            "number": target.number}
    if result.outcome == "reply":
        row.details["threaded_by"] = rule
    if classification.reasons:
        row.details["no_auto_answer"] = list(classification.reasons)
    if result.outcome == "new_ticket" and not classification.no_auto_answer and result.message is not None:
        _acknowledge(row, result.ticket, result.message, sender=sender, now=now)


def _acknowledge(row: InboundMail, ticket: Ticket, first: Message, *, sender: str, now: datetime) -> None:
    """The acknowledgement of a ticket this transaction opened with `first`, the message that opened it."""
    mailbox = row.mailbox
    if mailbox is None or not mailbox.send_acknowledgement:
        return
    language = mail_language(ticket.requester, sample=f"{ticket.subject} {row.subject}")
    context = {"ticket": ticket, "mailbox": mailbox}
    with translation.override(language):
        subject = render_to_string(f"mail/acknowledgement_subject.{language}.txt", context).strip()
        body = render_to_string(f"mail/acknowledgement.{language}.txt", context)
    # outbound_enqueue's checks, with the new ticket and the mailbox already in hand (no re-reads). The key
    # names a ticket this transaction created, and this is the one place that writes it, once per ticket: no
    # mail can be queued under it yet (not asked) and no other transaction can write it (no savepoint).
    # The ticket's mail thread so far is its first message alone (nothing was mailed about it yet).
    _outbound_write(
        to=[sender], subject=subject, body_text=body, body_html="", ticket=ticket,
        kind=OutboundKind.ACKNOWLEDGEMENT, auto_generated=True, dedupe_key=f"ack:{ticket.pk}", cc=None,
        reply_message=None, now=now, mailbox=mailbox, attachment_ids=(), contested=False,
        thread=_thread_chain([(first.created_at, first.external_id)] if first.external_id else [], []),
    )


_CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")


def mail_language(user: User | None, *, sample: str = "") -> str:
    """The person's language; for someone we only know from one mail, the language they wrote in."""
    language = (user.language if user else "") or ""
    if language[:2] in {"ru", "en"}:
        return language[:2]
    if _CYRILLIC.search(sample):
        return "ru"
    default = conf.default_language()[:2]
    return default if default in {"ru", "en"} else "en"


# ---------------------------------------------------------------- bounces


def _bounce_record(classification: Classification, ticket: Ticket | None, *, now: datetime) -> str:
    lines = []
    for failure in classification.failed_recipients:
        if not failure.recipient or "@" not in failure.recipient:
            continue
        permanent = failure.status.startswith("5") or (not failure.status and failure.action == "failed")
        if permanent and _valid_address(failure.recipient):
            UndeliverableAddress.objects.update_or_create(
                email=failure.recipient.lower()[:254],
                defaults={"status": failure.status, "diagnostic": failure.diagnostic[:2000],
                          "ticket": ticket, "bounced_at": now},
            )
        lines.append(
            _("Delivery to %(address)s failed (%(status)s): %(diagnostic)s") % {
                "address": failure.recipient, "status": failure.status or failure.action or "?",
                "diagnostic": failure.diagnostic or "-"}
            if permanent else
            _("Delivery to %(address)s is delayed (%(status)s): %(diagnostic)s") % {
                "address": failure.recipient, "status": failure.status or failure.action or "?",
                "diagnostic": failure.diagnostic or "-"}
        )
    summary = "\n".join(lines) or _("A delivery failure report without readable recipients.")
    if ticket is not None and lines:
        # A system note for agents; the bounce itself never reaches the requester and never reopens.
        ticket_services.ticket_add_note(
            actor=None,  # a system note
            ticket_id=ticket.pk, body_text=summary, now=now,
        )
    return summary[:5000]


def address_is_undeliverable(address: str) -> bool:
    return UndeliverableAddress.objects.filter(email=address.lower()).exists()


# ================================================================ outbound


def subject_with_tag(subject: str, number: int) -> str:
    """Exactly one [#N]; an existing tag for this ticket is not repeated (django-helpdesk #756)."""
    subject = " ".join((subject or "").split())
    if f"[#{number}]" in subject:
        return subject
    return f"{subject} [#{number}]".strip()


def _mailbox_for(ticket: Ticket | None, mailbox_id: int | None) -> Mailbox | None:
    if mailbox_id is not None:
        return Mailbox.objects.filter(pk=mailbox_id).first()
    if ticket is not None:
        came_in = (
            InboundMail.objects.filter(ticket=ticket, mailbox__isnull=False, mailbox__is_active=True)
            .order_by("-received_at").select_related("mailbox").first()
        )
        if came_in is not None:
            return came_in.mailbox
    return Mailbox.objects.filter(is_active=True).order_by("pk").first()


def _recipients_guard(addresses: Iterable[str], *, automatic: bool, ours: set[str]) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    dropped: list[str] = []
    undeliverable = set(
        UndeliverableAddress.objects.filter(email__in=[a.lower() for a in addresses]).values_list("email", flat=True)
    )
    for address in addresses:
        cleaned = (address or "").strip()
        lowered = cleaned.lower()
        if not cleaned or lowered in kept:
            continue
        if (
            lowered in ours or tokens.base_address(lowered) in ours or lowered in undeliverable
            or (automatic and not may_answer_automatically(lowered))
        ):
            dropped.append(lowered)
            continue
        kept.append(cleaned)
    return kept, dropped


def _thread_ids(ticket: Ticket, *, before: Message | None) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for mail about a ticket: the customer's last mail, and the chain."""
    messages = Message.objects.filter(ticket=ticket, channel=CHANNEL, is_internal=False).exclude(external_id="")
    if before is not None:
        messages = messages.filter(Q(created_at__lt=before.created_at) | Q(created_at=before.created_at,
                                                                          pk__lt=before.pk))
    inbound = [(m.created_at, m.external_id) for m in messages.only("created_at", "external_id")]
    outbound = [
        (created_at, message_id) for created_at, message_id in
        OutboundMail.objects.filter(ticket=ticket, status__in=[OutboundStatus.SENT, OutboundStatus.PENDING])
        .values_list("created_at", "message_id")
    ]
    return _thread_chain(inbound, outbound)


def _thread_chain(
    inbound: list[tuple[datetime, str]], outbound: list[tuple[datetime, str]]
) -> tuple[str, list[str]]:
    """(In-Reply-To, References) from the ticket's customer mail and our mail, each (sent at, Message-ID)."""
    inbound = [(at, external_id.split("#", 1)[0]) for at, external_id in inbound]
    chain = [message_id for _at, message_id in sorted(inbound + outbound)]
    chain = list(dict.fromkeys(chain))
    in_reply_to = sorted(inbound)[-1][1] if inbound else (chain[-1] if chain else "")
    references = chain[:1] + chain[1:][-8:] if chain else []
    return in_reply_to, references


def outbound_enqueue(
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    ticket_id: int | None = None,
    kind: str = "notification",
    auto_generated: bool = True,
    dedupe_key: str = "",
    cc: list[str] | None = None,
    reply_message_id: int | None = None,
    now: datetime | None = None,
    mailbox_id: int | None = None,
    attachment_ids: Sequence[int] = (),
) -> OutboundMail | None:
    """Send (through a job with retries, after the caller's transaction commits) a mail about a ticket.

    kind: "reply" (a public agent reply, reply_message_id set), "acknowledgement", "notification".
    auto_generated: adds Auto-Submitted: auto-generated (RFC 3834), so responders stay quiet, and puts the
    mail under the loop guard (no daemons, no-reply or undeliverable addresses, per-recipient limits).
    dedupe_key: the same key is sent at most once (e.g. "sla_breach:<clock>:<due>"); a reply defaults to
    "reply:<message id>", so the mail app and notifications can both ask without a double send.
    Returns the outbox row (status "suppressed" when the loop guard held it back), or None when refused
    (an internal note is never mailed).
    """
    now = now or timezone.now()
    if kind not in OutboundKind.values:
        raise InvalidInput(_("Unknown outbound mail kind."))
    if not dedupe_key and kind == OutboundKind.REPLY and reply_message_id is not None:
        dedupe_key = f"reply:{reply_message_id}"
    if dedupe_key:
        existing = _queued(dedupe_key)
        if existing is not None:
            return existing
    ticket = Ticket.objects.filter(pk=ticket_id).first() if ticket_id is not None else None
    reply_message: Message | None = None
    if reply_message_id is not None:
        reply_message = Message.objects.filter(pk=reply_message_id).first()
        if reply_message is None or reply_message.is_internal:
            logger.warning("outbound mail refused: message %s is an internal note or absent", reply_message_id)
            return None
        if ticket is not None and reply_message.ticket_id != ticket.pk:
            raise InvalidInput(_("The message does not belong to this ticket."))
        ticket = ticket or reply_message.ticket
    return _outbound_write(
        to=to, subject=subject, body_text=body_text, body_html=body_html, ticket=ticket, kind=kind,
        auto_generated=auto_generated, dedupe_key=dedupe_key, cc=cc, reply_message=reply_message, now=now,
        mailbox=_mailbox_for(ticket, mailbox_id), attachment_ids=attachment_ids,
    )


def _queued(dedupe_key: str) -> OutboundMail | None:
    """The mail already queued under this key (keys are stored cut to the column's 300 characters)."""
    return OutboundMail.objects.filter(dedupe_key=dedupe_key[:300]).first()


def _outbound_write(
    *, to: list[str], subject: str, body_text: str, body_html: str, ticket: Ticket | None, kind: str,
    auto_generated: bool, dedupe_key: str, cc: list[str] | None, reply_message: Message | None, now: datetime,
    mailbox: Mailbox | None, attachment_ids: Sequence[int], contested: bool = True,
    thread: tuple[str, list[str]] | None = None,
) -> OutboundMail:
    """outbound_enqueue after its checks, with the ticket, the message and the mailbox already read.

    `thread`: the ticket's (In-Reply-To, References) when the caller knows them (`_thread_chain`), else read."""
    from_address = mailbox.email_address if mailbox else str(settings.DEFAULT_FROM_EMAIL)
    automatic = auto_generated or kind != OutboundKind.REPLY
    ours = own_addresses()
    recipients, dropped = _recipients_guard(to, automatic=automatic, ours=ours)
    cc_recipients, cc_dropped = _recipients_guard(
        [address for address in (cc or []) if address.lower() not in {r.lower() for r in recipients}],
        automatic=automatic, ours=ours,
    )
    recipient_key = (recipients[0] if recipients else (to[0] if to else "")).lower()[:254]
    suppressed = ""
    if not recipients:
        suppressed = _("No deliverable recipient (held back: %(addresses)s).") % {
            "addresses": ", ".join(dropped + cc_dropped) or "-"}
    elif automatic:
        suppressed = _rate_limit(kind=kind, recipient=recipient_key, mailbox=mailbox, now=now)
    number = ticket.number if ticket is not None else 0
    message_id = tokens.message_id_new(ticket_number=number, domain=tokens.mail_domain(from_address))
    headers: dict[str, str] = {"Message-ID": f"<{message_id}>", "X-Loop": from_address,
                               LOOP_HEADER: from_address}
    if ticket is not None:
        subject = subject_with_tag(subject, ticket.number)
        in_reply_to, references = thread if thread is not None else _thread_ids(ticket, before=reply_message)
        domain = tokens.mail_domain(from_address)
        if in_reply_to:
            headers["In-Reply-To"] = f"<{in_reply_to}>"
        chain = [*references, f"otk.ticket.{ticket.number}@{domain}"]
        headers["References"] = " ".join(f"<{item}>" for item in chain)[:990]
        if mailbox is None or mailbox.reply_to_token:
            headers["Reply-To"] = tokens.reply_address(ticket_number=ticket.number, address=from_address)
    if automatic:
        headers["Auto-Submitted"] = "auto-replied" if kind == OutboundKind.ACKNOWLEDGEMENT else "auto-generated"
        headers["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    if reply_message is not None and not attachment_ids:
        attachment_ids = list(reply_message.attachments.values_list("pk", flat=True))
    try:
        # A savepoint, so a concurrent sender's row with the same dedupe key leaves the caller's transaction
        # usable; not needed when no other transaction can hold the key (`contested` False).
        with transaction.atomic() if contested else nullcontext():
            row = OutboundMail.objects.create(
                kind=kind, status=OutboundStatus.SUPPRESSED if suppressed else OutboundStatus.PENDING,
                mailbox=mailbox, ticket=ticket, reply_message=reply_message, from_address=from_address,
                to=recipients, cc=cc_recipients, recipient_key=recipient_key, subject=subject[:998],
                body_text=body_text, body_html=body_html, headers=headers, message_id=message_id,
                auto_generated=automatic, dedupe_key=dedupe_key[:300] or None,
                attachment_ids=list(attachment_ids), last_error=suppressed, created_at=now,
            )
    except IntegrityError:
        existing = OutboundMail.objects.filter(dedupe_key=dedupe_key[:300]).first() if dedupe_key else None
        if existing is None:
            raise
        return existing
    if suppressed:
        logger.info("outbound %s %s to %s held back: %s", kind, row.pk, recipient_key, suppressed)
    else:
        # One sending job serves every mail committed before it starts (core.wakeups), not one job per mail;
        # its wake-up is claimed in the statement that claims the transaction's other wake-ups.
        wake_on_commit(OUTBOX_WAKE, _kick_outbox)
    return row


def _rate_limit(*, kind: str, recipient: str, mailbox: Mailbox | None, now: datetime) -> str:
    """The loop guard: one acknowledgement per sender per window, a cap on all automatic mail."""
    live = [OutboundStatus.PENDING, OutboundStatus.SENT]
    minutes = mailbox.acknowledgement_window_minutes if mailbox else 60
    hour_ago = now - timedelta(hours=1)
    # Both limits in one query: the window's acknowledgements and the hour's automatic mail to this address.
    counts = OutboundMail.objects.filter(
        recipient_key=recipient, status__in=live, created_at__gte=min(hour_ago, now - timedelta(minutes=minutes)),
    ).aggregate(
        acknowledgements=Count("pk", filter=Q(kind=OutboundKind.ACKNOWLEDGEMENT,
                                              created_at__gte=now - timedelta(minutes=minutes))),
        automatic=Count("pk", filter=Q(auto_generated=True, created_at__gte=hour_ago)),
    )
    if kind == OutboundKind.ACKNOWLEDGEMENT and counts["acknowledgements"]:
        return _("An acknowledgement was already sent to %(address)s within %(minutes)s minutes.") % {
            "address": recipient, "minutes": minutes}
    cap = conf.automatic_per_hour()
    sent = counts["automatic"]
    if sent >= cap:
        return _("%(address)s already got %(count)s automatic messages this hour.") % {
            "address": recipient, "count": sent}
    return ""


OUTBOX_WAKE = "mail.outbox"
OUTBOX_BATCH = 500


def _kick_outbox() -> None:
    from otklik.mail.tasks import outbox_send_task

    outbox_send_task()


def outbox_send_due(
    *, now: datetime, created_before: datetime | None = None, limit: int = OUTBOX_BATCH
) -> tuple[int, int]:
    """Send the outbox rows that are due (pending, unclaimed or past their back-off), oldest first, at most
    `limit`; (rows tried, rows sent). Each row is claimed by `outbound_send`, so the sending job, the sweep and a second
    worker never send one twice; a temporary failure leaves the row pending with its back-off, for the sweep."""
    due = OutboundMail.objects.filter(status=OutboundStatus.PENDING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
    if created_before is not None:
        due = due.filter(created_at__lte=created_before)
    tried = list(due.order_by("pk").values_list("pk", flat=True)[:limit])
    sent = 0
    for outbound_id in tried:
        try:
            if outbound_send(outbound_id=outbound_id, now=now) == OutboundStatus.SENT:
                sent += 1
        except OutboundRetry:
            continue
    return len(tried), sent


class OutboundRetry(Exception):
    """The mail server did not take the message; the job tries again later."""


def _email_for(row: OutboundMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject, body=row.body_text, from_email=row.from_address, to=list(row.to),
        cc=list(row.cc), headers=dict(row.headers),
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    if not row.attachment_ids:  # most mail carries none: nothing to ask
        return message
    for attachment in Attachment.objects.filter(pk__in=row.attachment_ids).order_by("pk"):
        with attachment.file.open("rb") as handle:
            message.attach(attachment.filename, handle.read(), attachment.content_type)
    return message


def outbound_send(*, outbound_id: int, now: datetime) -> str:
    """Send one outbox row through settings.MAILERS; returns its status. Raises OutboundRetry on a
    temporary failure (the caller, a job, retries). Claimed first, so two workers never both send."""
    claimed = OutboundMail.objects.filter(pk=outbound_id, status=OutboundStatus.PENDING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    ).update(claimed_until=now + timedelta(minutes=10))
    row = OutboundMail.objects.filter(pk=outbound_id).first()
    if row is None:
        return "absent"
    if not claimed:
        return str(row.status)
    try:
        _email_for(row).send(using=conf.mailer())
    except Exception as exc:
        attempts = row.attempts + 1
        final = attempts >= conf.send_attempts()
        OutboundMail.objects.filter(pk=outbound_id).update(
            attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000],
            status=OutboundStatus.FAILED if final else OutboundStatus.PENDING,
            claimed_until=now + timedelta(seconds=60 * 2 ** min(attempts, 6)),
        )
        logger.warning("outbound mail %s attempt %s failed: %s", outbound_id, attempts, type(exc).__name__)
        if final:
            return OutboundStatus.FAILED.value
        raise OutboundRetry(str(exc)) from exc
    OutboundMail.objects.filter(pk=outbound_id).update(
        status=OutboundStatus.SENT, sent_at=now, attempts=row.attempts + 1, last_error="", claimed_until=None
    )
    return OutboundStatus.SENT.value


# ---------------------------------------------------------------- agent replies from the outbox


def reply_mail_from_event(*, ticket: Ticket, message_id: int, now: datetime) -> OutboundMail | None:
    """A public staff reply becomes a mail to the requester (watchers outside support in Cc).

    Called from the `ticket_event_recorded` receiver, inside the reply's transaction: the outbox row
    commits with the reply or not at all. Internal notes never get here, and are refused if they do.
    """
    message = Message.objects.filter(pk=message_id, ticket=ticket).select_related("author").first()
    if message is None or message.is_internal:
        return None
    requester = ticket.requester
    if not requester.email or requester.is_staff_member:
        return None
    watchers = [
        user.email for user in ticket.watchers.all()
        if user.email and not user.is_staff_member and user.pk != requester.pk
    ]
    # The addresses the agent copied this reply to (validated by the reply service), once each.
    copied = [address for address in message.cc or [] if address not in watchers and address != requester.email]
    language = mail_language(requester, sample=ticket.subject)
    context = {"ticket": ticket, "message": message, "author": message.author}
    with translation.override(language):
        subject = _("Re: %(subject)s") % {"subject": ticket.subject}
        body_text = render_to_string(f"mail/reply.{language}.txt", context)
        body_html = render_to_string(f"mail/reply.{language}.html", context)
    return outbound_enqueue(
        to=[requester.email], cc=[*watchers, *copied], subject=subject, body_text=body_text, body_html=body_html,
        ticket_id=ticket.pk, kind=OutboundKind.REPLY, auto_generated=False, reply_message_id=message.pk, now=now,
    )


# ================================================================ sweeping


def pending_work_sweep(*, now: datetime, older_than: timedelta = timedelta(minutes=1)) -> dict[str, int]:
    """The restart path: mail stored but never processed (a worker died), outbox rows never sent."""
    stale = list(
        InboundMail.objects.filter(status=InboundStatus.RECEIVED, received_at__lte=now - older_than)
        .order_by("received_at", "pk").values_list("pk", flat=True)[:500]
    )
    for inbound_id in stale:
        inbound_process(inbound_id=inbound_id, now=now)
    _tried, sent = outbox_send_due(now=now, created_before=now - older_than)
    return {"processed": len(stale), "sent": sent}


def import_source_for(kind: str) -> str:
    return InboundSource.PIPE if kind == "pipe" else InboundSource.IMPORT
