"""The load report of a long period read from the report rows in one pass (PostgreSQL).

When the kept hourly counts cannot answer (two filter dimensions, an assignee filter, an agent's own figures),
the load report reads the report rows: new per local hour, closed per local day with the resolution times'
distribution, and the first-response times' distribution. Each was its own pass over the period's rows, and
over a year each pass is a scan of the whole table (a third of a second or more at 1M tickets). Here the rows
that count in any of the three are read once into a materialized CTE (five narrow columns) and the three
aggregates read it: the same statements' results, in one scan (docs/performance.md, "Reports, round 10").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Q, QuerySet

from otklik.reports.buckets import bucket_bounds
from otklik.reports.filters import ReportFilters, zone
from otklik.reports.models import TicketTimes

# Each part returns (part, local hour or day, count, bucket counts, p50, p90); unused columns are NULL.
LOAD_SQL = """
WITH r AS MATERIALIZED ({rows})
SELECT 'new', date_trunc('hour', r.created_at AT TIME ZONE %(zone)s), count(*), {no_buckets}, NULL::float8,
       NULL::float8
FROM r WHERE r.created_at >= %(since)s AND r.created_at < %(until)s GROUP BY 2
UNION ALL
SELECT 'closed', (r.resolved_at AT TIME ZONE %(zone)s)::date::timestamp, count(*), {no_buckets}, NULL::float8,
       NULL::float8
FROM r WHERE r.resolved_at >= %(since)s AND r.resolved_at < %(until)s GROUP BY 2
UNION ALL
SELECT 'resolution', NULL, count(*), {resolution_buckets},
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.resolution_seconds),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY r.resolution_seconds)
FROM r WHERE r.resolved_at >= %(since)s AND r.resolved_at < %(until)s
UNION ALL
SELECT 'first_response', NULL, count(*), {first_buckets},
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.first_response_seconds),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY r.first_response_seconds)
FROM r WHERE r.first_response_at >= %(since)s AND r.first_response_at < %(until)s
"""


@dataclass(frozen=True)
class Spread:
    """A distribution as the load report shows it: its bucket counts and two percentiles."""

    counts: list[int]
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class LoadRows:
    hours: dict[tuple[date, int], int]  # new per (local day, local hour)
    closed: dict[date, int]  # per local day
    resolution: Spread
    first_response: Spread


def _buckets(column: str, uppers: Sequence[int | None]) -> tuple[str, dict[str, int]]:
    """count(*) per bucket of `column` (lower bound inclusive, upper exclusive; the last one open-ended), as the
    per-statement readings count them, with their bounds as named parameters."""
    parts: list[str] = []
    params: dict[str, int] = {}
    for index, (lower, upper) in enumerate(bucket_bounds(uppers)):
        name = f"{column.replace('.', '_')}_{index}"
        params[f"{name}_lo"] = lower
        if upper is None:
            parts.append(f"count(*) FILTER (WHERE {column} >= %({name}_lo)s)")
        else:
            parts.append(f"count(*) FILTER (WHERE {column} >= %({name}_lo)s AND {column} < %({name}_hi)s)")
            params[f"{name}_hi"] = upper
    return ", ".join(parts), params


def load_rows(rows_qs: QuerySet[TicketTimes], filters: ReportFilters, uppers: Sequence[int | None]) -> LoadRows:
    """New per local hour, closed per local day and the two distributions (buckets with these upper bounds, p50,
    p90) of the period, from these report rows in one pass."""
    window = Q()
    for moment in ("created_at", "resolved_at", "first_response_at"):
        window |= Q(**{f"{moment}__gte": filters.since, f"{moment}__lt": filters.until})
    inner, inner_params = (rows_qs.order_by().filter(window)
                           .values("created_at", "resolved_at", "first_response_at", "resolution_seconds",
                                   "first_response_seconds").query.sql_with_params())
    resolution_sql, resolution_params = _buckets("r.resolution_seconds", uppers)
    first_sql, first_params = _buckets("r.first_response_seconds", uppers)
    # The inner query is Django's own SQL: its positional parameters become named ones so that the named
    # parameters of the parts can follow.
    names = {f"inner_{index}": value for index, value in enumerate(inner_params)}
    inner_named = inner.replace("%%", "\0") % tuple(f"%({name})s" for name in names)
    inner_named = inner_named.replace("\0", "%%")
    no_buckets = ", ".join(["NULL::bigint"] * len(uppers))
    # Built from Django's SQL and fixed parts; every value is a parameter.
    sql = LOAD_SQL.format(rows=inner_named, no_buckets=no_buckets, resolution_buckets=resolution_sql,
                          first_buckets=first_sql)
    # The zone's name as Django's own truncations send it (an offset's sign turned round for PostgreSQL).
    zone_name = connection.ops._prepare_tzname_delta(str(zone()))  # type: ignore[attr-defined]
    params = {**names, **resolution_params, **first_params, "zone": zone_name, "since": filters.since,
              "until": filters.until}
    hours: dict[tuple[date, int], int] = {}
    closed: dict[date, int] = {}
    empty = Spread([0] * len(uppers), None, None)
    spreads = {"resolution": empty, "first_response": empty}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for part, at, n, *rest in cursor.fetchall():
            if part == "new":
                local: datetime = at
                hours[(local.date(), local.hour)] = hours.get((local.date(), local.hour), 0) + n
            elif part == "closed":
                closed[at.date()] = n
            else:
                spreads[part] = Spread([int(count or 0) for count in rest[:len(uppers)]], rest[-2], rest[-1])
    return LoadRows(hours, closed, spreads["resolution"], spreads["first_response"])
