"""Hourly counts and duration histograms per team, kept from the report rows (docs/reports.md).

Each report row (`TicketTimes`, not merged) contributes +1 `new` to the local hour of its creation and +1
`closed` to the local hour of its last resolution (`HourlyCount`), and +1 to the duration bucket of its first
response (in the local month of the first answer) and of its resolution (in the month of the last
resolution) (`DurationHistogram`, buckets from `reports.buckets`), all under its team. Whenever a report row
is written, its old contribution is subtracted and the new one added (`parts`, written by
`rollups.apply_change` in the same statement as the monthly rollups on PostgreSQL; `move` for the import);
`rebuild_cube` recomputes them from the report rows (`otklik reports_rebuild`).

Reading: `cube_source` says whether a viewer and filters can be answered from these rows (whole teams or
everything; no filter but team), and which report rows must be added by hand (the viewer's personal tickets
outside their teams); otherwise the reports read the report rows.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncHour, TruncMonth
from django.utils import timezone

from otklik.accounts.models import User
from otklik.reports import groups
from otklik.reports.buckets import THRESHOLDS, bucket_of
from otklik.reports.filters import ReportFilters, is_own_figures_only, month_bounds, scope_parts, scoped_rows, zone
from otklik.reports.groups import month_key
from otklik.reports.models import (
    AssigneeMonth,
    DurationHistogram,
    GroupHistogram,
    GroupRollup,
    HourlyCount,
    TicketTimes,
)
from otklik.reports.slices import SLICES, filter_slice, key_text, row_slices, with_slice_value

Deltas = dict[tuple[Any, ...], dict[str, int]]
HOURLY_KEY = ("fdim", "fvalue", "day", "hour", "team_key")
HOURLY_MEASURES = ("new", "closed")
HISTOGRAM_KEY = ("fdim", "fvalue", "month", "team_key", "metric", "bucket")
HISTOGRAM_MEASURES = ("n",)
# metric: (the moment that places a duration in a month, the duration)
METRICS = {"first_response": ("first_response_at", "first_response_seconds"),
           "resolution": ("resolved_at", "resolution_seconds")}
ASSIGNEE_KEY = ("month", "team_key", "assignee_key")
ASSIGNEE_MEASURES = ("resolved", "res_n", "res_sum", "res_w_n", "res_w_sum",
                     "responded", "fr_n", "fr_sum", "fr_w_n", "fr_w_sum")
# per assignee: (the moment that places the ticket in a month, its count, prefix, duration, working duration)
ASSIGNEE_PARTS = (("resolved_at", "resolved", "res", "resolution_seconds", "resolution_working_seconds"),
                  ("first_response_at", "responded", "fr", "first_response_seconds",
                   "first_response_working_seconds"))


@dataclass(frozen=True)
class Part:
    """Additive changes to one table: per key, how much to add to each measure."""

    model: type[Model]
    key: tuple[str, ...]
    measures: tuple[str, ...]
    deltas: Deltas


# ---------------------------------------------------------------- upkeep


def _local(at: datetime) -> datetime:
    return timezone.localtime(at, zone())


def contribution(times: TicketTimes | None) -> tuple[Deltas, Deltas]:
    """What one report row adds: (hourly counts, histogram buckets)."""
    hourly: Deltas = {}
    histogram: Deltas = {}
    if times is None or times.merged or times.created_at is None:
        return hourly, histogram
    team = times.team_id or 0
    created = _local(times.created_at)
    resolved = None if times.resolved_at is None else _local(times.resolved_at)
    durations = [(metric, month_key(getattr(times, moment)), bucket_of(getattr(times, field)))
                 for metric, (moment, field) in METRICS.items()
                 if getattr(times, moment) is not None and getattr(times, field) is not None]
    for fdim, fvalue in row_slices(times, SLICES):
        for local, measure in ((created, "new"), (resolved, "closed")):
            if local is not None:
                row = hourly.setdefault((fdim, fvalue, local.date(), local.hour, team),
                                        dict.fromkeys(HOURLY_MEASURES, 0))
                row[measure] += 1
        for metric, month, bucket in durations:
            histogram[(fdim, fvalue, month, team, metric, bucket)] = {"n": 1}
    return hourly, histogram


def assignee_contribution(times: TicketTimes | None) -> Deltas:
    """What one report row adds to the assignees' months: resolved (with its resolution times) in the month of
    the last resolution, responded (with its first-response times) in the month of the first answer. A ticket
    without an assignee adds nothing (the specialists report lists people)."""
    found: Deltas = {}
    if times is None or times.merged or times.created_at is None or times.assignee_id is None:
        return found
    for moment, count, prefix, field, working in ASSIGNEE_PARTS:
        at = getattr(times, moment)
        if at is None:
            continue
        row = found.setdefault((month_key(at), times.team_id or 0, times.assignee_id),
                               dict.fromkeys(ASSIGNEE_MEASURES, 0))
        row[count] += 1
        for suffix, name in (("", field), ("_w", working)):
            seconds = getattr(times, name)
            if seconds is not None:
                row[f"{prefix}{suffix}_n"] += 1
                row[f"{prefix}{suffix}_sum"] += seconds
    return found


def parts(old: Iterable[TicketTimes | None], new: Iterable[TicketTimes | None]) -> list[Part]:
    """The changes that move these rows' contributions from the `old` rows to the `new` ones."""
    hourly: Deltas = defaultdict(lambda: dict.fromkeys(HOURLY_MEASURES, 0))
    histogram: Deltas = defaultdict(lambda: dict.fromkeys(HISTOGRAM_MEASURES, 0))
    group_sums: Deltas = {}
    group_buckets: Deltas = {}
    assignees: Deltas = defaultdict(lambda: dict.fromkeys(ASSIGNEE_MEASURES, 0))
    for sign, rows in ((-1, old), (1, new)):
        for times in rows:
            groups.add_deltas(group_sums, group_buckets, times, sign)
            found_hourly, found_histogram = contribution(times)
            for target, found in ((hourly, found_hourly), (histogram, found_histogram),
                                  (assignees, assignee_contribution(times))):
                for key, values in found.items():
                    for name, value in values.items():
                        target[key][name] += sign * value
    return [Part(HourlyCount, HOURLY_KEY, HOURLY_MEASURES, dict(hourly)),
            Part(DurationHistogram, HISTOGRAM_KEY, HISTOGRAM_MEASURES, dict(histogram)),
            Part(GroupRollup, groups.GROUP_KEY, groups.GROUP_MEASURES, group_sums),
            Part(GroupHistogram, groups.HISTOGRAM_KEY, ("n",), group_buckets),
            Part(AssigneeMonth, ASSIGNEE_KEY, ASSIGNEE_MEASURES, dict(assignees))]


