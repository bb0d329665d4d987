"""What the ticket services' receivers would have kept, rebuilt for an import batch in its transaction.

- SLA clocks: dropped and replayed from the imported history with today's policies
  (`sla.demo.backfill_clocks`). A closed or resolved ticket gets stopped clocks only (met or missed, for
  the reports); an open one gets clocks started at its original creation time. A breach or warning whose
  moment was before the import is written as *suppressed*: no SLA event, no notification, no escalation.
  Only deadlines still ahead of the import are announced, when they come.
- Report durations (`reports.TicketTimes`): recomputed for the batch's tickets.
- The search index: the batch's subject and message rows rewritten.
"""

from __future__ import annotations

from datetime import datetime

from otklik.demodata.bulk import insert_rows
from otklik.reports.facts import refresh_many
from otklik.search.indexing import reindex_tickets
from otklik.sla.demo import backfill_clocks
from otklik.sla.models import SlaClock


def rebuild_derived(ticket_ids: list[int], existing_ids: set[int], now: datetime) -> None:
    """`existing_ids`: the tickets written before this batch, whose old clocks and search rows go first."""
    if not ticket_ids:
        return
    if existing_ids:
        SlaClock.objects.filter(ticket_id__in=sorted(existing_ids)).delete()
    # New clock, clock-event and search rows go in with COPY on PostgreSQL (bulk INSERT elsewhere).
    backfill_clocks(now, ticket_ids=ticket_ids, insert=insert_rows)
    refresh_many(ticket_ids)
    reindex_tickets(ticket_ids, replace=sorted(existing_ids), insert=insert_rows)
