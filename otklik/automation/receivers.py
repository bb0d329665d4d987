"""Automation's reactions inside the transaction that recorded a ticket event."""

from __future__ import annotations

import logging
from typing import Any

from otklik.automation import assignment, forbidden, triggers
from otklik.core.wakeups import once_after_commit, wake
from otklik.tickets.models import EventKind, Message, Ticket, TicketEvent

logger = logging.getLogger(__name__)


def _kick_triggers() -> None:
    from otklik.automation.tasks import triggers_dispatch

    try:
        wake("automation.triggers", triggers_dispatch)
    except Exception:  # the periodic sweep picks the events up; a failed kick must not break the request
        logger.exception("could not enqueue the trigger dispatch")


def on_ticket_event(sender: Any, event: TicketEvent, ticket: Ticket, **kwargs: Any) -> None:
    triggers.trigger_origin_mark(event)
    if event.kind == EventKind.REPLIED and event.data.get("by") == "staff":
        message = Message.objects.filter(pk=event.data.get("message")).first()
        if message is not None:
            forbidden.hits_record(message)
    assignment.rules_run_for_event(event, ticket.pk)
    once_after_commit("automation.triggers", _kick_triggers)
