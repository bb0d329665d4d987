"""Reads of the email channel; each starts from what the viewer may see."""

from __future__ import annotations

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core.errors import NotFound
from otklik.mail.models import InboundMail
from otklik.tickets.models import Attachment


def inbound_for_viewer(viewer: User, inbound_id: int) -> InboundMail:
    """A stored mail of a ticket the viewer may see, whose ticket message they may see; else NotFound."""
    row = InboundMail.objects.filter(pk=inbound_id, ticket__isnull=False).first()
    if row is None or row.ticket_id is None:
        raise NotFound()
    ticket = access.tickets_visible_to(viewer).filter(pk=row.ticket_id).first()
    if ticket is None:
        raise NotFound()
    if row.ticket_message_id is not None and not access.messages_visible_to(viewer, ticket).filter(
        pk=row.ticket_message_id
    ).exists():
        raise NotFound()
    return row


def inbound_original_for(viewer: User, inbound_id: int) -> InboundMail:
    """The full original (all headers, every recipient): staff only."""
    if not access.can_see_internal(viewer):
        raise NotFound()
    return inbound_for_viewer(viewer, inbound_id)


def inline_attachment_for(viewer: User, inbound_id: int, index: int) -> Attachment:
    row = inbound_for_viewer(viewer, inbound_id)
    if row.ticket_message_id is None:
        raise NotFound()
    attachments = list(Attachment.objects.filter(message_id=row.ticket_message_id).order_by("created_at", "pk"))
    if not 0 <= index < len(attachments):
        raise NotFound()
    return attachments[index]
