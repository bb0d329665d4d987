"""After a transaction that recorded ticket events commits, wake the notification worker."""

from __future__ import annotations

import logging
from typing import Any

from otklik.core.wakeups import wake_on_commit
from otklik.tickets.models import TicketEvent

logger = logging.getLogger(__name__)


def _dispatch() -> None:
    from otklik.notifications.tasks import notifications_dispatch

    notifications_dispatch()


def on_ticket_event(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
    # After commit, in one statement with the transaction's other wake-ups; a failed kick is logged there
    # (the periodic sweep picks the events up).
    wake_on_commit("notifications", _dispatch)
