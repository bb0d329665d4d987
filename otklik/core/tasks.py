"""Periodic jobs of the core: a heartbeat that shows the scheduler is alive."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.core.periodic import claim_period

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def scheduler_heartbeat() -> bool:
    """Recorded once per minute; the health page reports a stale heartbeat as a stopped scheduler."""
    return claim_period(job="scheduler_heartbeat", now=timezone.now(), period=timedelta(minutes=1))
