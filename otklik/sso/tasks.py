"""The directory sync as a periodic job, claimed once per period like the others (core/periodic.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.core.periodic import claim_period

logger = logging.getLogger(__name__)

SYNC_PERIOD = timedelta(minutes=30)


@db_periodic_task(crontab(minute="*/30"))
def ldap_sync_periodic() -> None:
    if not getattr(settings, "OTKLIK_LDAP_ENABLED", False):
        return
    now = timezone.now()
    if not claim_period(job="ldap_sync", now=now, period=SYNC_PERIOD):
        return
    from otklik.sso.directory import DirectoryUnavailable, directory_sync

    try:
        directory_sync(now=now)
    except DirectoryUnavailable as exc:
        logger.error("ldap sync skipped: %s", exc)
