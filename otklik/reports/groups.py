"""Breakdown sums and duration histograms per local month of creation, team and breakdown value.

Each report row (not merged) adds, under the local month of its creation and its team, for every breakdown
dimension (assignee, team, category, priority, status, source, request type, organization, rating: the
latest rating's score) one to the
count of its value with its exact sums (resolved, first-response and resolution times and how many have one,
staff replies on resolved tickets, reopened), and its two durations to that value's histograms
(`reports.buckets`). Kept with the hourly counts (`cube.parts`), rebuilt by `otklik reports_rebuild`.

Reading (`long_breakdown`): periods longer than `cube.HISTOGRAM_DAYS`, for the viewers and filters
`cube.cube_source` accepts, read their whole months here and their edge days (and the viewer's personal
tickets outside their teams) from the report rows: counts, sums and averages stay exact, medians are within
the buckets' 2 % (docs/reports.md).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from otklik.reports.buckets import THRESHOLDS, bucket_of, histogram_percentile
from otklik.reports.filters import ReportFilters, zone
from otklik.reports.models import GroupHistogram, GroupRollup, TicketTimes
from otklik.reports.slices import GROUP_SLICES, SLICES, UNSLICED_GROUPS, key_text, row_slices, with_slice_value
from otklik.tickets.models import Priority, Status

Deltas = dict[tuple[Any, ...], dict[str, int]]
# The breakdown's dimension: the report row's column (priority and status by id; the report shows codes).
DIMENSIONS = {"assignee": "assignee_id", "team": "team_id", "category": "category_id", "priority": "priority_id",
              "status": "status_id", "source": "source", "request_type": "request_type_id",
              "organization": "organization_id", "rating": "latest_score"}
GROUP_KEY = ("fdim", "fvalue", "month", "team_key", "dim", "value")
GROUP_MEASURES = ("count", "resolved", "fr_n", "fr_sum", "fr_w_n", "fr_w_sum", "res_n", "res_sum", "res_w_n",
                  "res_w_sum", "replies", "reopened")
HISTOGRAM_KEY = ("fdim", "fvalue", "month", "team_key", "dim", "value", "metric", "bucket")
DURATIONS = {"fr": ("first_response_seconds", "first_response_working_seconds"),
             "res": ("resolution_seconds", "resolution_working_seconds")}


def row_measures(times: TicketTimes) -> dict[str, int]:
    resolved = times.resolved_at is not None
    found = {"count": 1, "resolved": int(resolved), "replies": times.staff_replies if resolved else 0,
             "reopened": int(times.reopen_count > 0)}
    for prefix, (field, working) in DURATIONS.items():
        for suffix, name in (("", field), ("_w", working)):
            seconds = getattr(times, name)
            found[f"{prefix}{suffix}_n"] = int(seconds is not None)
            found[f"{prefix}{suffix}_sum"] = seconds or 0
    return found


def contribution(times: TicketTimes | None) -> tuple[Deltas, Deltas]:
    """What one report row adds: (group sums, group histogram buckets)."""
    sums: Deltas = {}
    buckets: Deltas = {}
    if times is None or times.merged or times.created_at is None:
        return sums, buckets
    month = times.created_at.astimezone(zone()).date().replace(day=1)
    team = times.team_id or 0
    measures = row_measures(times)
    durations = [(metric, bucket_of(getattr(times, field))) for metric, (field, _working) in DURATIONS.items()
                 if getattr(times, field) is not None]
    for fdim, fvalue in row_slices(times, GROUP_SLICES):
        for dim, column in DIMENSIONS.items():
            if fdim and dim in UNSLICED_GROUPS:
                continue
            value = key_text(getattr(times, column))
            sums[(fdim, fvalue, month, team, dim, value)] = dict(measures)
            for metric, bucket in durations:
                buckets[(fdim, fvalue, month, team, dim, value, metric, bucket)] = {"n": 1}
    return sums, buckets


def add_deltas(sums: Deltas, buckets: Deltas, times: TicketTimes | None, sign: int) -> None:
    found_sums, found_buckets = contribution(times)
    for target, found, names in ((sums, found_sums, GROUP_MEASURES), (buckets, found_buckets, ("n",))):
        for key, values in found.items():
            row = target.setdefault(key, dict.fromkeys(names, 0))
            for name, value in values.items():
                row[name] += sign * value


# ---------------------------------------------------------------- from report rows


def month_key(value: date | datetime) -> date:
    """The first day of a local month, from a truncated month (aware, naive local or a date)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value, zone()).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def sums_of(rows: QuerySet[TicketTimes], dim: str, fdim: str = "",
            ) -> dict[tuple[date, int, str, str], dict[str, int]]:
    """Per (local month of creation, team key, value of the slice's dimension `fdim` ("" by default: none),
    value): the group sums of these rows."""
    column = DIMENSIONS[dim]
    resolved = Q(resolved_at__isnull=False)
    measures: dict[str, Any] = {
        "count": Count("pk"), "resolved": Count("pk", filter=resolved),
        "replies": Sum("staff_replies", filter=resolved), "reopened": Count("pk", filter=Q(reopen_count__gt=0))}
    for prefix, (field, working) in DURATIONS.items():
        measures |= {f"{prefix}_n": Count(field), f"{prefix}_sum": Sum(field), f"{prefix}_w_n": Count(working),
                     f"{prefix}_w_sum": Sum(working)}
    found: dict[tuple[date, int, str, str], dict[str, int]] = {}
    for row in (with_slice_value(rows.order_by(), fdim).annotate(m=TruncMonth("created_at", tzinfo=zone()))
                .values("m", "team_id", "sv", column).annotate(**measures)):
        key = (month_key(row["m"]), row["team_id"] or 0, key_text(row["sv"]), key_text(row[column]))
        slot = found.setdefault(key, dict.fromkeys(GROUP_MEASURES, 0))
        for name in GROUP_MEASURES:
            slot[name] += int(row[name] or 0)
    return found


