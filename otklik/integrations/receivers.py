"""Turns each ticket event into outbox rows, inside the transaction that records the event."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from otklik.integrations.delivery import deliveries_for_event
from otklik.tickets.models import TicketEvent


def on_ticket_event(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
    created = deliveries_for_event(event)
    if created:
        ids = [row.pk for row in created if row.pk is not None]
        # Sent after commit; if the queue is down, the periodic sweep sends them later.
        transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(ids: list[int]) -> None:
    from otklik.integrations.tasks import webhook_deliveries_send

    webhook_deliveries_send(ids)
