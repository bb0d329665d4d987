"""Mail out: `outbound_enqueue` is the one way any part of Otklik sends mail; its keyword signature is a
contract shared with notifications and automation (new arguments are optional keywords only). Rows are
written to the outbox in the caller's transaction and sent after commit by one outbox job per burst
(`outbox_send_due`), each attempt logged, with backoff and rate limits; agent replies become mail from
their ticket events (`reply_mail_from_event`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.core import lookups
from otklik.core.errors import InvalidInput
from otklik.core.wakeups import wake_on_commit
from otklik.mail import conf, guardmemo, tokens
from otklik.mail.classify import LOOP_HEADER, may_answer_automatically
from otklik.mail.models import InboundMail, Mailbox, OutboundKind, OutboundMail, OutboundStatus, UndeliverableAddress
from otklik.tickets.models import Attachment, Message, Source, Ticket

logger = logging.getLogger(__name__)

_CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")


def own_addresses() -> set[str]:
    """Our mailboxes' addresses and the default sender, lower-cased (the mailbox list is a cached lookup)."""
    addresses = set(lookups.remembered("mail.mailbox_addresses", lambda: sorted(
        address.lower() for address in Mailbox.objects.values_list("email_address", flat=True))))
    addresses.add(str(settings.DEFAULT_FROM_EMAIL).lower())
    return addresses


def mail_language(user: User | None, *, sample: str = "") -> str:
    """The person's language; for someone we only know from one mail, the language they wrote in."""
    language = (user.language if user else "") or ""
    if language[:2] in {"ru", "en"}:
        return language[:2]
    if _CYRILLIC.search(sample):
        return "ru"
    default = conf.default_language()[:2]
    return default if default in {"ru", "en"} else "en"


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
    lowered_all = [a.lower() for a in addresses]
    memo = guardmemo.current()  # a batch of inbound mail read these once for its senders
    known = memo.undeliverable_among(lowered_all) if memo is not None else None
    undeliverable = known if known is not None else set(
        UndeliverableAddress.objects.filter(email__in=lowered_all).values_list("email", flat=True)
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
    messages = Message.objects.filter(ticket=ticket, channel=Source.EMAIL, is_internal=False).exclude(external_id="")
    if before is not None:
        messages = messages.filter(Q(created_at__lt=before.created_at) | Q(created_at=before.created_at,
                                                                          pk__lt=before.pk))
    inbound = [(m.created_at, m.external_id) for m in messages.only("created_at", "external_id")]
    outbound = [
        (created_at, message_id) for created_at, message_id in
        OutboundMail.objects.filter(ticket=ticket, status__in=[OutboundStatus.SENT, OutboundStatus.PENDING])
        .values_list("created_at", "message_id")
    ]
    return thread_chain(inbound, outbound)


def thread_chain(
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
    return outbound_write(
        to=to, subject=subject, body_text=body_text, body_html=body_html, ticket=ticket, kind=kind,
        auto_generated=auto_generated, dedupe_key=dedupe_key, cc=cc, reply_message=reply_message, now=now,
        mailbox=_mailbox_for(ticket, mailbox_id), attachment_ids=attachment_ids,
    )


def _queued(dedupe_key: str) -> OutboundMail | None:
    """The mail already queued under this key (keys are stored cut to the column's 300 characters)."""
    return OutboundMail.objects.filter(dedupe_key=dedupe_key[:300]).first()


def outbound_write(
    *, to: list[str], subject: str, body_text: str, body_html: str, ticket: Ticket | None, kind: str,
    auto_generated: bool, dedupe_key: str, cc: list[str] | None, reply_message: Message | None, now: datetime,
    mailbox: Mailbox | None, attachment_ids: Sequence[int], contested: bool = True,
    thread: tuple[str, list[str]] | None = None,
) -> OutboundMail:
    """outbound_enqueue after its checks, with the ticket, the message and the mailbox already read.

    `thread`: the ticket's (In-Reply-To, References) when the caller knows them (`thread_chain`), else read."""
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
    if (memo := guardmemo.current()) is not None:  # the batch's loop guard counts this row from now on
        memo.note_sent(recipient_key, kind=kind, automatic=automatic, status=row.status, at=now)
    if suppressed:
        logger.info("outbound %s %s to %s held back: %s", kind, row.pk, recipient_key, suppressed)
    else:
        # One sending job serves every mail committed before it starts (core.wakeups), not one job per mail;
        # its wake-up is claimed in the statement that claims the transaction's other wake-ups.
        wake_on_commit(OUTBOX_WAKE, _kick_outbox)
    return row


def _rate_limit(*, kind: str, recipient: str, mailbox: Mailbox | None, now: datetime) -> str:
    """The loop guard: one acknowledgement per sender per window, a cap on all automatic mail."""
    minutes = mailbox.acknowledgement_window_minutes if mailbox else 60
    memo = guardmemo.current()  # a batch of inbound mail read these once for its senders
    known = memo.counts(recipient, now=now, minutes=minutes) if memo is not None else None
    if known is not None:
        acknowledgements, sent = known
    else:
        acknowledgements, sent = _rate_counts(recipient=recipient, now=now, minutes=minutes)
    if kind == OutboundKind.ACKNOWLEDGEMENT and acknowledgements:
        return _("An acknowledgement was already sent to %(address)s within %(minutes)s minutes.") % {
            "address": recipient, "minutes": minutes}
    cap = conf.automatic_per_hour()
    if sent >= cap:
        return _("%(address)s already got %(count)s automatic messages this hour.") % {
            "address": recipient, "count": sent}
    return ""


def _rate_counts(*, recipient: str, now: datetime, minutes: int) -> tuple[int, int]:
    """(acknowledgements within `minutes`, automatic mail within the hour) to this address: live rows only."""
    live = [OutboundStatus.PENDING, OutboundStatus.SENT]
    hour_ago = now - timedelta(hours=1)
    # Both limits in one query: the window's acknowledgements and the hour's automatic mail to this address.
    counts = OutboundMail.objects.filter(
        recipient_key=recipient, status__in=live, created_at__gte=min(hour_ago, now - timedelta(minutes=minutes)),
    ).aggregate(
        acknowledgements=Count("pk", filter=Q(kind=OutboundKind.ACKNOWLEDGEMENT,
                                              created_at__gte=now - timedelta(minutes=minutes))),
        automatic=Count("pk", filter=Q(auto_generated=True, created_at__gte=hour_ago)),
    )
    return counts["acknowledgements"], counts["automatic"]


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


