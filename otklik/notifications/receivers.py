"""After a transaction that recorded ticket events commits, wake the notification worker."""

from __future__ import annotations

import logging
from typing import Any

from otklik.core.wakeups import once_after_commit, wake
from otklik.tickets.models import TicketEvent

logger = logging.getLogger(__name__)


def _kick() -> None:
    from otklik.notifications.tasks import notifications_dispatch

    try:
        wake("notifications", notifications_dispatch)
    except Exception:  # the periodic sweep picks the events up; a failed kick must not break the request
        logger.exception("could not enqueue the notification dispatch")


def on_ticket_event(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
    once_after_commit("notifications", _kick)
