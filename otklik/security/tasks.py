"""Housekeeping of tracked sessions: rows of sessions that have certainly expired are removed daily."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.core.periodic import claim_period
from otklik.security.sessions import sessions_sweep


@db_periodic_task(crontab(minute="17", hour="3"))
def sessions_sweep_daily() -> None:
    now = timezone.now()
    if claim_period(job="sessions_sweep", now=now, period=timedelta(days=1)):
        sessions_sweep(now=now)
