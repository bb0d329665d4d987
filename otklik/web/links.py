"""Password-less links to one ticket, for requesters who write by email.

The link carries a signed, timestamped token naming the ticket and the requester. It opens that one
ticket (read, reply, close, reopen, rate) for OTKLIK_MAGIC_LINK_DAYS; it never signs the person in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from otklik.accounts.models import User
from otklik.tickets.models import Ticket

SALT = "otklik.web.ticket-magic-link"
SESSION_KEY = "otklik_ticket_grants"


@dataclass(frozen=True)
class Grant:
    ticket_id: int
    user_id: int


def link_lifetime() -> timedelta:
    return timedelta(days=int(getattr(settings, "OTKLIK_MAGIC_LINK_DAYS", 14)))


def make_token(ticket: Ticket, user: User) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"t": ticket.pk, "u": user.pk}, compress=True)


def read_token(token: str) -> Grant | None:
    """The grant a token carries, or None when it is forged, damaged or expired."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=link_lifetime())
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    ticket_id, user_id = payload.get("t"), payload.get("u")
    if not isinstance(ticket_id, int) or not isinstance(user_id, int):
        return None
    return Grant(ticket_id=ticket_id, user_id=user_id)


def ticket_magic_link(ticket: Ticket, user: User) -> str:
    """The absolute path (no scheme and host) of a password-less link to this ticket for this requester."""
    return reverse("ticket_link", kwargs={"token": make_token(ticket, user)})
