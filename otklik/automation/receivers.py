"""Automation's reactions inside the transaction that recorded a ticket event."""

from __future__ import annotations

import logging
from typing import Any

from otklik.automation import assignment, forbidden, triggers
from otklik.core.wakeups import wake_on_commit
from otklik.tickets.models import EventKind, Message, Ticket, TicketEvent

logger = logging.getLogger(__name__)


def _kick_triggers() -> None:
    from otklik.automation.tasks import triggers_dispatch

    triggers_dispatch()


def on_ticket_event(sender: Any, event: TicketEvent, ticket: Ticket, message: Message | None = None,
                    **kwargs: Any) -> None:
    triggers.trigger_origin_mark(event)
    if event.kind == EventKind.REPLIED and event.data.get("by") == "staff":
        if message is None or message.pk != event.data.get("message"):  # handed over by the service, or read
            message = Message.objects.filter(pk=event.data.get("message")).first()
        if message is not None:
            forbidden.hits_record(message)
    if assignment.rules_run_for_event(event, ticket.pk) is not None:
        # The rule changed the row through the ticket services; the caller's copy follows it, so what the
        # caller answers with (the API's new ticket) and the receivers after this one see the routed ticket.
        ticket.refresh_from_db(from_queryset=Ticket.objects.select_related(
            "status", "priority", "team", "assignee", "category", "request_type", "organization"))
    # After commit, in one statement with the other wake-ups; a failed kick is logged (the sweep catches up).
    wake_on_commit("automation.triggers", _kick_triggers)
