"""Monthly rollups of the second-line numbers, kept from ticket events and rebuilt by `reports_rebuild`.

Each ticket contributes to at most three rows of `MonthlyRollup`, all under its key (team, category,
priority, source): +1 `new` in the local month it was created, +1 `closed` (with its resolution times) in
the month of its last resolution, +1 `responded` (with its first-response times) in the month of its first
answer. A merged ticket contributes nothing. `TicketTimes` remembers what the ticket last contributed
(`rolled_*`, `*_month`), so a change subtracts exactly that and adds the new contribution, in the same
transaction as the event. Rows are upserted with additive `ON CONFLICT DO UPDATE` (PostgreSQL and SQLite),
keys in sorted order so two transactions never lock the same rows in opposite orders.

Reading: `otklik.reports.monthly` serves whole-month periods from these rows when the filters and the
viewer's scope are expressible in the key, and falls back to the per-ticket rows otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from otklik.reports import cube, groups
from otklik.reports.filters import zone
from otklik.reports.models import MonthlyRollup, TicketTimes
from otklik.tickets.models import Ticket

MEASURES = (
    "new",
    "closed",
    "resolution_n",
    "resolution_sum",
    "resolution_working_sum",
    "responded",
    "first_response_n",
    "first_response_sum",
    "first_response_working_sum",
)
KEY_FIELDS = ("month", "team_key", "category_key", "priority_key", "source")
Key = tuple[date, int, int, int, str]
Contribution = dict[Key, dict[str, int]]
# The ticket fields a contribution depends on (read fresh: a receiver's ticket object may be stale when
# automation changed the row in a nested event).
TICKET_FIELDS = (
    "pk",
    "created_at",
    "first_response_at",
    "resolved_at",
    "team_id",
    "category_id",
    "priority_id",
    "source",
    "merged_into_id",
    "assignee_id",
    "status_id",
    "organization_id",
    "request_type_id",
)
# The report dimensions copied onto the times row (`dimensions`): the ticket's own field names, so a
# condition written for tickets (the access module's scope, the report filters) reads the same here.
DIMENSION_FIELDS = (
    "created_at",
    "first_response_at",
    "resolved_at",
    "team_id",
    "assignee_id",
    "category_id",
    "priority_id",
    "status_id",
    "organization_id",
    "request_type_id",
    "source",
    "merged",
)


def month_of(at: datetime) -> date:
    """The first day of the local month (the installation's zone, like every report period)."""
    return timezone.localtime(at, zone()).date().replace(day=1)


def dimensions(times: TicketTimes, ticket: Ticket) -> None:
    """Copy the ticket's report dimensions onto its times row (what reports group, filter and scope by)."""
    for name in DIMENSION_FIELDS:
        if name != "merged":
            setattr(times, name, getattr(ticket, name))
    times.merged = ticket.merged_into_id is not None


def snapshot(times: TicketTimes, ticket: Ticket) -> None:
    """Record on the times row the key and months under which the ticket counts now (and its dimensions)."""
    dimensions(times, ticket)
    counted = ticket.merged_into_id is None
    times.rolled_team = ticket.team_id or 0
    times.rolled_category = ticket.category_id or 0
    times.rolled_priority = ticket.priority_id or 0
    times.rolled_source = ticket.source or ""
    times.counted_month = month_of(ticket.created_at) if counted else None
    times.resolved_month = month_of(ticket.resolved_at) if counted and ticket.resolved_at else None
    times.responded_month = month_of(ticket.first_response_at) if counted and ticket.first_response_at else None


def contribution(times: TicketTimes | None) -> Contribution:
    """What one ticket adds to the rollups, from its times row (durations and snapshot)."""
    found: Contribution = {}
    if times is None or times.counted_month is None:
        return found
    dims = (times.rolled_team, times.rolled_category, times.rolled_priority, times.rolled_source)

    def row(month: date) -> dict[str, int]:
        return found.setdefault((month, *dims), dict.fromkeys(MEASURES, 0))

    row(times.counted_month)["new"] += 1
    if times.resolved_month is not None:
        closed = row(times.resolved_month)
        closed["closed"] += 1
        if times.resolution_seconds is not None:
            closed["resolution_n"] += 1
            closed["resolution_sum"] += times.resolution_seconds
            closed["resolution_working_sum"] += times.resolution_working_seconds or 0
    if times.responded_month is not None:
        responded = row(times.responded_month)
        responded["responded"] += 1
        if times.first_response_seconds is not None:
            responded["first_response_n"] += 1
            responded["first_response_sum"] += times.first_response_seconds
            responded["first_response_working_sum"] += times.first_response_working_seconds or 0
    return found


def apply_change(old: TicketTimes | None, new: TicketTimes | None) -> None:
    """Move a ticket's contribution from what `old` recorded to what `new` records (the monthly rollups by the
    rows' snapshots, the hourly counts and histograms by their dimensions and durations)."""
    apply_changes([old], [new])


def apply_changes(old: Sequence[TicketTimes | None], new: Sequence[TicketTimes | None]) -> None:
    """`apply_change` for many tickets at once (the import's batches): every row of `old` subtracted and
    every row of `new` added, in one upsert per table (one statement on PostgreSQL)."""
    cube.upsert_added(_changes(old, new))


def _changes(old: Sequence[TicketTimes | None], new: Sequence[TicketTimes | None]) -> list[cube.Part]:
    deltas: Contribution = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for sign, rows in ((-1, old), (1, new)):
        for times in rows:
            for key, values in contribution(times).items():
                for name, value in values.items():
                    deltas[key][name] += sign * value
    # The hourly counts and histograms move with the same rows, in the same statement on PostgreSQL.
    return [cube.Part(MonthlyRollup, KEY_FIELDS, MEASURES, dict(deltas)), *cube.parts(old, new)]


def insert_new(times: TicketTimes) -> bool:
    """The create path: insert the row of a new ticket and add it to the rollups, unless a nested event
    (automation routing the ticket inside the create transaction) already did; True when inserted. One
    statement on PostgreSQL (the row's INSERT gates the rollups' upserts)."""
    table = connection.ops.quote_name(TicketTimes._meta.db_table)
    fields = list(TicketTimes._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    values = [field.get_db_prep_save(getattr(times, field.attname), connection) for field in fields]
    # Names come from the model, values are parameters.
    insert = (f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608
              f"ON CONFLICT ({connection.ops.quote_name('ticket_id')}) DO NOTHING")
    return cube.upsert_added(_changes([None], [times]), only_if=(insert, values))


# ---------------------------------------------------------------- rebuild


def _grouped(month_field: str, measures: dict[str, Any], condition: Q) -> Any:
    return (
        TicketTimes.objects.filter(condition)
        .order_by()
        .values(month_field, "rolled_team", "rolled_category", "rolled_priority", "rolled_source")
        .annotate(**measures)
    )


def rebuild_rollups(progress: Callable[[int, int], Any] | None = None) -> int:
    """Recompute every rollup row from the times rows' snapshots (three grouped queries); returns rows."""
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    steps: list[tuple[str, dict[str, Any], Q]] = [
        ("counted_month", {"new": Count("pk")}, Q(counted_month__isnull=False)),
        (
            "resolved_month",
            {
                "closed": Count("pk"),
                "resolution_n": Count("resolution_seconds"),
                "resolution_sum": Coalesce(Sum("resolution_seconds"), 0),
                "resolution_working_sum": Coalesce(Sum("resolution_working_seconds"), 0),
            },
            Q(resolved_month__isnull=False),
        ),
        (
            "responded_month",
            {
                "responded": Count("pk"),
                "first_response_n": Count("first_response_seconds"),
                "first_response_sum": Coalesce(Sum("first_response_seconds"), 0),
                "first_response_working_sum": Coalesce(Sum("first_response_working_seconds"), 0),
            },
            Q(responded_month__isnull=False),
        ),
    ]
    for index, (month_field, measures, condition) in enumerate(steps, start=1):
        for row in _grouped(month_field, measures, condition).iterator(chunk_size=5000):
            key = (
                row[month_field],
                row["rolled_team"],
                row["rolled_category"],
                row["rolled_priority"],
                row["rolled_source"],
            )
            for name in measures:
                totals[key][name] += int(row[name] or 0)
        if progress is not None:
            progress(index, len(steps) + 1)
    with transaction.atomic():
        MonthlyRollup.objects.all().delete()
        MonthlyRollup.objects.bulk_create(
            [
                MonthlyRollup(
                    month=key[0], team_key=key[1], category_key=key[2], priority_key=key[3], source=key[4], **values
                )
                for key, values in sorted(totals.items())
            ],
            batch_size=2000,
        )
    if progress is not None:
        progress(len(steps) + 1, len(steps) + 1)
    return len(totals)


def recomputed_from_tickets() -> dict[Key, dict[str, int]]:
    """The rollups as they should be, from the raw ticket rows and their durations (tests, checks)."""
    tickets = Ticket.objects.filter(merged_into__isnull=True, report_times__isnull=False).order_by()
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    tz = zone()
    dims = ("team_id", "category_id", "priority_id", "source")
    steps: list[tuple[str, dict[str, Any]]] = [
        ("created_at", {"new": Count("pk")}),
        (
            "resolved_at",
            {
                "closed": Count("pk"),
                "resolution_n": Count("report_times__resolution_seconds"),
                "resolution_sum": Sum("report_times__resolution_seconds"),
                "resolution_working_sum": Sum("report_times__resolution_working_seconds"),
            },
        ),
        (
            "first_response_at",
            {
                "responded": Count("pk"),
                "first_response_n": Count("report_times__first_response_seconds"),
                "first_response_sum": Sum("report_times__first_response_seconds"),
                "first_response_working_sum": Sum("report_times__first_response_working_seconds"),
            },
        ),
    ]
    for field, measures in steps:
        rows = (
            tickets.filter(**{f"{field}__isnull": False})
            .annotate(m=TruncMonth(field, tzinfo=tz))
            .values("m", *dims)
            .annotate(**measures)
        )
        for row in rows:
            month = row["m"].date() if isinstance(row["m"], datetime) else row["m"]
            key = (month, row["team_id"] or 0, row["category_id"] or 0, row["priority_id"], row["source"])
            for name in measures:
                totals[key][name] += int(row[name] or 0)
    return {key: values for key, values in totals.items() if any(values.values())}


def stored() -> dict[Key, dict[str, int]]:
    """The rollup rows as kept, without rows that went back to zero."""
    return groups.nonzero_rows(MonthlyRollup, KEY_FIELDS, MEASURES)