def histograms_of(rows: QuerySet[TicketTimes], dim: str, fdim: str = "",
                  ) -> dict[tuple[date, int, str, str, str, int], int]:
    """Per (local month of creation, team key, value of the slice's dimension `fdim` ("" by default: none),
    value, metric, bucket): how many of these rows."""
    column = DIMENSIONS[dim]
    found: Counter[tuple[date, int, str, str, str, int]] = Counter()
    rows = with_slice_value(rows.order_by(), fdim).annotate(m=TruncMonth("created_at", tzinfo=zone()))
    for metric, (field, _working) in DURATIONS.items():
        measured = rows.filter(**{f"{field}__isnull": False})
        if connection.vendor == "postgresql":
            inner, params = measured.values("m", "team_id", "sv", column, field).query.sql_with_params()
            # The inner query is Django's own SQL with its parameters; the bucket bounds are a parameter too.
            sql = (f"SELECT r.m, r.team_id, r.sv, r.{column}, "  # noqa: S608
                   f"(%s::bigint[])[greatest(1, width_bucket(r.{field}, %s::bigint[]))], count(*) "
                   f"FROM ({inner}) r GROUP BY 1, 2, 3, 4, 5")
            with connection.cursor() as cursor:
                cursor.execute(sql, [list(THRESHOLDS), list(THRESHOLDS), *params])
                for month, team, fvalue, value, bucket, n in cursor.fetchall():
                    found[(month_key(month), team or 0, key_text(fvalue), key_text(value), metric, bucket)] += n
            continue
        for month, team, fvalue, value, seconds in measured.values_list("m", "team_id", "sv", column, field).iterator(
                chunk_size=5000):
            found[(month_key(month), team or 0, key_text(fvalue), key_text(value), metric, bucket_of(seconds))] += 1
    return dict(found)


def rebuild_groups() -> tuple[int, int]:
    """Recompute the group sums and histograms from the report rows (inside the caller's transaction); returns
    (sum rows, bucket rows). One slice and dimension at a time, so memory stays that of one at 1M tickets."""
    rows = TicketTimes.objects.filter(merged=False, created_at__isnull=False)
    GroupRollup.objects.all().delete()
    GroupHistogram.objects.all().delete()
    written = [0, 0]
    for fdim in ("", *GROUP_SLICES):
        for dim in DIMENSIONS:
            if fdim and dim in UNSLICED_GROUPS:
                continue
            sums = [GroupRollup(fdim=fdim, fvalue=key[2], month=key[0], team_key=key[1], dim=dim, value=key[3],
                                **values)
                    for key, values in sorted(sums_of(rows, dim, fdim).items()) if not fdim or key[2]]
            GroupRollup.objects.bulk_create(sums, batch_size=2000)
            written[0] += len(sums)
            if connection.vendor == "postgresql":
                written[1] += _insert_histograms(rows, dim, fdim)
                continue
            buckets = [GroupHistogram(fdim=fdim, fvalue=key[2], month=key[0], team_key=key[1], dim=dim, value=key[3],
                                      metric=key[4], bucket=key[5], n=n)
                       for key, n in sorted(histograms_of(rows, dim, fdim).items()) if not fdim or key[2]]
            GroupHistogram.objects.bulk_create(buckets, batch_size=2000)
            written[1] += len(buckets)
    return written[0], written[1]