@functools.cache
def _unnest(model: type[Model], columns: tuple[str, ...]) -> tuple[str, tuple[bool, ...]]:
    """`SELECT * FROM UNNEST(...)` of one array per column, and which columns are text (worked out once)."""
    fields = [model._meta.get_field(name) for name in columns]
    types = [str(field.db_type(connection)).split("(")[0] for field in fields]
    # Types come from the model's fields, values are parameters.
    return (f"SELECT * FROM UNNEST({', '.join(f'%s::{db_type}[]' for db_type in types)})",  # noqa: S608
            tuple(field.get_internal_type() in ("CharField", "TextField") for field in fields))


def _insert(part: Part, where: str = "") -> tuple[str, list[Any]] | None:
    """The upsert of one part's rows; `where` (PostgreSQL only) a condition every row is inserted under."""
    rows = [(key, values) for key, values in sorted(part.deltas.items()) if any(values.values())]
    if not rows:
        return None
    quote = connection.ops.quote_name
    table = quote(part.model._meta.db_table)
    columns = [*part.key, *part.measures]
    updates = ", ".join(f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}" for name in part.measures)
    values = [[*key, *(found[name] for name in part.measures)] for key, found in rows]
    if connection.vendor == "postgresql":
        # One array per column, as Django's bulk_create sends rows: a statement's parameters no longer grow with
        # its rows, so psycopg keeps its parsed form (it does for at most 50), which a new ticket's rollups
        # (three tables, 147 values) had to be parsed anew for on every create. UNNEST keeps the sorted order.
        source, texts = _unnest(part.model, tuple(columns))
        # An array holds one type: a text column's values (a group's value may be an id) are sent as text. Each
        # array goes as its literal (`array_literal`), one string parameter cast by the statement, instead of a
        # list psycopg would dump element by element in Python.
        params: list[Any] = [array_literal([None if value is None else str(value) for value in column] if text
                                           else column)
                             for text, column in zip(texts, zip(*values, strict=True), strict=True)]
    else:
        source = "VALUES " + ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
        params = [value for row in values for value in row]
    # Names come from the models, values are parameters.
    return (f"INSERT INTO {table} ({', '.join(quote(name) for name in columns)}) {source}{where} "
            f"ON CONFLICT ({', '.join(quote(name) for name in part.key)}) DO UPDATE SET {updates}"), params


