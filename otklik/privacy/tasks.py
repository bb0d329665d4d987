"""Jobs of the retention policy: a nightly run, and runs an administrator starts from the admin."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from otklik.accounts.models import User
from otklik.core.periodic import claim_period
from otklik.privacy.retention import retention_apply


@db_task()
def retention_job(actor_id: int | None, dry_run: bool) -> int:
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    return retention_apply(actor=actor, now=timezone.now(), dry_run=dry_run).pk


@db_periodic_task(crontab(hour="3", minute="17"))
def retention_nightly() -> int | None:
    """Nothing happens until a period is set in the policy: empty periods keep data forever."""
    now = timezone.now()
    # Several schedulers may fire this; one run per day is enough.
    if not claim_period(job="privacy_retention", now=now, period=timedelta(days=1)):
        return None
    return retention_apply(actor=None, now=now, dry_run=False).pk
