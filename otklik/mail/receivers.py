"""The mail app's reaction to ticket changes, inside the changing transaction.

A public staff reply writes an outbox row (`OutboundMail`) atomically with the reply; the mail job
sends it after commit. Nothing here talks to a mail server.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from otklik.mail import conf
from otklik.tickets.models import EventKind, Ticket, TicketEvent
from otklik.tickets.signals import ticket_event_recorded

logger = logging.getLogger(__name__)


@receiver(ticket_event_recorded, dispatch_uid="mail_reply_outbox")
def mail_reply_outbox(sender: Any, event: TicketEvent, ticket: Ticket, **kwargs: Any) -> None:
    if event.kind != EventKind.REPLIED or event.data.get("by") != "staff":
        return
    if not conf.send_replies():
        return
    from otklik.mail.outbound import reply_mail_from_event

    try:
        # A savepoint: a broken template must not undo the agent's reply itself.
        with transaction.atomic():
            reply_mail_from_event(ticket=ticket, message_id=int(event.data["message"]), now=event.created_at)
    except Exception:
        logger.exception("reply mail for ticket %s message %s was not queued", ticket.pk, event.data.get("message"))