def array_literal(values: Iterable[Any]) -> str:
    """A PostgreSQL array's text form of these values (None, booleans, integers, dates, datetimes, strings),
    for a parameter the statement casts (`%s::bigint[]`): every element but NULL, a boolean or an integer is
    double-quoted with its backslashes and quotes escaped, so any text survives. What psycopg's list dumping
    sends, as one string; tests/reports/test_cube_arrays.py compares the two on PostgreSQL."""
    elements = []
    for value in values:  # one loop, no call per element: most of these arrays are integers
        if value is None:
            elements.append("NULL")
        elif value is True or value is False:
            elements.append("t" if value else "f")
        elif isinstance(value, int):
            elements.append(str(value))
        else:
            text = value.isoformat() if isinstance(value, date) else str(value)  # (a datetime is a date)
            elements.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(elements) + "}"


def upsert_added(changes: Sequence[Part], *, only_if: tuple[str, list[Any]] | None = None) -> bool:
    """Add the deltas to their rows, creating missing rows; keys in sorted order and tables in a fixed order,
    so concurrent changes never deadlock. On PostgreSQL every table in one statement (the others as
    data-modifying WITH clauses), so a new ticket's rollups cost one statement on the create path.

    `only_if`: an INSERT that may write one row or none (ON CONFLICT DO NOTHING); the deltas are added only
    when it wrote, and the answer says whether it did. On PostgreSQL it is the statement's first clause,
    the others read its RETURNING (so the new ticket's report row and its rollups are one statement);
    elsewhere it runs first and the rest only after it wrote."""
    gate = " WHERE EXISTS (SELECT 1 FROM g)" if connection.vendor == "postgresql" and only_if is not None else ""
    statements = [found for found in (_insert(part, gate) for part in changes) if found is not None]
    if gate and only_if is not None:
        guard, guard_params = only_if
        sql = ("WITH " + ", ".join([f"g AS ({guard} RETURNING 1)",  # noqa: S608  (statements built above)
                                   *(f"w{index} AS ({text})" for index, (text, _p) in enumerate(statements))])
               + " SELECT COUNT(*) FROM g")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*guard_params, *(value for _text, params in statements for value in params)])
            return bool(cursor.fetchone()[0])
    if only_if is not None:
        with connection.cursor() as cursor:
            cursor.execute(*only_if)
            if cursor.rowcount != 1:
                return False
    if not statements:
        return True
    if connection.vendor == "postgresql":
        *before, (last, last_params) = statements
        sql = ("WITH " + ", ".join(f"w{index} AS ({text})" for index, (text, _p) in enumerate(before)) + " "
               if before else "") + last
        statements = [(sql, [value for _text, params in before for value in params] + last_params)]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
    return True


