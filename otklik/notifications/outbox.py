"""Reading committed TicketEvents as an outbox, once per consumer, with any number of workers.

A worker locks a batch of unread events with `SELECT ... FOR UPDATE SKIP LOCKED` (so two workers take
different batches on PostgreSQL) and claims them by inserting OutboxReceipts, the whole batch in one
statement that answers which rows it inserted: the receipt's unique key is the real guarantee, so even a
worker that read a stale snapshot cannot handle an event twice. The handler runs in the same transaction
as the receipts, so its rows (notifications, trigger effects) commit together with the claim, or not at all.

A consumer gives either a handler per event (each in its own savepoint: one broken event is marked failed
and the others go on) or a handler for the whole batch (one savepoint for the batch; when it fails, the
batch is rolled back and its events are handled one by one, so a broken event is still marked alone).

The cursor only moves over events whose receipts are older than a grace period: an event id taken by a
transaction that commits late can appear below events already handled, and is still picked up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from otklik.notifications.models import OutboxCursor, OutboxReceipt, ReceiptState
from otklik.tickets.models import TicketEvent

logger = logging.getLogger(__name__)

CURSOR_GRACE = timedelta(minutes=10)
# An event older than this when first seen (a worker was down, or old data was imported) is not acted on.
MAX_EVENT_AGE = timedelta(days=3)

EventHandler = Callable[[TicketEvent], None]
BatchHandler = Callable[[list[TicketEvent]], None]


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
    *, consumer: str, handler: EventHandler, now: datetime, batch_size: int = 200, max_batches: int = 50,
    batch_handler: BatchHandler | None = None,
) -> int:
    """Handle unread events in id order; returns how many this worker handled. Safe to run concurrently.

    With `batch_handler`, the events of a batch are handed over together (one savepoint); `handler` is then
    the fallback that handles them one by one when the batch fails."""
    handled = 0
    for _batch in range(max_batches):
        done_in_batch = _run_batch(consumer=consumer, handler=handler, batch_handler=batch_handler, now=now,
                                   batch_size=batch_size)
        handled += done_in_batch
        if done_in_batch < batch_size:
            break
    cursor_advance(consumer)
    return handled


def _skip_reason(event: TicketEvent, now: datetime) -> str:
    if event.created_at < now - MAX_EVENT_AGE:
        return "older than the outbox age limit"
    if "imported" in event.data:
        # History brought in from another help desk: it happened there, nobody is told again.
        return "imported history"
    return ""


def _run_batch(
    *, consumer: str, handler: EventHandler, batch_handler: BatchHandler | None, now: datetime, batch_size: int
) -> int:
    cursor, _created = OutboxCursor.objects.get_or_create(consumer=consumer)
    with transaction.atomic():
        events = _pending(consumer, cursor.position, batch_size)
        reasons = {event.pk: _skip_reason(event, now) for event in events}
        claimed = _claim(consumer, reasons)  # events another worker claimed since our read are left out
        todo = [event for event in events if event.pk in claimed and not reasons[event.pk]]
        if batch_handler is not None and todo:
            try:
                with transaction.atomic():
                    batch_handler(todo)
                return len(claimed)
            except Exception:  # handled one by one below, so only the broken event is marked failed
                logger.warning("outbox %s: a batch of %s events failed; handling them one by one", consumer,
                               len(todo), exc_info=True)
        for event in todo:
            try:
                with transaction.atomic():
                    handler(event)
            except Exception as exc:  # one broken event must not stop the others: it is marked and logged
                logger.exception("outbox %s: event %s (%s) failed", consumer, event.pk, event.kind)
                OutboxReceipt.objects.filter(consumer=consumer, event_id=event.pk).update(
                    state=ReceiptState.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
    return len(claimed)


def _claim(consumer: str, reasons: dict[int, str]) -> set[int]:
    """Insert the receipts of these events in one statement (skipped ones already marked skipped, with the
    reason); the answer is the events whose receipt this statement inserted, i.e. the ones this worker owns.
    A receipt that exists already (another worker's) is left alone: the unique key decides, not the read."""
    if not reasons:
        return set()
    table = connection.ops.quote_name(OutboxReceipt._meta.db_table)
    processed_at = OutboxReceipt._meta.get_field("processed_at").get_db_prep_value(
        timezone.now(), connection, prepared=False)
    rows, params = [], []
    for event_id, reason in reasons.items():
        rows.append("(%s, %s, %s, %s, %s)")
        state = ReceiptState.SKIPPED if reason else ReceiptState.DONE
        params += [consumer, event_id, state.value, reason, processed_at]
    with connection.cursor() as sql:
        sql.execute(
            f"INSERT INTO {table} (consumer, event_id, state, error, processed_at) VALUES {', '.join(rows)} "  # noqa: S608  (our table name; values are parameters)
            "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
            params,
        )
        return {row[0] for row in sql.fetchall()}


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