def _insert_histograms(rows: QuerySet[TicketTimes], dim: str, fdim: str) -> int:
    """PostgreSQL: `histograms_of` written by the server itself (INSERT ... SELECT), the same keys as
    `histograms_of` gives (the local month as a date: the truncation is of the local time; no team as 0, values
    as text, none as ""): millions of
    rows at 1M tickets never pass through Python."""
    column = DIMENSIONS[dim]
    measured = with_slice_value(rows.order_by(), fdim).annotate(m=TruncMonth("created_at", tzinfo=zone()))
    if fdim:  # a row without a value of the slice's dimension is in no slice of it (`slices.row_slices`)
        measured = measured.filter(**{f"{SLICES[fdim]}__isnull": False})
        if TicketTimes._meta.get_field(SLICES[fdim]).get_internal_type() == "CharField":
            measured = measured.exclude(**{SLICES[fdim]: ""})
    table = GroupHistogram._meta.db_table
    total = 0
    for metric, (field, _working) in DURATIONS.items():
        inner, params = (measured.filter(**{f"{field}__isnull": False}).values("m", "team_id", "sv", column, field)
                         .query.sql_with_params())
        # The inner query is Django's own SQL with its parameters; names come from the models and DIMENSIONS.
        sql = (f"INSERT INTO {table} (fdim, fvalue, month, team_key, dim, value, metric, bucket, n) "  # noqa: S608
               f"SELECT %s, coalesce(r.sv::text, ''), r.m::date, coalesce(r.team_id, 0), %s, "
               f"coalesce(r.{column}::text, ''), %s, "
               f"(%s::bigint[])[greatest(1, width_bucket(r.{field}, %s::bigint[]))], count(*) "
               f"FROM ({inner}) r GROUP BY 2, 3, 4, 6, 8")
        with connection.cursor() as cursor:
            cursor.execute(sql, [fdim, dim, metric, list(THRESHOLDS), list(THRESHOLDS), *params])
            total += cursor.rowcount
    return total


def nonzero_rows(model: type[Model], key: tuple[str, ...], measures: tuple[str, ...],
                 ) -> dict[tuple[Any, ...], dict[str, int]]:
    """A kept table's rows by key, without rows that went back to zero (tests, checks)."""
    found = {}
    for row in model._default_manager.values(*key, *measures):
        values = {name: row[name] for name in measures}
        if any(values.values()):
            found[tuple(row[name] for name in key)] = values
    return found


def stored() -> tuple[dict[tuple[Any, ...], dict[str, int]], dict[tuple[Any, ...], int]]:
    """The kept rows without rows that went back to zero (tests, checks)."""
    sums = nonzero_rows(GroupRollup, GROUP_KEY, GROUP_MEASURES)
    buckets = {tuple(row[:-1]): row[-1] for row in GroupHistogram.objects.values_list(*HISTOGRAM_KEY, "n") if row[-1]}
    return sums, buckets


# ---------------------------------------------------------------- reading


def _raw_key(dim: str, value: str, codes: dict[str, dict[int, str]]) -> Hashable:
    """The value as the per-row breakdown groups it (ids as ints, priority and status as codes)."""
    if dim == "source":
        return value
    if value == "":
        return None
    if dim in codes:
        return codes[dim].get(int(value))
    return int(value)


