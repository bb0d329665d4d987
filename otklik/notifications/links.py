"""Links to a ticket inside notifications.

The web layer may register a builder that returns a personal link (for example a signed "magic" link
that lets a requester open the ticket without signing in); this domain app cannot import the web layer,
so the web app registers it at start-up:

    from otklik.notifications.links import register_ticket_link_builder
    register_ticket_link_builder(ticket_magic_link)        # in WebConfig.ready()

Without one, the link is the plain ticket page, made absolute with settings.OTKLIK_BASE_URL when set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from otklik.accounts.models import User
from otklik.tickets.models import Ticket

logger = logging.getLogger(__name__)

TicketLinkBuilder = Callable[[Ticket, User], str]
_builder: TicketLinkBuilder | None = None


def register_ticket_link_builder(builder: TicketLinkBuilder | None) -> None:
    global _builder
    _builder = builder


def ticket_path(ticket: Ticket) -> str:
    try:
        return reverse("ticket", kwargs={"number": ticket.number})
    except NoReverseMatch:
        return f"/tickets/{ticket.number}/"


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    base = str(getattr(settings, "OTKLIK_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def ticket_url_for(ticket: Ticket, recipient: User) -> str:
    """The link a recipient gets in an email: a personal one for requesters when the web layer provides it."""
    if _builder is not None and not (recipient.is_staff_member or recipient.is_superuser):
        try:
            return absolute(_builder(ticket, recipient))
        except Exception:  # a broken link builder must not stop a notification
            logger.exception("ticket link builder failed for ticket %s", ticket.pk)
    return absolute(ticket_path(ticket))


def rating_url_for(ticket: Ticket, recipient: User) -> str:
    return f"{ticket_url_for(ticket, recipient)}#rate"