# ---------------------------------------------------------------- from report rows (rebuild, edges, the rest)


def histogram_of(rows: QuerySet[TicketTimes], metric: str, dim: str = "",
                 ) -> dict[tuple[date, int, str, int], int]:
    """Per (local month of the metric's moment, team key, value of the slice's dimension `dim` ("" by
    default: none), bucket): how many of these rows have the duration."""
    moment, field = METRICS[metric]
    rows = with_slice_value(rows.order_by().filter(**{f"{moment}__isnull": False, f"{field}__isnull": False})
                   .annotate(m=TruncMonth(moment, tzinfo=zone())), dim)
    found: Counter[tuple[date, int, str, int]] = Counter()
    if connection.vendor == "postgresql":
        inner, params = rows.values("m", "team_id", "sv", field).query.sql_with_params()
        # The inner query is Django's own SQL with its parameters; the bucket bounds are a parameter too.
        sql = (f"SELECT r.m, r.team_id, r.sv, "  # noqa: S608
               f"(%s::bigint[])[greatest(1, width_bucket(r.{field}, %s::bigint[]))], "
               f"count(*) FROM ({inner}) r GROUP BY 1, 2, 3, 4")
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(THRESHOLDS), list(THRESHOLDS), *params])
            for month, team, value, bucket, n in cursor.fetchall():
                found[(month_key(month), team or 0, key_text(value), bucket)] += n
        return dict(found)
    for month, team, value, seconds in rows.values_list("m", "team_id", "sv", field).iterator(chunk_size=5000):
        found[(month_key(month), team or 0, key_text(value), bucket_of(seconds))] += 1
    return dict(found)


HourKey = tuple[date, int, int, str]


def hourly_of(rows: QuerySet[TicketTimes], filters: ReportFilters | None = None, dim: str = "",
              ) -> tuple[dict[HourKey, int], dict[HourKey, int]]:
    """New and closed per (local day, local hour, team key, value of the slice's dimension `dim` ("" by
    default: none)) of these rows (in the period, when given)."""
    tz = zone()
    found: list[dict[HourKey, int]] = []
    for moment in ("created_at", "resolved_at"):
        window = (Q(**{f"{moment}__gte": filters.since, f"{moment}__lt": filters.until}) if filters
                  else Q(**{f"{moment}__isnull": False}))
        counts: Counter[HourKey] = Counter()
        for at, team, value, n in (with_slice_value(rows.order_by().filter(window), dim)
                                   .annotate(h=TruncHour(moment, tzinfo=tz)).values("h", "team_id", "sv")
                                   .annotate(n=Count("pk")).values_list("h", "team_id", "sv", "n")):
            local = _local(at)
            counts[(local.date(), local.hour, team or 0, key_text(value))] += n
        found.append(dict(counts))
    return found[0], found[1]


def assignee_sums(rows: QuerySet[TicketTimes], window: dict[str, Q] | None = None,
                  ) -> dict[tuple[date, int, int], dict[str, int]]:
    """Per (local month, team key, assignee): the assignees' months of these rows (two grouped queries); with
    `window`, only the rows whose moment (resolved_at, first_response_at) falls in that moment's condition."""
    found: dict[tuple[date, int, int], dict[str, int]] = {}
    for moment, count, prefix, field, working in ASSIGNEE_PARTS:
        condition = (window or {}).get(moment, Q(**{f"{moment}__isnull": False}))
        measures: dict[str, Any] = {count: Count("pk"), f"{prefix}_n": Count(field), f"{prefix}_sum": Sum(field),
                                    f"{prefix}_w_n": Count(working), f"{prefix}_w_sum": Sum(working)}
        for row in (rows.order_by().filter(condition, assignee_id__isnull=False)
                    .annotate(m=TruncMonth(moment, tzinfo=zone())).values("m", "team_id", "assignee_id")
                    .annotate(**measures)):
            slot = found.setdefault((month_key(row["m"]), row["team_id"] or 0, row["assignee_id"]),
                                    dict.fromkeys(ASSIGNEE_MEASURES, 0))
            values: dict[str, Any] = dict(row)
            for name in measures:
                slot[name] += int(values[name] or 0)
    return found


