"""Wake a dispatcher job once for a burst of events.

The notification and trigger dispatchers each read all committed events they have not handled yet, so
one queued job serves any number of events committed before it starts. `wake` enqueues only when no job
of that name is waiting to start; the job calls `woken` first thing, so an event committed while it runs
queues a fresh one. A wake-up pending for longer than STALE (a worker that died) is re-sent; the
periodic sweeps catch up in any case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from otklik.core.models import WakeUp

STALE = timedelta(seconds=60)


def wake(name: str, enqueue: Callable[[], object]) -> bool:
    """Enqueue the named job unless one is already waiting; True when this call enqueued it."""
    now = timezone.now()
    claimed = WakeUp.objects.filter(name=name).filter(
        Q(pending_since__isnull=True) | Q(pending_since__lt=now - STALE)
    ).update(pending_since=now)
    if not claimed:
        if WakeUp.objects.filter(name=name).exists():
            return False
        try:
            with transaction.atomic():
                WakeUp.objects.create(name=name, pending_since=now)
        except IntegrityError:
            return False  # another process created it a moment ago and enqueues
    try:
        enqueue()
    except Exception:
        woken(name)  # nothing is queued: let the next event try again
        raise
    return True


def woken(name: str) -> None:
    """Called by the job as it starts: events committed from now on need a new job."""
    WakeUp.objects.filter(name=name).update(pending_since=None)
