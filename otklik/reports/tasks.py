"""Jobs of reports: the weekly overview email, checked hourly and sent once per week per subscriber."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.core.periodic import claim_period
from otklik.reports.digest import weekly_digests_send


@db_periodic_task(crontab(minute="7"))
def weekly_digest_periodic() -> int:
    now = timezone.now()
    if not claim_period(job="reports_weekly_digest", now=now, period=timedelta(hours=1)):
        return 0
    return weekly_digests_send(now=now)
