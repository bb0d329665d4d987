"""Per-clock SLA outcomes, per-agent daily work and ratings, with the ticket's report dimensions
(docs/reports.md).

These tables copy what the SLA and specialists reports read (a stopped clock's outcome; the events a person
wrote on a ticket on a local day; a rating) together with the ticket's dimensions from its `TicketTimes` row,
so a period is read from one index, never joined per clock, event or rating. The clocks, events and ratings
stay the truth: the reports receiver resyncs a ticket's outcomes after every event that can stop, restart or
re-judge its clocks and its rating copies after a rating, counts every event with an actor into its day (one
additive upsert), and moves the copied dimensions when the ticket's change; `otklik reports_rebuild`
rewrites them all from scratch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from otklik.reports import tallies
from otklik.reports.filters import zone
from otklik.reports.models import COPIED_DIMENSIONS, AgentWork, ReportRating, SlaOutcome, TicketTimes
from otklik.sla.models import ClockState, SlaClock
from otklik.tickets.models import EventKind, TicketEvent, TicketRating

# The events after which the SLA receiver (which runs before this app's, by INSTALLED_APPS order) may have
# stopped, restarted, cancelled or re-judged a clock of the ticket (otklik.sla.services: CLOCK_KINDS,
# REMATCH_KINDS, and the SLA changes it records itself). A new ticket has no stopped clock.
CLOCK_EVENTS = frozenset({
    EventKind.REPLIED, EventKind.STATUS_CHANGED, EventKind.RESOLVED, EventKind.CLOSED, EventKind.REOPENED,
    EventKind.MERGED, EventKind.SLA_CHANGED, EventKind.TEAM_CHANGED, EventKind.CATEGORY_CHANGED,
    EventKind.PRIORITY_CHANGED, EventKind.REQUEST_TYPE_CHANGED,
})
_DIMS = ", ".join(COPIED_DIMENSIONS)
_FROM_TIMES = ", ".join(f"t.{name}" for name in COPIED_DIMENSIONS)


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {"outcome": quote(SlaOutcome._meta.db_table), "work": quote(AgentWork._meta.db_table),
            "times": quote(TicketTimes._meta.db_table), "clock": quote(SlaClock._meta.db_table),
            "copy": quote(ReportRating._meta.db_table), "rating": quote(TicketRating._meta.db_table)}


def _in(ticket_ids: Iterable[int] | None, column: str) -> tuple[str, list[Any]]:
    if ticket_ids is None:
        return "", []
    ids = [int(pk) for pk in ticket_ids]
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", ids


def _rewrite(target: str, ticket_ids: Iterable[int] | None, insert: str, params: list[Any], *,
             on: str | None, tally: tallies.Tally) -> int:
    """Delete the target's rows of these tickets (every ticket when None) and write them again with `insert`
    (its parameters `params`), limited to the same tickets on the column `on` unless the statement already
    is; two statements, which also move the target's monthly tally (`reports.tallies`). Returns the rows
    written."""
    ids = None if ticket_ids is None else list(ticket_ids)
    if ids is not None and not ids:
        return 0
    where, where_params = _in(ids, "ticket_id")
    insert_where, insert_params = _in(ids, on) if on is not None else ("", [])
    return tallies.rewrite(tally, target, ids, (where, where_params),
                           (insert + insert_where, [*params, *insert_params]))


def sync_clocks(ticket_ids: Iterable[int] | None = None) -> int:
    """Rewrite the outcome rows of these tickets (every ticket when None) from their stopped clocks and
    their report rows; two statements. Returns the rows written."""
    names = _tables()
    return _rewrite(
        names["outcome"], ticket_ids,
        f"INSERT INTO {names['outcome']} (clock_id, ticket_id, metric, policy_id, stopped_at, met, {_DIMS}) "
        + _clock_rows(names), [ClockState.STOPPED], on="c.ticket_id", tally=tallies.SLA,
    )


def _clock_rows(names: dict[str, str]) -> str:
    """The outcome rows of the stopped clocks, from the clocks and the report rows (its parameter: the state)."""
    return (f"SELECT c.id, c.ticket_id, c.metric, c.policy_id, c.stopped_at, c.met, {_FROM_TIMES} "  # noqa: S608
            f"FROM {names['clock']} c JOIN {names['times']} t ON t.ticket_id = c.ticket_id "
            "WHERE c.state = %s AND c.stopped_at IS NOT NULL")


def clocks_in_sync(ticket_id: int) -> bool:
    """Whether the ticket's outcome rows are already, column for column, the rows `sync_clocks` would write
    (then its rewrite would delete and insert the same rows and move its tally by nothing); one read. The
    rows are keyed by their clock, so comparing the two sets both ways is comparing the tables' contents."""
    names = _tables()
    current = (f"SELECT clock_id, ticket_id, metric, policy_id, stopped_at, met, {_DIMS} "  # noqa: S608
               f"FROM {names['outcome']} WHERE ticket_id = %s")
    wanted = _clock_rows(names) + " AND c.ticket_id = %s"
    with connection.cursor() as cursor:
        # Names come from the models; values are parameters.
        cursor.execute(f"SELECT EXISTS ({current} EXCEPT {wanted}) OR EXISTS ({wanted} EXCEPT {current})",
                       [ticket_id, ClockState.STOPPED, ticket_id, ClockState.STOPPED, ticket_id, ticket_id])
        return not cursor.fetchone()[0]


