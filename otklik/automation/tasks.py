"""Jobs of automation: triggers from the outbox (kicked after commit, swept every minute) and the
time-based rules (every five minutes, once per period whatever the number of schedulers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from otklik.automation import timerules, triggers
from otklik.core.periodic import claim_period
from otklik.core.wakeups import woken

TIME_RULES_PERIOD = timedelta(minutes=5)


@db_task()
def triggers_dispatch() -> int:
    woken("automation.triggers")
    return triggers.triggers_process(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def triggers_sweep() -> int:
    return triggers.triggers_process(now=timezone.now())


def time_rules_tick(*, now: datetime | None = None) -> bool:
    """Run the time rules if this period was not run yet; True when this call ran them."""
    moment = now or timezone.now()
    if not claim_period(job="automation_time_rules", now=moment, period=TIME_RULES_PERIOD):
        return False
    timerules.time_rules_run(now=moment)
    return True


@db_periodic_task(crontab(minute="*/5"))
def time_rules_periodic() -> bool:
    return time_rules_tick()
