"""Jobs of the Telegram channel. Each loads rows by id, calls one service and is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from otklik.core.periodic import claim_period
from otklik.core.wakeups import woken


@db_task(retries=5, retry_delay=30)
def telegram_update_task(row_id: int) -> str:
    """Process one stored update (webhook mode); a database outage raises and Huey retries."""
    from otklik.telegram.inbox import update_process

    return str(update_process(row_id=row_id, now=timezone.now()).status)


@db_task()
def telegram_outbox_task() -> dict[str, int]:
    from otklik.telegram.outbox import flush

    woken("telegram_outbox")
    return flush(now=timezone.now())


@db_task()
def telegram_notify_task() -> int:
    from otklik.telegram.notify import notify_process

    woken("telegram_notify")
    return notify_process(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def telegram_minutely() -> None:
    """Catch up with what a lost kick or a dead worker left: ticket news, unsent calls, unprocessed updates."""
    from otklik.telegram.inbox import process_pending
    from otklik.telegram.models import Bot
    from otklik.telegram.notify import notify_process
    from otklik.telegram.outbox import flush

    now = timezone.now()
    if not Bot.objects.filter(is_active=True).exists():
        return
    if not claim_period(job="telegram_minutely", now=now, period=timedelta(minutes=1)):
        return
    notify_process(now=now)
    process_pending(now=now, older_than=timedelta(minutes=1))
    flush(now=now)
