"""Jobs of the notifications outbox: a kick after each commit that records events, and a sweep that
catches anything a lost kick left behind. Both are safe to run at the same time."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from otklik.core.wakeups import woken
from otklik.notifications import services


@db_task()
def notifications_dispatch() -> int:
    woken("notifications")
    return services.notifications_process(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def notifications_sweep() -> int:
    return services.notifications_process(now=timezone.now())
