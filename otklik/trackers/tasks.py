"""Jobs of the tracker links. Each takes ids, loads rows, calls one service and is safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from otklik.core.periodic import claim_period
from otklik.trackers import services
from otklik.trackers.models import CreateState, HookState, InboundHook, IssueRequest, TrackerConnection

logger = logging.getLogger(__name__)


@db_task()
def issue_refresh_task(issue_id: int, baseline_link_ids: list[int]) -> bool:
    return services.issue_refresh(issue_id=issue_id, now=timezone.now(), baseline_link_ids=frozenset(baseline_link_ids))


@db_task()
def issue_request_task(request_id: int) -> str:
    return services.issue_request_run(request_id=request_id, now=timezone.now())


@db_task()
def hook_process_task(hook_id: int) -> str:
    try:
        return services.hook_process(hook_id=hook_id, now=timezone.now())
    except Exception as exc:
        # Kept with its reason and reprocessable from the admin; the raw call is never lost.
        logger.exception("tracker webhook %s failed", hook_id)
        InboundHook.objects.filter(pk=hook_id, state=HookState.RECEIVED).update(
            state=HookState.FAILED, reason=repr(exc)[:2000])
        return "failed"


def trackers_sweep() -> dict[str, int]:
    """Poll connections, retry due issue creations, process calls whose job was lost."""
    now = timezone.now()
    counts = {"polled": 0, "created": 0, "hooks": 0}
    for connection_id in TrackerConnection.objects.filter(is_active=True, poll=True).values_list("pk", flat=True):
        counts["polled"] += services.connection_poll(connection_id=connection_id, now=now)
    due = IssueRequest.objects.filter(state=CreateState.PENDING, next_attempt_at__lte=now).values_list("pk", flat=True)
    for request_id in list(due[:50]):
        counts["created"] += services.issue_request_run(request_id=request_id, now=now) == "created"
    stale = InboundHook.objects.filter(state=HookState.RECEIVED, received_at__lte=now - timedelta(minutes=1))
    for hook_id in list(stale.values_list("pk", flat=True)[:200]):
        counts["hooks"] += hook_process_task.call_local(hook_id) != "skipped"
    return counts


@db_periodic_task(crontab(minute="*/5"))
def trackers_every_five_minutes() -> None:
    if claim_period(job="trackers_sweep", now=timezone.now(), period=timedelta(minutes=5)):
        logger.info("tracker sweep: %s", trackers_sweep())
