"""Jobs of the SLA part: the breach and warning sweep every minute, and calendar re-plans."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from otklik.core.periodic import claim_period
from otklik.sla import recalculation, services, sweep


@db_periodic_task(crontab(minute="*"))
def sla_sweep_job() -> dict[str, int]:
    """Once a minute (once per minute whatever the number of schedulers); the sweep itself is also
    safe with several workers, so a manual `otklik sla_sweep` at the same time does no harm."""
    now = timezone.now()
    if not claim_period(job="sla_sweep", now=now, period=timedelta(minutes=1)):
        return {}
    return sweep.sla_sweep(now=now).as_dict()


@db_task()
def sla_replan_job(run_id: int) -> int:
    run = services.replan_run(run_id=run_id, now=timezone.now())
    return run.processed


@db_task()
def sla_recalculate_job(run_id: int) -> int:
    run = recalculation.recalculate_run(run_id=run_id, now=timezone.now())
    return run.processed
