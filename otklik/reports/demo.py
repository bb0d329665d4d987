"""Demo ratings, so the CSAT report of `otklik demo` has six months of scores and comments."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from otklik.tickets.models import DONE_KINDS, Ticket, TicketRating

COMMENTS = {
    1: ["Nobody actually fixed it.", "Took far too long."],
    2: ["Had to ask three times.", "The answer did not help."],
    3: ["OK in the end."],
    4: ["Thanks, works now.", ""],
    5: ["Quick and polite, thank you!", "Perfect.", ""],
}


def seed_demo_ratings(*, now: datetime, seed: int = 42, share: float = 0.4) -> int:
    """Rate a share of the finished tickets as their requesters would: mostly 4-5, some low scores."""
    rng = random.Random(seed)
    rows = []
    done = (Ticket.objects.filter(status__kind__in=DONE_KINDS, resolved_at__isnull=False, merged_into__isnull=True)
            .exclude(ratings__isnull=False).values_list("pk", "requester_id", "resolved_at").order_by("pk"))
    for ticket_id, requester_id, resolved_at in done.iterator(chunk_size=2000):
        if resolved_at is None or rng.random() > share:
            continue
        score = rng.choices([1, 2, 3, 4, 5], weights=[4, 6, 10, 30, 50])[0]
        rated_at: datetime = min(resolved_at + timedelta(minutes=rng.randint(5, 2880)), now)
        rows.append(TicketRating(ticket_id=ticket_id, rated_by_id=requester_id, score=score,
                                 comment=rng.choice(COMMENTS[score]), resolved_at=resolved_at, created_at=rated_at))
    TicketRating.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
