"""The webhook outbox: deliveries are written with their ticket event, then claimed and sent by workers.

Claiming takes due rows with `SELECT … FOR UPDATE SKIP LOCKED` (on SQLite the IMMEDIATE transaction
serialises claimers) and stamps a lease on them before the transaction ends, so the HTTP call runs
outside any transaction and a second worker never picks the same delivery while the first holds it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q

from otklik.accounts.models import Role, User
from otklik.core import lookups
from otklik.core.errors import NotFound, PermissionDenied
from otklik.integrations.models import (
    DeliveryAttempt,
    DeliveryState,
    WebhookDelivery,
    WebhookSubscription,
)
from otklik.integrations.payloads import payload_build
from otklik.integrations.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_header,
)
from otklik.tickets.models import TicketEvent

# httpx is imported where a request is sent: most web processes never send one, and the import (with rich,
# click and pygments for its command line where those are installed) costs every process resident memory.
if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=2)
LEASE = timedelta(minutes=5)  # far longer than one HTTP attempt may take
REQUEST_SECONDS, CONNECT_SECONDS = 10.0, 5.0
EXCERPT_BYTES = 2000
RESPONSE_SECONDS = 15  # a receiver that drips its answer is cut off; the status line is what counts
USER_AGENT = "Otklik-Webhooks/1"


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 2 h: about 9 hours of patience over 10 attempts."""
    doubled = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return doubled if doubled < LONGEST_RETRY else LONGEST_RETRY


lookups.depends_on("integrations.any_webhook", WebhookSubscription)


def any_active_subscription() -> bool:
    """Whether any webhook is switched on; remembered until a subscription is saved or deleted, so a desk
    without webhooks pays no query per ticket event."""
    return lookups.remembered("integrations.any_webhook",
                              lambda: WebhookSubscription.objects.filter(is_active=True).exists())


def deliveries_for_event(event: TicketEvent) -> list[WebhookDelivery]:
    """Called inside the event's transaction: the deliveries commit or roll back with the event."""
    if not any_active_subscription():
        return []
    subscriptions = [sub for sub in WebhookSubscription.objects.filter(is_active=True) if sub.wants(event.kind)]
    if not subscriptions:
        return []
    rows = [
        WebhookDelivery(
            subscription=sub,
            event=event,
            event_kind=event.kind,
            created_at=event.created_at,
            next_attempt_at=event.created_at,
        )
        for sub in subscriptions
    ]
    return WebhookDelivery.objects.bulk_create(rows)


def deliveries_claim(*, now: datetime, limit: int = 50, only_ids: list[int] | None = None) -> list[int]:
    due = Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    with transaction.atomic():
        candidates = WebhookDelivery.objects.filter(due)
        if only_ids is not None:
            candidates = candidates.filter(pk__in=only_ids)
        ids = list(
            candidates.select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            # The condition is repeated so a row another claimer leased meanwhile is not taken twice.
            WebhookDelivery.objects.filter(due, pk__in=ids).update(lease_until=now + LEASE)
            ids = list(WebhookDelivery.objects.filter(pk__in=ids, lease_until=now + LEASE).values_list("pk", flat=True))
    return ids


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: int
    state: str
    response_status: int | None
    error: str


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    with client.stream("POST", url, content=body, headers=headers) as response:
        chunks = bytearray()
        deadline = time.monotonic() + RESPONSE_SECONDS
        for chunk in response.iter_bytes():
            chunks.extend(chunk)
            if len(chunks) >= EXCERPT_BYTES or time.monotonic() > deadline:
                break
        return response.status_code, bytes(chunks[:EXCERPT_BYTES]).decode("utf-8", "replace")


def delivery_attempt(*, delivery_id: int, now: datetime, client: httpx.Client) -> AttemptResult:
    """One POST of a claimed delivery, its outcome logged, its next attempt scheduled."""
    import httpx

    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if delivery.payload is None:
        delivery.payload = payload_build(delivery)
        delivery.save(update_fields=["payload"])
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(subscription.secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_HEADER: delivery.event_kind,
        DELIVERY_HEADER: str(delivery.uuid),
    }
    status: int | None = None
    excerpt = ""
    error = ""
    started = time.monotonic()
    if not subscription.is_active:
        error = "The subscription is inactive."
    else:
        try:
            status, excerpt = _post(client, subscription.url, body, headers)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
    duration_ms = int((time.monotonic() - started) * 1000)
    attempts = delivery.attempts + 1
    succeeded = status is not None and 200 <= status < 300
    if not succeeded and not error:
        error = f"HTTP {status}"
    if succeeded:
        state, next_at = DeliveryState.SUCCEEDED, None
    elif attempts >= MAX_ATTEMPTS or not subscription.is_active:
        state, next_at = DeliveryState.FAILED, None
    else:
        state, next_at = DeliveryState.PENDING, now + retry_delay(attempts)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=attempts,
            started_at=now,
            duration_ms=duration_ms,
            response_status=status,
            response_excerpt=excerpt,
            error="" if succeeded else error,
            worker=f"{socket.gethostname()}:{os.getpid()}",
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=state,
            attempts=attempts,
            next_attempt_at=next_at,
            lease_until=None,
            response_status=status,
            response_excerpt=excerpt,
            error="" if succeeded else error,
            last_attempt_at=now,
            delivered_at=now if succeeded else None,
        )
    if not succeeded:
        logger.warning(
            "webhook delivery %s to %s failed (attempt %s): %s",
            delivery.uuid,
            subscription.url,
            attempts,
            error,
        )
    return AttemptResult(delivery_id=delivery.pk, state=state, response_status=status, error=error)


def deliveries_send_due(
    *,
    now: datetime,
    limit: int = 50,
    only_ids: list[int] | None = None,
    client: httpx.Client | None = None,
) -> list[AttemptResult]:
    """Claim what is due and send it; safe to run in any number of workers at once.

    One delivery is claimed at a time, so a lease only ever has to outlast one HTTP attempt.
    """
    own_client = client is None
    import httpx

    http = client or httpx.Client(timeout=httpx.Timeout(REQUEST_SECONDS, connect=CONNECT_SECONDS),
                                  follow_redirects=False)
    results: list[AttemptResult] = []
    try:
        for _index in range(limit):
            claimed = deliveries_claim(now=now, limit=1, only_ids=only_ids)
            if not claimed:
                break
            results.append(delivery_attempt(delivery_id=claimed[0], now=now, client=http))
    finally:
        if own_client:
            http.close()
    return results


def delivery_redeliver(*, actor: User, delivery_ids: list[int], now: datetime) -> int:
    """An administrator sends deliveries again, whatever their state; the same payload and delivery id."""
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise PermissionDenied()
    # A delivery a worker is sending right now keeps its lease; it is not sent twice at once.
    count = WebhookDelivery.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk__in=delivery_ids
    ).update(
        state=DeliveryState.PENDING,
        next_attempt_at=now,
        lease_until=None,
    )
    if count == 0:
        raise NotFound()
    return count
