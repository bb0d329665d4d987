"""Kept ticket counts (`TicketCount`): summed by readers, folded by a periodic job.

The database appends the rows itself (triggers, migration 0012), in the same transaction as each ticket
change, so a sum read in any transaction equals a COUNT over the tickets it sees.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery, Sum

from otklik.tickets.models import Status, TicketCount

# The most rows one fold reads: a minute's changes at a busy desk are a few thousand.
FOLD_BATCH = 100_000


@dataclass(frozen=True)
class KeptCount:
    team_id: int | None
    assignee_id: int | None
    status_id: int
    kind: str | None  # the status's kind (None only for a status deleted since)
    n: int


def kept_counts(condition: Q | None = None) -> list[KeptCount]:
    """The number of tickets per (team, assignee, status), for the keys matching `condition` (a condition
    on `team_id`, `assignee_id`, `status_id`; None: every key), with each status's kind. Keys with no
    ticket are left out. One query."""
    rows = TicketCount.objects.all() if condition is None else TicketCount.objects.filter(condition)
    kind = Subquery(Status.objects.filter(pk=OuterRef("status_id")).values("kind")[:1])
    summed = (rows.order_by().values_list("team_id", "assignee_id", "status_id")
              .annotate(kind=kind, total=Sum("n")).exclude(total=0))
    return [KeptCount(*row) for row in summed]


@transaction.atomic
def counts_fold(*, batch: int = FOLD_BATCH) -> int:
    """Replace the oldest `batch` kept rows by one row per key; returns how many rows were read.

    Exactly the rows deleted are summed (DELETE … RETURNING), so a fold running beside another fold, or
    beside a ticket change whose rows commit later, never loses nor counts twice a row; readers see the
    same sums before and after, as the fold commits in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM tickets_ticketcount WHERE id IN (SELECT id FROM tickets_ticketcount ORDER BY id LIMIT %s)"
            " RETURNING team_id, assignee_id, status_id, n", [batch])
        rows = cursor.fetchall()
    sums: Counter[tuple[int | None, int | None, int]] = Counter()
    for team_id, assignee_id, status_id, n in rows:
        sums[(team_id, assignee_id, status_id)] += n
    TicketCount.objects.bulk_create(
        TicketCount(team_id=team_id, assignee_id=assignee_id, status_id=status_id, n=n)
        for (team_id, assignee_id, status_id), n in sums.items() if n
    )
    return len(rows)