def rebuild_cube() -> tuple[int, int]:
    """Recompute the hourly counts, the histograms and the breakdown groups from the report rows; returns (hour
    rows, bucket and group rows)."""
    rows = TicketTimes.objects.filter(merged=False, created_at__isnull=False)
    hours: list[HourlyCount] = []
    buckets: list[DurationHistogram] = []
    for fdim in ("", *SLICES):
        new, closed = hourly_of(rows, dim=fdim)
        hours += [HourlyCount(fdim=fdim, fvalue=key[3], day=key[0], hour=key[1], team_key=key[2],
                              new=new.get(key, 0), closed=closed.get(key, 0))
                  for key in sorted(set(new) | set(closed)) if not fdim or key[3]]
        buckets += [DurationHistogram(fdim=fdim, fvalue=key[2], month=key[0], team_key=key[1], metric=metric,
                                      bucket=key[3], n=n)
                    for metric in METRICS for key, n in sorted(histogram_of(rows, metric, fdim).items())
                    if not fdim or key[2]]
    with transaction.atomic():
        HourlyCount.objects.all().delete()
        DurationHistogram.objects.all().delete()
        HourlyCount.objects.bulk_create(hours, batch_size=2000)
        DurationHistogram.objects.bulk_create(buckets, batch_size=2000)
        group_rows = groups.rebuild_groups()
        AssigneeMonth.objects.all().delete()
        assignees = [AssigneeMonth(month=key[0], team_key=key[1], assignee_key=key[2], **values)
                     for key, values in sorted(assignee_sums(rows).items())]
        AssigneeMonth.objects.bulk_create(assignees, batch_size=2000)
    return len(hours), len(buckets) + sum(group_rows) + len(assignees)


def assignees_stored() -> dict[tuple[Any, ...], dict[str, int]]:
    """The kept assignees' months, without rows that went back to zero (tests, checks)."""
    return groups.nonzero_rows(AssigneeMonth, ASSIGNEE_KEY, ASSIGNEE_MEASURES)


def stored() -> tuple[dict[tuple[Any, ...], tuple[int, int]], dict[tuple[Any, ...], int]]:
    """The kept rows, without rows that went back to zero (tests, checks)."""
    hours = {(row.fdim, row.fvalue, row.day, row.hour, row.team_key): (row.new, row.closed)
             for row in HourlyCount.objects.all() if row.new or row.closed}
    buckets = {(row.fdim, row.fvalue, row.month, row.team_key, row.metric, row.bucket): row.n
               for row in DurationHistogram.objects.all() if row.n}
    return hours, buckets


# ---------------------------------------------------------------- reading


# Periods longer than this read their whole months' distributions and breakdowns from the kept histograms
# (percentiles and medians within 2 %, docs/reports.md); shorter ones stay exact, from the report rows.
HISTOGRAM_DAYS = 92


def is_long(filters: ReportFilters) -> bool:
    return (filters.end - filters.start).days >= HISTOGRAM_DAYS


@dataclass(frozen=True)
class CubeSource:
    teams: Q  # the viewer's teams (and filters) on `team_key`
    rest: QuerySet[TicketTimes] | None  # report rows in scope outside those teams (assigned, watched)
    slice: Q  # the kept rows of the filters' slice (`reports.slices`), on the sliced tables

    @property
    def kept(self) -> Q:
        """The condition on a sliced kept table: the viewer's teams, in the filters' slice."""
        return self.teams & self.slice


