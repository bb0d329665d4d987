"""Extension point of the ticket core.

`ticket_event_recorded` is sent inside the service's transaction, right after a TicketEvent row is
written, so receivers (SLA clocks, assignment rules, search indexing) change their rows atomically with
the ticket. Work that talks to the outside world (mail, webhooks) must not run here: it reads committed
events from the outbox instead.
"""

from django.dispatch import Signal

# Sent with: event (TicketEvent), ticket (Ticket, locked by the caller), message (the Message the event
# just wrote, or None: receivers use it rather than reading the new row back).
ticket_event_recorded = Signal()
