"""What the ticket services' receivers would have kept, rebuilt for an import batch in its transaction.

- SLA clocks: dropped and replayed from the imported history with today's policies
  (`sla.demo.backfill_clocks`). A closed or resolved ticket gets stopped clocks only (met or missed, for
  the reports); an open one gets clocks started at its original creation time. A breach or warning whose
  moment was before the import is written as *suppressed*: no SLA event, no notification, no escalation.
  Only deadlines still ahead of the import are announced, when they come.
- Report durations (`reports.TicketTimes`): recomputed for the batch's tickets, with the copies the SLA,
  CSAT and specialists reports read (`reports.outcomes`: clock outcomes, agents' days, rating copies) and
  their monthly tallies.
- The search index: the batch's subject and message rows rewritten.

Tickets new in the batch are held in memory with their messages and events (`Fresh`): their report and
search rows are computed from those objects with the same functions the reports and search apps use
(`reports.facts.ticket_facts`, `search.indexing.subject_text` / `message_text`) and written with COPY,
instead of reading back what the batch has just written. Tickets written before the batch go through
`refresh_many` / `reindex_tickets`, which read them (events recorded in Otklik since count too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from otklik.demodata.bulk import insert_rows
from otklik.imports.bulk import copy_rows
from otklik.reports import outcomes
from otklik.reports.facts import HISTORY_KINDS, HistoryItem, desk_calendar, refresh_many, status_maps, ticket_facts
from otklik.reports.models import TicketTimes
from otklik.reports.rollups import apply_changes, snapshot
from otklik.search.indexing import message_text, reindex_tickets, subject_text
from otklik.search.models import SearchEntry
from otklik.sla.demo import backfill_clocks
from otklik.sla.models import SlaClock
from otklik.tickets.models import Message, Ticket, TicketEvent

SEARCH_COLUMNS = ("ticket_id", "message_id", "is_internal", "text")


@dataclass
class Fresh:
    """A ticket inserted by this batch, as written: every message it has and its events in stored order."""

    ticket: Ticket
    messages: list[Message]
    events: list[TicketEvent]


def rebuild_derived(
    ticket_ids: list[int], existing_ids: set[int], now: datetime, fresh: dict[int, Fresh] | None = None
) -> None:
    """`existing_ids`: the tickets written before this batch, whose old clocks and search rows go first.
    `fresh`: tickets new in this batch (none of them in `existing_ids`), by id."""
    if not ticket_ids:
        return
    fresh = fresh or {}
    if existing_ids:
        SlaClock.objects.filter(ticket_id__in=sorted(existing_ids)).delete()
    # New clock, clock-event and search rows go in with COPY on PostgreSQL (bulk INSERT elsewhere).
    backfill_clocks(now, ticket_ids=ticket_ids, insert=insert_rows)
    stale = [pk for pk in ticket_ids if pk not in fresh]
    if stale:
        refresh_many(stale)
        reindex_tickets(stale, replace=sorted(existing_ids), insert=insert_rows)
    if fresh:
        report_rows_insert(list(fresh.values()))
        search_rows_insert(list(fresh.values()))
        # The copies read from the clocks, events and ratings just written and the report rows above (set-based,
        # a few statements per batch); `refresh_many` does the same for the stale tickets.
        fresh_ids = sorted(fresh)
        outcomes.sync_clocks(fresh_ids)
        outcomes.sync_work(fresh_ids)
        outcomes.sync_ratings(fresh_ids)


def report_rows_insert(tickets: list[Fresh]) -> int:
    """The `TicketTimes` rows of new tickets, as `reports.facts.refresh_many` computes them."""
    pauses, kinds = status_maps()
    desk = desk_calendar()
    columns = [field.attname for field in TicketTimes._meta.concrete_fields]
    rows = []
    written = []
    for item in tickets:
        history = [HistoryItem(e.kind, e.data, e.created_at) for e in item.events if e.kind in HISTORY_KINDS]
        times = ticket_facts(item.ticket, history, pauses=pauses, kinds=kinds, desk=desk)
        snapshot(times, item.ticket)
        written.append(times)
        rows.append(tuple(getattr(times, name) for name in columns))
    count = copy_rows(TicketTimes, columns, rows)
    apply_changes([], written)  # the monthly rollups, hourly counts and histograms, as the receiver keeps them
    return count


def search_rows_insert(tickets: list[Fresh]) -> int:
    """The search rows of new tickets (subject and messages), as `search.indexing.reindex_tickets` writes them."""
    rows: list[tuple[int, int | None, bool, str]] = []
    for item in tickets:
        rows.append((item.ticket.pk, None, False, subject_text(item.ticket)))
        rows += [(m.ticket_id, m.pk, m.is_internal, message_text(m)) for m in item.messages]
    return copy_rows(SearchEntry, SEARCH_COLUMNS, rows)
