"""The ticket lists' text filter (web list and API `q`) backed by the full-text index.

It only calls the public `search` selector, so how the index ranks and stores stays its own business.
"""

from __future__ import annotations

from dataclasses import replace

from otklik.accounts.models import User
from otklik.search.selectors import search
from otklik.tickets.selectors import TicketFilters

# As many tickets as the full-text ranking hands out for one list filter.
TEXT_MATCH_LIMIT = 1000


def with_text_matches(viewer: User, filters: TicketFilters) -> TicketFilters:
    """The same filters, with the tickets whose subject or visible messages match the text.

    The list then keeps a ticket when its number or subject matches, or when the full-text index found
    it (word forms, message bodies); `search` applies the viewer's access, and so does the list again.
    """
    text = filters.text.strip()
    if not text or text.lstrip("#").isdigit():
        return filters
    hits = search(viewer, text, limit=TEXT_MATCH_LIMIT)
    return replace(filters, text_ticket_ids=tuple(hit.ticket_id for hit in hits))
