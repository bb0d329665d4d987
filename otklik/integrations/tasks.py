"""Jobs: send new deliveries right after commit; sweep due retries every minute."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from otklik.integrations.delivery import deliveries_send_due

logger = logging.getLogger(__name__)


@db_task()
def webhook_deliveries_send(delivery_ids: list[int]) -> int:
    """Ids only: the rows decide; a delivery already sent or claimed elsewhere is skipped."""
    return len(deliveries_send_due(now=timezone.now(), only_ids=delivery_ids, limit=len(delivery_ids) or 1))


@db_periodic_task(crontab(minute="*"))
def webhook_deliveries_sweep() -> int:
    """Retries whose backoff has passed, and deliveries whose after-commit job was lost."""
    sent = 0
    while True:
        batch = deliveries_send_due(now=timezone.now(), limit=50)
        sent += len(batch)
        if len(batch) < 50:
            return sent