def long_breakdown(kept_rows: Q, rest: QuerySet[TicketTimes] | None, scoped: QuerySet[TicketTimes],
                   filters: ReportFilters, months: tuple[date, date] | None, dim: str,
                   ) -> tuple[dict[Hashable, dict[str, Any]], dict[Hashable, dict[str, Counter[int]]]]:
    """Per breakdown value (as the per-row breakdown keys it): the exact sums and the two histograms of the
    tickets created in the period, the whole months from the kept rows and the rest from the report rows."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GROUP_MEASURES, 0))
    buckets: dict[str, dict[str, Counter[int]]] = defaultdict(lambda: {"fr": Counter(), "res": Counter()})
    created = Q(created_at__gte=filters.since, created_at__lt=filters.until)
    raw_parts = []
    if months is not None:
        inside = filters.with_period(*months)
        kept = GroupRollup.objects.filter(kept_rows, dim=dim, month__gte=months[0], month__lte=months[1]).order_by()
        totals: dict[str, Any] = {f"s_{name}": Sum(name) for name in GROUP_MEASURES}
        for row in kept.values("value").annotate(**totals).values_list("value", *totals):
            for name, total in zip(GROUP_MEASURES, row[1:], strict=True):
                sums[row[0]][name] += int(total or 0)
        kept_buckets = GroupHistogram.objects.filter(kept_rows, dim=dim, month__gte=months[0], month__lte=months[1])
        for value, metric, bucket, n in (kept_buckets.order_by().values("value", "metric", "bucket")
                                         .annotate(s=Sum("n")).values_list("value", "metric", "bucket", "s")):
            buckets[value][metric][bucket] += n
        inside_window = Q(created_at__gte=inside.since, created_at__lt=inside.until)
        if rest is not None:
            raw_parts.append(rest.filter(inside_window))
        created &= ~inside_window
    raw_parts.append(scoped.filter(created))
    for part in raw_parts:
        for (_m, _team, _fvalue, value), values in sums_of(part, dim).items():
            for name in GROUP_MEASURES:
                sums[value][name] += values[name]
        for (_m, _team, _fvalue, value, metric, bucket), n in histograms_of(part, dim).items():
            buckets[value][metric][bucket] += n
    codes = {"priority": dict(Priority.objects.values_list("pk", "code")),
             "status": dict(Status.objects.values_list("pk", "code"))}
    grouped = {_raw_key(dim, value, codes): values for value, values in sums.items() if values["count"]}
    histograms = {_raw_key(dim, value, codes): found for value, found in buckets.items()}
    return grouped, histograms


def database_average(total: int, count: int) -> float:
    """The average of integers exactly as the per-row breakdown gets it from its database, so both readings
    print the same number to the last digit. PostgreSQL's avg(bigint) divides as numeric to at least 16
    significant digits (`select_div_scale`, rounded half away from zero) before the driver makes a float of it;
    SQLite's avg divides the exact double sum, which is the correctly rounded quotient."""
    if connection.vendor != "postgresql" or total == 0:
        return total / count

    def weight_and_first(value: int) -> tuple[int, int]:  # in PostgreSQL's base-10000 digits
        weight = (len(str(value)) - 1) // 4
        return weight, value // 10000**weight

    (weight1, first1), (weight2, first2) = weight_and_first(total), weight_and_first(count)
    qweight = weight1 - weight2 - (1 if first1 <= first2 else 0)
    scale = min(max(16 - qweight * 4, 0), 1000)
    quotient, remainder = divmod(total * 10**scale, count)
    if 2 * remainder >= count:
        quotient += 1
    return float(Decimal(quotient).scaleb(-scale))


def finished(values: dict[str, int], histograms: dict[str, Counter[int]] | None,
             ) -> tuple[dict[str, Any], list[float | None]]:
    """The breakdown's row sums (as the per-row aggregates name them) and its two medians."""
    def avg(total: str, count: str) -> float | None:
        return database_average(values[total], values[count]) if values[count] else None

    row = {"count": values["count"], "resolved": values["resolved"], "fr": avg("fr_sum", "fr_n"),
           "fr_w": avg("fr_w_sum", "fr_w_n"), "res": avg("res_sum", "res_n"), "res_w": avg("res_w_sum", "res_w_n"),
           "replies": values["replies"], "reopened": values["reopened"]}
    histograms = histograms or {"fr": Counter(), "res": Counter()}
    return row, [histogram_percentile(histograms["fr"], 0.5), histogram_percentile(histograms["res"], 0.5)]
