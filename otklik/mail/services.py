"""Email channel services: store raw mail and turn it into tickets.

Sending is `otklik.mail.outbound` (`outbound_enqueue`, the one way any part of Otklik sends mail).

Inbound: `inbound_store` keeps the raw bytes in their own short transaction, then `inbound_process`
parses, classifies, deduplicates, threads and calls `tickets.services.ticket_ingest`, all in one
transaction: a crash anywhere leaves the row "received" and the next run processes it exactly once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from otklik.core import lookups
from otklik.core.errors import InvalidInput
from otklik.mail import conf, guardmemo, tokens
from otklik.mail.bodies import build_body
from otklik.mail.classify import Classification, MailKind, classify
from otklik.mail.models import (
    InboundMail,
    InboundSource,
    InboundStatus,
    Mailbox,
    OutboundKind,
    Outcome,
    UndeliverableAddress,
)
from otklik.mail.outbound import mail_language, outbound_write, outbox_send_due, own_addresses, thread_chain
from otklik.mail.parsing import ParsedMail, content_fingerprint, parse_mail, synthetic_message_id
from otklik.mail.threads import CHANNEL, thread_target
from otklik.tickets import services as ticket_services
from otklik.tickets import uploads
from otklik.tickets.inbound import InboundAttachment, InboundMessage
from otklik.tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

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
            row = _new_inbound(raw=raw, source=source, now=now, mailbox=mailbox, address=address, filename=filename,
                               uidvalidity=uidvalidity, uid=uid)
            row.save(force_insert=True)
            if enqueue:
                transaction.on_commit(partial(_enqueue_processing, row.pk))
    except IntegrityError:
        # Two pollers raced for the same uid: the other one stored it.
        existing = InboundMail.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).first()
        if existing is None:
            raise
        return existing, False
    return row, True


def _new_inbound(*, raw: bytes, source: str, now: datetime, mailbox: Mailbox | None, address: str, filename: str,
                 uidvalidity: int | None = None, uid: int | None = None) -> InboundMail:
    """The stored row of a raw message, not saved yet (`inbound_store` saves one, `inbound_intake` a burst)."""
    return InboundMail(
        mailbox=mailbox, address=(address or (mailbox.email_address if mailbox else ""))[:254], source=source,
        uidvalidity=uidvalidity, uid=uid, filename=filename[:500], raw=raw, size=len(raw), received_at=now,
        fingerprint=content_fingerprint(raw),
    )


def _enqueue_processing(inbound_id: int) -> None:
    from otklik.mail.tasks import inbound_process_task

    inbound_process_task(inbound_id)


# ================================================================ inbound: process


def inbound_process(
    *, inbound_id: int, now: datetime, reprocess: bool = False, as_human: bool = False
) -> InboundMail:
    """Parse, classify, dedupe, thread and ingest one stored message, exactly once, in its own transaction.

    reprocess: run a quarantined (or parked automated) message again, after a fix.
    as_human: an admin decided the classifier was wrong; process it as a person's message.
    Never raises for a bad message: it is quarantined with the reason. Database outages do raise,
    so the job is retried. Several stored messages at once: `inbound_process_batch`.
    """
    try:
        with transaction.atomic():
            # The mailbox (its settings) comes with the locked row; only the row itself is locked.
            row = _inbound_rows().filter(pk=inbound_id).first()
            if row is None:
                raise InvalidInput(_("No such inbound message."))
            if row.status != InboundStatus.RECEIVED and not reprocess:
                return row
            _process_row(row, raw=bytes(row.raw), now=now, as_human=as_human)
            return row
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        return _quarantine(inbound_id, exc, now=now)


def inbound_process_batch(*, inbound_ids: Sequence[int], now: datetime) -> list[InboundMail]:
    """Process several stored messages in one transaction, each in its own savepoint, in the order they
    were stored; the processed rows in that order.

    What a fetch or an import hands over comes in bursts: one commit for the burst instead of one per
    message. Each message is still all or nothing: one that fails is rolled back to its savepoint and
    quarantined with the reason (its raw bytes stay, as they were committed before), and the others
    commit. (After a fallback, described below, the rows found already processed are returned too.)
    Rows another worker holds are skipped (that worker processes them) and rows already processed
    are left alone, so running a batch twice, or a batch and `inbound_process` together, processes each
    message once. A database error (outage, deadlock) rolls the whole batch back, so nothing of it is
    written and every row is still "received"; the messages are then taken one by one, each in its own
    transaction, as `inbound_process` does (an outage raises from there and the job is retried)."""
    wanted = sorted(set(inbound_ids))
    if not wanted:
        return []
    try:
        with transaction.atomic():
            rows = list(
                _inbound_rows(skip_locked=True).filter(pk__in=wanted, status=InboundStatus.RECEIVED)
                .defer("raw").order_by("pk")
            )
            return [done for group in _with_raw_bytes(rows) for done in _process_group(group, now=now)]
    except (OperationalError, InterfaceError) as exc:
        logger.warning("inbound mail batch %s..%s rolled back (%s): one message at a time", wanted[0], wanted[-1],
                       type(exc).__name__)
        return [inbound_process(inbound_id=inbound_id, now=now) for inbound_id in wanted]


def inbound_intake(
    *, raws: Sequence[tuple[bytes, str]], source: str, now: datetime, mailbox: Mailbox | None = None,
    address: str = "",
) -> list[InboundMail]:
    """Store a burst of raw messages (bytes, file name) in one commit, then process them as one batch:
    the importer's way, the rows in the order given. Nothing is lost if the process dies between the two:
    the stored rows are "received" and the sweep processes them."""
    with transaction.atomic():
        stored = InboundMail.objects.bulk_create([
            _new_inbound(raw=raw, source=source, now=now, mailbox=mailbox, address=address, filename=filename)
            for raw, filename in raws
        ])
    processed = {row.pk: row for row in inbound_process_batch(inbound_ids=[row.pk for row in stored], now=now)}
    return [processed.get(row.pk) or InboundMail.objects.get(pk=row.pk) for row in stored]


def _inbound_rows(*, skip_locked: bool = False) -> QuerySet[InboundMail]:
    """Stored rows locked for processing, with their mailbox (its settings); only the rows are locked."""
    return InboundMail.objects.select_for_update(of=("self",), skip_locked=skip_locked).select_related(
        "mailbox", "mailbox__request_type")


# Raw bytes read together for a batch, at most this much at a time (a batch of large messages is read in parts).
RAW_BYTES_PER_READ = 8 * 1024 * 1024


def _with_raw_bytes(rows: list[InboundMail]) -> Iterator[list[tuple[InboundMail, bytes]]]:
    group: list[InboundMail] = []
    size = 0
    for index, row in enumerate(rows):
        group.append(row)
        size += row.size
        if size >= RAW_BYTES_PER_READ or index == len(rows) - 1:
            raws = dict(InboundMail.objects.filter(pk__in=[item.pk for item in group]).values_list("pk", "raw"))
            yield [(item, bytes(raws[item.pk])) for item in group]
            group, size = [], 0


def _process_group(group: list[tuple[InboundMail, bytes]], *, now: datetime) -> list[InboundMail]:
    """Messages of a batch read together: parsed first (no database), so the acknowledgements' guard reads
    (undeliverable addresses, the loop guard) are asked once for all their senders (`guardmemo`)."""
    parsed: list[ParsedMail | Exception] = []
    for _row, raw in group:
        try:
            parsed.append(parse_mail(raw))
        except Exception as exc:  # raised again inside the message's savepoint, as before
            parsed.append(exc)
    senders = [item.from_email for item in parsed if isinstance(item, ParsedMail)]
    window = max((row.mailbox.acknowledgement_window_minutes for row, _raw in group if row.mailbox is not None),
                 default=60)
    with guardmemo.remembered(senders, now=now, window=timedelta(minutes=window)) as memo:
        return [_process_in_savepoint(row, raw=raw, now=now, parsed=found, memo=memo)
                for (row, raw), found in zip(group, parsed, strict=True)]


def _process_row(row: InboundMail, *, raw: bytes, now: datetime, as_human: bool,
                 parsed: ParsedMail | Exception | None = None) -> None:
    row.attempts += 1
    _process(row, raw=raw, now=now, as_human=as_human, parsed=parsed)
    row.status = InboundStatus.PROCESSED
    row.processed_at = now
    row.save(update_fields=_PROCESSED_FIELDS)  # not the raw bytes: they never change


def _process_in_savepoint(row: InboundMail, *, raw: bytes, now: datetime, parsed: ParsedMail | Exception,
                          memo: guardmemo.GuardMemo) -> InboundMail:
    try:
        with transaction.atomic():
            _process_row(row, raw=raw, now=now, as_human=False, parsed=parsed)
    except (OperationalError, InterfaceError):
        memo.drop()
        raise
    except Exception as exc:
        memo.drop()  # rolled back to its savepoint: what it wrote is gone
        return _quarantine(row.pk, exc, now=now)
    memo.keep()
    return row


def _quarantine(inbound_id: int, exc: Exception, *, now: datetime) -> InboundMail:
    """Mark a message that could not be processed failed, with the reason; its raw bytes stay."""
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


def _process(row: InboundMail, *, raw: bytes, now: datetime, as_human: bool,
             parsed: ParsedMail | Exception | None = None) -> None:
    if isinstance(parsed, Exception):  # the batch parsed it beforehand and it failed: fail here, as before
        raise parsed
    parsed = parsed if parsed is not None else parse_mail(raw)
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
    # A person's message is written to the ticket it answers in this transaction: read it locked, once.
    human = classification.kind == MailKind.HUMAN
    target, rule, id_in_use = thread_target(parsed, sender=parsed.from_email, include_enclosed=classification.kind
                                             == MailKind.BOUNCE, own_id=row.message_id, lock=human)
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
    limit = uploads.upload_limit(None)  # the sender's account is found later, in ticket_ingest
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
    # this message's whole transaction, or its savepoint in a batch (the row stays "received" or is
    # quarantined), so ingest opens no savepoint of its own.
    result = ticket_services.ticket_ingest(inbound=inbound, now=now, external_id_unused=not id_in_use,
                                           savepoint=False, locked_target=target)
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
    outbound_write(
        to=[sender], subject=subject, body_text=body, body_html="", ticket=ticket,
        kind=OutboundKind.ACKNOWLEDGEMENT, auto_generated=True, dedupe_key=f"ack:{ticket.pk}", cc=None,
        reply_message=None, now=now, mailbox=mailbox, attachment_ids=(), contested=False,
        thread=thread_chain([(first.created_at, first.external_id)] if first.external_id else [], []),
    )


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
            if (memo := guardmemo.current()) is not None:  # later messages of the batch see it
                memo.note_undeliverable(failure.recipient.lower()[:254])
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


# ================================================================ sweeping


def pending_work_sweep(*, now: datetime, older_than: timedelta = timedelta(minutes=1)) -> dict[str, int]:
    """The restart path: mail stored but never processed (a worker died), outbox rows never sent."""
    stale = list(
        InboundMail.objects.filter(status=InboundStatus.RECEIVED, received_at__lte=now - older_than)
        .order_by("received_at", "pk").values_list("pk", flat=True)[:500]
    )
    for batch in itertools.batched(stale, conf.process_batch()):
        inbound_process_batch(inbound_ids=batch, now=now)
    _tried, sent = outbox_send_due(now=now, created_before=now - older_than)
    return {"processed": len(stale), "sent": sent}


def import_source_for(kind: str) -> str:
    return InboundSource.PIPE if kind == "pipe" else InboundSource.IMPORT