def is_requester_reply(event: TicketEvent) -> bool:
    """A public reply not written by the staff (the requester's, or one logged for them)."""
    return event.kind == EventKind.REPLIED and isinstance(event.data, dict) and event.data.get("by") != "staff"


def sync_ratings(ticket_ids: Iterable[int] | None = None) -> int:
    """Rewrite the rating copies of these tickets (every ticket when None) from their ratings and report
    rows; two statements. Returns the rows written."""
    names = _tables()
    return _rewrite(
        names["copy"], ticket_ids,
        f"INSERT INTO {names['copy']} (rating_id, ticket_id, created_at, score, {_DIMS}) "  # noqa: S608
        f"SELECT r.id, r.ticket_id, r.created_at, r.score, {_FROM_TIMES} "
        f"FROM {names['rating']} r JOIN {names['times']} t ON t.ticket_id = r.ticket_id WHERE 1 = 1",
        [], on="r.ticket_id", tally=tallies.RATINGS,
    )


def count_work(event: TicketEvent) -> None:
    """Add one event to its actor's day on the ticket (one upsert; dimensions from the ticket's report row,
    which this receiver has already brought up to date)."""
    if event.actor_id is None:
        return
    names = _tables()
    day = timezone.localtime(event.created_at, zone()).date()
    reply = int(event.kind == EventKind.REPLIED and isinstance(event.data, dict) and event.data.get("by") == "staff")
    note = int(event.kind == EventKind.NOTE_ADDED)
    # The day's row and the month's tally (`reports.tallies`): one statement on PostgreSQL (the row returned
    # to the tally's upsert); SQLite, which cannot chain writes, adds the tally from the row in a second one.
    upsert = (
        f"INSERT INTO {names['work']} (ticket_id, actor_id, day, events, replies, notes, {_DIMS}) "  # noqa: S608
        f"SELECT t.ticket_id, %s, %s, 1, %s, %s, {_FROM_TIMES} FROM {names['times']} t WHERE t.ticket_id = %s "
        f"ON CONFLICT (ticket_id, actor_id, day) DO UPDATE SET events = {names['work']}.events + 1, "
        f"replies = {names['work']}.replies + excluded.replies, notes = {names['work']}.notes + excluded.notes")
    params: list[Any] = [event.actor_id, day, reply, note, event.ticket_id]
    tally, tally_params = tallies.add_work(event.actor_id, day, reply, note)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH w AS ({upsert} RETURNING team_id, merged) {tally}", [*params, *tally_params])
            return
        cursor.execute(upsert, params)
        cursor.execute(
            f"WITH w AS (SELECT team_id, merged FROM {names['work']} "  # noqa: S608
            "WHERE ticket_id = %s AND actor_id = %s AND day = %s) " + tally,
            [event.ticket_id, event.actor_id, day, *tally_params])


