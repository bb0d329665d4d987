"""Applying the retention policy: count first (dry run), then remove, each run recorded and audited."""

from __future__ import annotations

import calendar
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet

from otklik.accounts.models import User
from otklik.audit.models import AuditKind
from otklik.audit.services import audit_record
from otklik.chat.models import ChatMessage
from otklik.mail.models import InboundMail, InboundStatus
from otklik.privacy.models import ClosedTicketAction, RetentionPolicy, RetentionRun
from otklik.search.models import SearchEntry
from otklik.telegram.models import InboundUpdate, UpdateStatus
from otklik.tickets.models import Attachment, Message, StatusKind, Ticket

logger = logging.getLogger(__name__)

REDACTED = "[removed by the retention policy]"
BATCH = 200


def months_before(now: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def _old_closed_tickets(policy: RetentionPolicy, now: datetime) -> QuerySet[Ticket]:
    if policy.closed_ticket_months is None:
        return Ticket.objects.none()
    cutoff = months_before(now, policy.closed_ticket_months)
    tickets = Ticket.objects.filter(status__kind=StatusKind.CLOSED, closed_at__lt=cutoff)
    # Already anonymised tickets are done: a second run must count and touch nothing.
    return tickets.exclude(subject=REDACTED)


def _quarantined_mail(policy: RetentionPolicy, now: datetime) -> QuerySet[InboundMail]:
    if policy.quarantined_mail_days is None:
        return InboundMail.objects.none()
    cutoff = now - timedelta(days=policy.quarantined_mail_days)
    return InboundMail.objects.filter(status=InboundStatus.QUARANTINED, received_at__lt=cutoff)


def _telegram_updates(policy: RetentionPolicy, now: datetime) -> QuerySet[InboundUpdate]:
    if policy.telegram_update_days is None:
        return InboundUpdate.objects.none()
    cutoff = now - timedelta(days=policy.telegram_update_days)
    # Updates still waiting to be processed are kept whatever their age: removing them would lose requests.
    return InboundUpdate.objects.filter(received_at__lt=cutoff).exclude(status=UpdateStatus.RECEIVED)


def retention_counts(policy: RetentionPolicy, now: datetime) -> dict[str, int]:
    return {
        "closed_tickets": _old_closed_tickets(policy, now).count(),
        "quarantined_mail": _quarantined_mail(policy, now).count(),
        "telegram_updates": _telegram_updates(policy, now).count(),
    }


def _delete_files(ticket_ids: list[int]) -> int:
    deleted = 0
    for attachment in Attachment.objects.filter(ticket_id__in=ticket_ids):
        attachment.file.delete(save=False)
        deleted += 1
    Attachment.objects.filter(ticket_id__in=ticket_ids).delete()
    return deleted


def _tickets_batch(ticket_ids: list[int], action: str) -> int:
    with transaction.atomic():
        files = _delete_files(ticket_ids)
        InboundMail.objects.filter(ticket_id__in=ticket_ids).delete()
        if action == ClosedTicketAction.DELETE:
            # Other rows pointing at these tickets (chat cards, outbound mail) let go of them by SET_NULL.
            Ticket.objects.filter(pk__in=ticket_ids).delete()
            return files
        Ticket.objects.filter(pk__in=ticket_ids).update(subject=REDACTED, fields={})
        Message.objects.filter(ticket_id__in=ticket_ids).update(body_text=REDACTED, body_html="", raw_ref="")
        ChatMessage.objects.filter(ticket_id__in=ticket_ids).update(ticket=None)
        SearchEntry.objects.filter(ticket_id__in=ticket_ids).update(text=REDACTED)
    return files


def retention_apply(*, actor: User | None, now: datetime, dry_run: bool) -> RetentionRun:
    """Count (dry run) or remove what the policy says is too old. Records a run and an audit entry."""
    policy = RetentionPolicy.current()
    run = RetentionRun.objects.create(dry_run=dry_run, requested_by=actor, started_at=now)
    counts = retention_counts(policy, now)
    if not dry_run:
        ticket_ids = list(_old_closed_tickets(policy, now).values_list("pk", flat=True))
        files = 0
        for start in range(0, len(ticket_ids), BATCH):
            files += _tickets_batch(ticket_ids[start:start + BATCH], policy.closed_ticket_action)
        counts["files"] = files
        counts["quarantined_mail"] = _quarantined_mail(policy, now).delete()[0]
        counts["telegram_updates"] = _telegram_updates(policy, now).delete()[0]
    run.counts = counts
    run.finished_at = now
    run.save(update_fields=["counts", "finished_at"])
    audit_record(AuditKind.RETENTION_RUN, actor=actor, obj=run, changes={"dry_run": dry_run, **counts})
    logger.info("retention %s: %s", "dry run" if dry_run else "run", counts)
    return run
