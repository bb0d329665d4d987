"""Jobs of the core: a heartbeat that shows the scheduler is alive, and a probe for the workers."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.tasks import task
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.core.models import JobProbeRun
from otklik.core.periodic import claim_period, worker_name

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def scheduler_heartbeat() -> bool:
    """Recorded once per minute; the health page reports a stale heartbeat as a stopped scheduler."""
    return claim_period(job="scheduler_heartbeat", now=timezone.now(), period=timedelta(minutes=1))


@task
def job_probe(key: str) -> None:
    """A no-op job that leaves a trace, so operators (and tests) can prove exactly-once execution."""
    JobProbeRun.objects.create(key=key, worker=f"{worker_name()}:{threading.get_ident()}")