def cube_source(viewer: User, filters: ReportFilters, *, slices: Collection[str] = ()) -> CubeSource | None:
    """Where the kept counts can answer exactly: the viewer sees everything or whole teams (their personal
    tickets outside them are added from the report rows), and the filters are the team and at most one
    dimension of `slices` (the sliced tables' dimensions, `reports.slices`; none for the tables kept per team
    only). None: they cannot."""
    if is_own_figures_only(viewer):
        return None
    found = filter_slice(filters)
    if found is None or (found[0] and found[0] not in slices):
        return None
    fdim, fvalues = found
    parts_ = scope_parts(viewer)
    teams, rest = Q(), None
    if parts_ is not None:
        if parts_.is_personal:
            return None
        teams = Q(team_key__in=parts_.team_ids) | Q(team_key=0) if parts_.unrouted else Q(team_key__in=parts_.team_ids)
        rest = scoped_rows(viewer, filters).exclude(parts_.teams_condition())
    if filters.team_ids:
        teams &= Q(team_key__in=filters.team_ids)
    return CubeSource(teams, rest, Q(fdim=fdim, fvalue__in=fvalues) if fdim else Q(fdim="", fvalue=""))


def day_counts(source: CubeSource, filters: ReportFilters) -> tuple[dict[tuple[date, int], int], dict[date, int]]:
    """New per (local day, local hour) and closed per local day of the period, from the kept counts."""
    new: Counter[tuple[date, int]] = Counter()
    closed: Counter[date] = Counter()
    rows = (HourlyCount.objects.filter(source.kept, day__gte=filters.start, day__lte=filters.end).order_by()
            .values("day", "hour").annotate(s_new=Sum("new"), s_closed=Sum("closed")))
    for row in rows:
        new[(row["day"], row["hour"])] += row["s_new"] or 0
        closed[row["day"]] += row["s_closed"] or 0
    if source.rest is not None:
        rest_new, rest_closed = hourly_of(source.rest, filters)
        for (day, hour, _team, _value), n in rest_new.items():
            new[(day, hour)] += n
        for (day, _hour, _team, _value), n in rest_closed.items():
            closed[day] += n
    return dict(new), dict(closed)


def whole_months_inside(filters: ReportFilters) -> tuple[date, date] | None:
    """The first and last day of the whole local months inside the period (None: there is none)."""
    first = filters.start if filters.start.day == 1 else month_bounds(filters.start)[1] + timedelta(days=1)
    last = filters.end
    if last != month_bounds(last)[1]:
        last = last.replace(day=1) - timedelta(days=1)
    return (first, last) if first <= last else None


def histogram(source: CubeSource, scoped: QuerySet[TicketTimes], filters: ReportFilters, metric: str,
              ) -> dict[int, int]:
    """Per bucket, the durations of the period's rows (by the metric's moment): the whole months from the kept
    histograms (plus the personal rest), the days before and after them from the report rows."""
    moment, _field = METRICS[metric]
    found: Counter[int] = Counter()
    months = whole_months_inside(filters)
    edges = Q(**{f"{moment}__gte": filters.since, f"{moment}__lt": filters.until})
    if months is not None:
        inside = filters.with_period(*months)
        for bucket, n in (DurationHistogram.objects.filter(source.kept, metric=metric, month__gte=months[0],
                                                           month__lte=months[1])
                          .order_by().values("bucket").annotate(s=Sum("n")).values_list("bucket", "s")):
            found[bucket] += n
        if source.rest is not None:
            rest = source.rest.filter(**{f"{moment}__gte": inside.since, f"{moment}__lt": inside.until})
            for (_month, _team, _value, bucket), n in histogram_of(rest, metric).items():
                found[bucket] += n
        edges &= ~Q(**{f"{moment}__gte": inside.since, f"{moment}__lt": inside.until})
    for (_month, _team, _value, bucket), n in histogram_of(scoped.filter(edges), metric).items():
        found[bucket] += n
    return dict(found)
