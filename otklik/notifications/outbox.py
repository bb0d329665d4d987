"""Reading committed TicketEvents as an outbox, once per consumer, with any number of workers.

A worker locks a batch of unread events with `SELECT ... FOR UPDATE SKIP LOCKED` (so two workers take
different batches on PostgreSQL) and claims each one by inserting an OutboxReceipt: the receipt's unique
key is the real guarantee, so even a worker that read a stale snapshot cannot handle an event twice.
The handler runs in the same transaction as the receipt, so its rows (notifications, trigger effects)
commit together with the claim, or not at all.

The cursor only moves over events whose receipts are older than a grace period: an event id taken by a
transaction that commits late can appear below events already handled, and is still picked up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from otklik.notifications.models import OutboxCursor, OutboxReceipt, ReceiptState
from otklik.tickets.models import TicketEvent

logger = logging.getLogger(__name__)

CURSOR_GRACE = timedelta(minutes=10)
# An event older than this when first seen (a worker was down, or old data was imported) is not acted on.
MAX_EVENT_AGE = timedelta(days=3)

EventHandler = Callable[[TicketEvent], None]


def _pending(consumer: str, position: int, limit: int) -> list[TicketEvent]:
    """Lock at most `limit` unclaimed events; rows another worker holds are skipped, not waited for."""
    claimed = OutboxReceipt.objects.filter(consumer=consumer, event_id__gt=position).values("event_id")
    return list(
        TicketEvent.objects.filter(pk__gt=position)
        .exclude(pk__in=claimed)
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )


def outbox_run(
    *, consumer: str, handler: EventHandler, now: datetime, batch_size: int = 200, max_batches: int = 50
) -> int:
    """Handle unread events in id order; returns how many this worker handled. Safe to run concurrently."""
    handled = 0
    for _batch in range(max_batches):
        done_in_batch = _run_batch(consumer=consumer, handler=handler, now=now, batch_size=batch_size)
        handled += done_in_batch
        if done_in_batch < batch_size:
            break
    cursor_advance(consumer)
    return handled


def _run_batch(*, consumer: str, handler: EventHandler, now: datetime, batch_size: int) -> int:
    cursor, _created = OutboxCursor.objects.get_or_create(consumer=consumer)
    handled = 0
    with transaction.atomic():
        events = _pending(consumer, cursor.position, batch_size)
        for event in events:
            receipt = _claim(consumer, event)
            if receipt is None:
                continue  # another worker claimed it between our read and our insert
            handled += 1
            if event.created_at < now - MAX_EVENT_AGE:
                receipt.state = ReceiptState.SKIPPED
                receipt.error = "older than the outbox age limit"
                receipt.save(update_fields=["state", "error"])
                continue
            if "imported" in event.data:
                # History brought in from another help desk: it happened there, nobody is told again.
                receipt.state = ReceiptState.SKIPPED
                receipt.error = "imported history"
                receipt.save(update_fields=["state", "error"])
                continue
            try:
                with transaction.atomic():
                    handler(event)
            except Exception as exc:  # one broken event must not stop the others: it is marked and logged
                logger.exception("outbox %s: event %s (%s) failed", consumer, event.pk, event.kind)
                receipt.state = ReceiptState.FAILED
                receipt.error = f"{type(exc).__name__}: {exc}"[:2000]
                receipt.save(update_fields=["state", "error"])
    return handled


def _claim(consumer: str, event: TicketEvent) -> OutboxReceipt | None:
    try:
        with transaction.atomic():
            return OutboxReceipt.objects.create(consumer=consumer, event=event, processed_at=timezone.now())
    except IntegrityError:
        return None


def cursor_advance(consumer: str) -> int:
    """Move the cursor over the contiguous prefix of handled events that are past the grace period."""
    with transaction.atomic():
        cursor = OutboxCursor.objects.select_for_update(skip_locked=True).filter(consumer=consumer).first()
        if cursor is None:
            return 0
        claimed = OutboxReceipt.objects.filter(consumer=consumer, event_id__gt=cursor.position)
        first_unclaimed = (
            TicketEvent.objects.filter(pk__gt=cursor.position)
            .exclude(pk__in=claimed.values("event_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        settled = claimed.filter(processed_at__lt=timezone.now() - CURSOR_GRACE)
        if first_unclaimed is not None:
            settled = settled.filter(event_id__lt=first_unclaimed)
        # Stop below the oldest receipt still inside the grace period, so the prefix stays contiguous, and
        # below a failed event, which stays claimable again once an admin retries it.
        stoppers = claimed.filter(
            Q(processed_at__gte=timezone.now() - CURSOR_GRACE) | Q(state=ReceiptState.FAILED)
        )
        first_stopper = stoppers.order_by("event_id").values_list("event_id", flat=True).first()
        if first_stopper is not None:
            settled = settled.filter(event_id__lt=first_stopper)
        new_position: int | None = settled.aggregate(top=Max("event_id"))["top"]
        if new_position is None or new_position <= cursor.position:
            return cursor.position
        OutboxReceipt.objects.filter(consumer=consumer, event_id__lte=new_position).delete()
        cursor.position = new_position
        cursor.save(update_fields=["position", "updated_at"])
        return new_position


def outbox_skip_to_latest(consumer: str) -> int:
    """Mark every event recorded so far as read, e.g. after importing demo or historical data."""
    latest: int = TicketEvent.objects.aggregate(top=Max("pk"))["top"] or 0
    cursor, _created = OutboxCursor.objects.get_or_create(consumer=consumer)
    if latest > cursor.position:
        OutboxCursor.objects.filter(pk=cursor.pk).update(position=latest)
    return latest


def outbox_retry_failed(consumer: str) -> int:
    """Let failed events be handled again (after the cause was fixed): their receipts are removed.

    The cursor never passes a failed event, so removing the receipt is enough to make it pending again."""
    count, _ = OutboxReceipt.objects.filter(consumer=consumer, state=ReceiptState.FAILED).delete()
    return count
