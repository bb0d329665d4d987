"""The placeholders of canned replies and macros ({requester.first_name}, {ticket.number}, ...), filled in
for one ticket and the agent who sends the text."""

from __future__ import annotations

import re

from otklik.accounts.models import User
from otklik.tickets.models import Ticket

_PLACEHOLDER = re.compile(r"\{(requester|ticket|agent)\.([a-z_]+)\}")


def _values(ticket: Ticket, agent: User) -> dict[str, dict[str, str]]:
    requester = ticket.requester
    return {
        "requester": {
            "first_name": requester.first_name or requester.get_full_name() or requester.email,
            "last_name": requester.last_name,
            "name": requester.get_full_name() or requester.email,
            "email": requester.email,
        },
        "ticket": {
            "number": str(ticket.number),
            "subject": ticket.subject,
            "status": ticket.status.label,
        },
        "agent": {
            "first_name": agent.first_name or agent.get_full_name() or agent.email,
            "last_name": agent.last_name,
            "name": agent.get_full_name() or agent.email,
            "email": agent.email,
            "signature": agent.signature,
        },
    }


def fill_placeholders(text: str, *, ticket: Ticket, agent: User) -> str:
    """Replace the known placeholders; unknown ones stay visible, so a typo is noticed, not sent blank."""
    values = _values(ticket, agent)

    def replace(match: re.Match[str]) -> str:
        return values[match.group(1)].get(match.group(2), match.group(0))

    return _PLACEHOLDER.sub(replace, text)
