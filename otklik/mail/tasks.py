"""Jobs of the email channel. Each takes ids, loads rows, calls one service and is safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from otklik.core.periodic import claim_period
from otklik.core.wakeups import wake, woken
from otklik.mail import outbound, services
from otklik.mail.models import Mailbox, OutboundMail

logger = logging.getLogger(__name__)


@db_task(retries=2, retry_delay=60)
def outbox_send_task() -> int:
    """Send every outbox row that is due: one job for all the mail committed before it starts (a burst of
    acknowledgements and notifications is one job, not one per mail). A row that failed for the moment
    waits for its back-off and the minutely sweep; a full batch asks for the next job at once."""
    woken(outbound.OUTBOX_WAKE)
    tried, sent = outbound.outbox_send_due(now=timezone.now())
    if tried >= outbound.OUTBOX_BATCH:
        wake(outbound.OUTBOX_WAKE, outbox_send_task)
    return sent


@db_task(retries=5, retry_delay=30)
def inbound_process_task(inbound_id: int) -> str:
    """Process one stored message; a database outage raises and Huey retries."""
    return str(services.inbound_process(inbound_id=inbound_id, now=timezone.now()).status)


@db_task(retries=5, retry_delay=30)
def inbound_process_batch_task(inbound_ids: list[int]) -> int:
    """Process the messages one fetch stored, in one transaction (`inbound_process_batch`); a database
    outage raises and Huey retries; rows processed meanwhile (by the sweep) are left alone."""
    return len(services.inbound_process_batch(inbound_ids=inbound_ids, now=timezone.now()))


@db_task(retries=6, retry_delay=120)
def outbound_send_task(outbound_id: int) -> str:
    """Send one outbox row; a temporary failure is retried after the row's back-off. (New mail is sent by
    `outbox_send_task`; this job stays for rows queued before it and for sending one row on purpose.)

    RetryTask, not the OutboundRetry exception, goes back to Huey: the service has logged the attempt in
    one line, and an exception would add a traceback per retry. The row counts its own attempts and
    stops as failed, so the retries end."""
    now = timezone.now()
    try:
        return outbound.outbound_send(outbound_id=outbound_id, now=now)
    except outbound.OutboundRetry as error:
        due = OutboundMail.objects.filter(pk=outbound_id).values_list("claimed_until", flat=True).first()
        delay = max(int((due - now).total_seconds()), 1) if due else 60
        raise RetryTask(str(error), delay=delay) from error


@db_task(retries=2, retry_delay=60)
def mailbox_poll_task(mailbox_id: int) -> int:
    from otklik.mail.imap import mailbox_poll

    return mailbox_poll(mailbox_id=mailbox_id, now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def mail_minutely() -> None:
    """Poll every active IMAP mailbox and pick up work a dead worker left behind, once per minute."""
    now = timezone.now()
    if not claim_period(job="mail_minutely", now=now, period=timedelta(minutes=1)):
        return
    for mailbox_id in Mailbox.objects.filter(is_active=True).exclude(imap_host="").values_list("pk", flat=True):
        mailbox_poll_task(mailbox_id)
    services.pending_work_sweep(now=now)