def move_dimensions(times: TicketTimes, *, clocks: bool = True) -> None:
    """The ticket's dimensions changed: carry them onto its work rows (and outcome rows unless resynced)."""
    values = {name: getattr(times, name) for name in COPIED_DIMENSIONS}
    # One UPDATE each, which also moves the table's monthly tally (`reports.tallies`); in the tallies' one order
    # (SLA, ratings, work), so two transactions never lock their rows in opposite orders.
    if clocks:
        tallies.move(tallies.SLA, times.ticket_id, values)
    tallies.move(tallies.RATINGS, times.ticket_id, values)
    tallies.move(tallies.WORK, times.ticket_id, values)


def grouped_work(ticket_ids: Iterable[int] | None = None) -> Any:
    """Events with an actor per (ticket, actor, local day): the definition both upkeep paths must equal."""
    events = TicketEvent.objects.filter(actor__isnull=False)
    if ticket_ids is not None:
        events = events.filter(ticket_id__in=list(ticket_ids))
    return (events.annotate(day=TruncDate("created_at", tzinfo=zone())).order_by()
            .values("ticket_id", "actor_id", "day")
            .annotate(events=Count("pk"), replies=Count("pk", filter=Q(kind=EventKind.REPLIED, data__by="staff")),
                      notes=Count("pk", filter=Q(kind=EventKind.NOTE_ADDED))))


def sync_work(ticket_ids: Iterable[int] | None = None) -> int:
    """Rewrite the work rows of these tickets (every ticket when None) from their events; two statements."""
    ids = None if ticket_ids is None else list(ticket_ids)
    if ids is not None and not ids:
        return 0  # before the inner query: Django compiles no SQL for an empty id list
    names = _tables()
    # The inner query is Django's own SQL with its parameters, already limited to the tickets.
    inner, inner_params = grouped_work(ids).query.sql_with_params()
    return _rewrite(
        names["work"], ids,
        f"INSERT INTO {names['work']} (ticket_id, actor_id, day, events, replies, notes, {_DIMS}) "  # noqa: S608
        f"SELECT g.ticket_id, g.actor_id, g.day, g.events, g.replies, g.notes, {_FROM_TIMES} "
        f"FROM ({inner}) g JOIN {names['times']} t ON t.ticket_id = g.ticket_id",
        list(inner_params), on=None, tally=tallies.WORK,
    )


def on_event(event: TicketEvent, times: TicketTimes | None, old_dimensions: tuple[Any, ...] | None) -> None:
    """The receiver's part for these tables, after the ticket's report row was refreshed (`times`, None when
    the event did not refresh it)."""
    # A ticket created already answered or resolved takes the full path: its clocks are read too.
    resync = event.kind in CLOCK_EVENTS or event.kind == EventKind.CREATED
    # The tables in the tallies' one order (SLA, ratings, work): their monthly rows are locked in that order.
    # A requester's reply seldom stops or re-judges a clock (a next-reply cycle it starts is running; only one
    # logged late can add a stopped one): its rows are compared first, one read instead of the rewrite's two
    # statements (four on SQLite), and rewritten only when they differ.
    if resync and not (is_requester_reply(event) and clocks_in_sync(event.ticket_id)):
        sync_clocks([event.ticket_id])
    if times is not None and old_dimensions is not None and dimensions_of(times) != old_dimensions:
        move_dimensions(times, clocks=not resync)
    if event.kind == EventKind.RATED:
        sync_ratings([event.ticket_id])
    count_work(event)


def dimensions_of(times: TicketTimes) -> tuple[Any, ...]:
    return tuple(getattr(times, name) for name in COPIED_DIMENSIONS)
