"""Every report number, computed in the database from the viewer's scope (docs/reports.md).

Each number has a drill-down: `metric_tickets` returns exactly the tickets it counts, so the ticket list
behind a number shows the same total. Pages, the API and the exports all call these functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import Organization, Team, User
from otklik.core.errors import InvalidInput
from otklik.reports.buckets import bucket_bounds, histogram_percentile, report_buckets
from otklik.reports.cube import cube_source, day_counts, histogram, is_long, whole_months_inside
from otklik.reports.filters import ReportFilters, category_subtree, scoped_rows, scoped_tickets, zone
from otklik.reports.groups import GROUP_MEASURES, finished, long_breakdown
from otklik.reports.load_pass import load_rows
from otklik.reports.models import TicketTimes
from otklik.reports.monthly import SUMS, average, month_sums, second_line_sums
from otklik.reports.quality import csat_tickets, sla_tickets
from otklik.reports.slices import GROUP_SLICES, SLICES, UNSLICED_GROUPS
from otklik.reports.stats import PercentileCont, interpolated, percentiles, report_session, streamed_values
from otklik.tickets.models import Category, Priority, RequestType, Source, Status, Ticket, TicketRating

BREAKDOWNS = ("assignee", "team", "category", "priority", "status", "source", "request_type", "organization",
              "rating")
GROUP_FIELDS = {
    "assignee": "assignee_id", "team": "team_id", "category": "category_id", "priority": "priority__code",
    "status": "status__code", "source": "source", "request_type": "request_type_id",
    "organization": "organization_id", "rating": "latest_score",
}
TIMES = "report_times__"
HISTOGRAM_BUCKETS = (  # upper bounds in seconds; the last bucket is open-ended
    ("1h", 3600), ("4h", 4 * 3600), ("8h", 8 * 3600), ("1d", 86400), ("3d", 3 * 86400), ("7d", 7 * 86400),
    ("more", None),
)
HISTOGRAM_BOUNDS = bucket_bounds(upper for _name, upper in HISTOGRAM_BUCKETS)  # (lower, upper) of each


def _window(filters: ReportFilters, field: str) -> Q:
    return Q(**{f"{field}__gte": filters.since, f"{field}__lt": filters.until})


def metric_condition(metric: str, filters: ReportFilters) -> Q:
    """The tickets a second-line number counts (the definitions in docs/reports.md)."""
    if metric == "new":
        return _window(filters, "created_at")
    if metric == "closed":
        return _window(filters, "resolved_at")
    if metric == "open_at_end":
        return Q(created_at__lt=filters.until) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=filters.until))
    if metric == "responded":
        return _window(filters, "first_response_at")
    raise InvalidInput(_("Unknown report number: %(name)s.") % {"name": metric[:40]}, errors={"metric": metric[:40]})


def with_latest_score(tickets: QuerySet[Any]) -> QuerySet[Any]:
    """Tickets (or their report rows, whose primary key is the ticket's) with the latest rating's score."""
    latest = TicketRating.objects.filter(ticket_id=OuterRef("pk")).order_by("-created_at", "-id").values("score")[:1]
    annotated: QuerySet[Any] = tickets.annotate(latest_score=Subquery(latest, output_field=IntegerField()))
    return annotated


def breakdown_condition(by: str, key: str) -> Q:
    """The tickets of one breakdown row; `key` is the row's key as the report printed it ("" = none)."""
    if by not in GROUP_FIELDS:
        raise InvalidInput(_("Unknown breakdown: %(name)s.") % {"name": by[:40]}, errors={"by": by[:40]})
    field = GROUP_FIELDS[by]
    if key == "":
        return Q(**{f"{field}__isnull": True})
    if by == "category":
        return Q(category_id__in=category_subtree(int(key))) if key.isdigit() else Q(pk__in=[])
    if field.endswith("_id") or by == "rating":
        return Q(**{field: int(key)}) if key.isdigit() else Q(pk__in=[])
    return Q(**{field: key})


def metric_tickets(viewer: User, filters: ReportFilters, metric: str, *, by: str = "", key: str | None = None,
                   column: str = "") -> QuerySet[Ticket]:
    """Exactly the tickets behind one number: a second-line metric, a breakdown cell, an SLA met/breached
    count (`column` is the clock metric, `by`/`key` its group) or a CSAT count (`key` is the score)."""
    if metric in ("sla_met", "sla_breached"):
        return sla_tickets(viewer, filters, met=metric == "sla_met", clock_metric=column, by=by, key=key or "")
    if metric == "csat":
        return csat_tickets(viewer, filters, score=key or "")
    tickets = scoped_tickets(viewer, filters)
    if by == "rating":
        tickets = with_latest_score(tickets)
    tickets = tickets.filter(metric_condition(metric, filters))
    if by:
        tickets = tickets.filter(breakdown_condition(by, key or ""))
    if column == "resolved":
        tickets = tickets.filter(resolved_at__isnull=False)
    elif column == "unresolved":
        tickets = tickets.filter(resolved_at__isnull=True)
    elif column == "reopened":
        tickets = tickets.filter(report_times__reopen_count__gt=0)
    return tickets


# ---------------------------------------------------------------- second line and overview

def _finished(sums: dict[str, int]) -> dict[str, Any]:
    def avg(total: str, count: str) -> float | None:
        value = average(sums[total], sums[count])
        return None if value is None else round(value, 1)

    return {
        "new": sums["new"], "closed": sums["closed"], "open_at_end": sums["open_at_end"],
        "responded": sums["responded"],
        "avg_resolution_seconds": avg("resolution_sum", "resolution_n"),
        "avg_resolution_working_seconds": avg("resolution_working_sum", "resolution_n"),
        "avg_first_response_seconds": avg("first_response_sum", "first_response_n"),
        "avg_first_response_working_seconds": avg("first_response_working_sum", "first_response_n"),
    }


def second_line(viewer: User, filters: ReportFilters) -> dict[str, Any]:
    """New, closed, open at the end, first answered, and average times (monthly rollups where exact)."""
    return _finished(second_line_sums(viewer, filters))


def _month_start(day: date, back: int) -> date:
    month_index = day.year * 12 + day.month - 1 - back
    return date(month_index // 12, month_index % 12 + 1, 1)


def monthly_trend(viewer: User, filters: ReportFilters, *, months: int = 12) -> list[dict[str, Any]]:
    """New and closed tickets and average times per month, for the months up to the period's end."""
    first = _month_start(filters.end, months - 1)
    last_start = _month_start(filters.end, 0)
    span = filters.with_period(first, _month_start(filters.end, -1) - timedelta(days=1))
    found = month_sums(viewer, span)
    rows = []
    month = first
    while month <= last_start:
        sums = found.get(month) or dict.fromkeys(SUMS, 0)
        rows.append({
            "month": month.strftime("%Y-%m"), "new": sums["new"], "closed": sums["closed"],
            "avg_resolution_seconds": average(sums["resolution_sum"], sums["resolution_n"]),
            "avg_resolution_working_seconds": average(sums["resolution_working_sum"], sums["resolution_n"]),
            "avg_first_response_seconds": average(sums["first_response_sum"], sums["first_response_n"]),
            "avg_first_response_working_seconds": average(sums["first_response_working_sum"],
                                                          sums["first_response_n"]),
        })
        month = _month_start(month, -1)
    while len(rows) > 1 and not (rows[0]["new"] or rows[0]["closed"]):
        rows.pop(0)  # months before the desk's first ticket would only flatten the chart
    return rows


# ---------------------------------------------------------------- breakdowns

def _labels(by: str, keys: list[Any]) -> dict[Any, str]:
    models: dict[str, Any] = {"team": Team, "organization": Organization, "request_type": RequestType,
                              "category": Category}
    ids = [key for key in keys if key is not None]
    if by == "assignee":
        return {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}
    if by in models:
        model = models[by]
        return {row.pk: (row.path if by == "category" else getattr(row, "label", None) or str(row))
                for row in model.objects.filter(pk__in=ids)}
    if by == "priority":
        return {row.code: row.label for row in Priority.objects.filter(code__in=ids)}
    if by == "status":
        return {row.code: row.label for row in Status.objects.filter(code__in=ids)}
    if by == "source":
        return {key: str(Source(key).label) for key in ids if key in Source.values}
    return {key: str(key) for key in ids}


def _row_values(row: dict[str, Any], medians: dict[Hashable, list[float | None]], key: Any) -> dict[str, Any]:
    count, resolved = row["count"], row["resolved"]
    first_median, resolution_median = (medians.get(key) or [None, None])
    return {
        "count": count, "resolved": resolved, "unresolved": count - resolved,
        "avg_first_response_seconds": row["fr"], "median_first_response_seconds": first_median,
        "avg_first_response_working_seconds": row["fr_w"],
        "avg_resolution_seconds": row["res"], "median_resolution_seconds": resolution_median,
        "avg_resolution_working_seconds": row["res_w"],
        "messages_per_resolution": round(row["replies"] / resolved, 2) if resolved and row["replies"] else 0.0,
        "reopen_rate": round(row["reopened"] / count, 4) if count else 0.0,
    }


AGGREGATES: dict[str, Any] = {
    "count": Count("pk"), "resolved": Count("pk", filter=Q(resolved_at__isnull=False)),
    "fr": Avg("first_response_seconds"), "fr_w": Avg("first_response_working_seconds"),
    "res": Avg("resolution_seconds"), "res_w": Avg("resolution_working_seconds"),
    "replies": Sum("staff_replies", filter=Q(resolved_at__isnull=False)),
    "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
}


@report_session
def breakdown(viewer: User, filters: ReportFilters, by: str) -> list[dict[str, Any]]:
    """Tickets created in the period, grouped; each row {"key", "label", "count", ...}.

    Read from the per-ticket report rows alone (`scoped_rows`): on PostgreSQL the period's rows come whole
    from the `report_times_created` index, without touching the tickets."""
    if by not in GROUP_FIELDS:
        raise InvalidInput(_("Unknown breakdown: %(name)s.") % {"name": by[:40]}, errors={"by": by[:40]})
    rows_qs = scoped_rows(viewer, filters).filter(metric_condition("new", filters)).order_by()
    field = GROUP_FIELDS[by]
    medians: dict[Hashable, list[float | None]]
    slices = () if by in UNSLICED_GROUPS else GROUP_SLICES
    source = cube_source(viewer, filters, slices=slices) if is_long(filters) else None
    if source is not None:  # the kept group sums and histograms: exact counts and sums, medians within 2 %
        found, histograms = long_breakdown(source.kept, source.rest, scoped_rows(viewer, filters), filters,
                                           whole_months_inside(filters), by)
        if by == "category":
            return _category_rows(*_category_kept(found, histograms))
        grouped = []
        medians = {}
        for key, values in found.items():
            row, medians[key] = finished(values, histograms.get(key))
            grouped.append({field: key, **row})
        return _grouped_rows(by, field, grouped, medians)
    if by == "category":
        return _category_rollup(rows_qs)
    if connection.vendor == "postgresql":
        # One pass: the medians in the same GROUP BY as the sums (percentile_cont skips NULLs, like the
        # separate query would).
        grouped = list(rows_qs.values(field).annotate(
            **AGGREGATES, fr_p50=PercentileCont("first_response_seconds", fraction=0.5),
            res_p50=PercentileCont("resolution_seconds", fraction=0.5)))
        medians = {row[field]: [row["fr_p50"], row["res_p50"]] for row in grouped}
    else:
        grouped = list(rows_qs.values(field).annotate(**AGGREGATES))
        first = percentiles(rows_qs, "first_response_seconds", [0.5], group=field)
        resolution = percentiles(rows_qs, "resolution_seconds", [0.5], group=field)
        medians = {key: [(first.get(key) or [None])[0], (resolution.get(key) or [None])[0]]
                   for key in {row[field] for row in grouped}}
    return _grouped_rows(by, field, grouped, medians)


def _grouped_rows(by: str, field: str, grouped: list[dict[str, Any]], medians: dict[Hashable, list[float | None]],
                  ) -> list[dict[str, Any]]:
    labels = _labels(by, [row[field] for row in grouped])
    rows = [{"key": "" if row[field] is None else str(row[field]),
             "label": labels.get(row[field], str(row[field])) if row[field] is not None else _("(none)"),
             **_row_values(row, medians, row[field])} for row in grouped]
    return sorted(rows, key=lambda row: (-row["count"], row["label"]))


def _subtrees() -> dict[int, list[int]]:
    """Per category, its own id and every descendant's (the tree by paths, as `Category.subtree_ids`)."""
    categories = list(Category.objects.values_list("pk", "path"))
    return {pk: [other for other, other_path in categories if other == pk or other_path.startswith(f"{path} > ")]
            for pk, path in categories}


CATEGORY_SQL = """
SELECT m.root, count(*), count(*) FILTER (WHERE r.resolved_at IS NOT NULL),
       avg(r.first_response_seconds)::float8, avg(r.first_response_working_seconds)::float8,
       avg(r.resolution_seconds)::float8, avg(r.resolution_working_seconds)::float8,
       (sum(r.staff_replies) FILTER (WHERE r.resolved_at IS NOT NULL))::bigint,
       count(*) FILTER (WHERE r.reopen_count > 0),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.first_response_seconds),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.resolution_seconds)
FROM ({rows}) r JOIN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS p(root, member)) m
     ON m.member = coalesce(r.category_id, {none})
GROUP BY m.root
"""
NO_CATEGORY = -1  # the "(none)" row's root and member in CATEGORY_SQL: no category id is negative
CATEGORY_NAMES = ("count", "resolved", "fr", "fr_w", "res", "res_w", "replies", "reopened")


def _category_rollup(rows_qs: QuerySet[TicketTimes]) -> list[dict[str, Any]]:
    """A row per category with every ticket of its subtree: sums, averages and medians over the subtree's
    own values. On PostgreSQL in one statement (each row joined to the categories whose subtree holds it);
    elsewhere streamed, two numbers per ticket."""
    subtrees = _subtrees()
    paths = dict(Category.objects.values_list("pk", "path"))
    grouped: dict[Hashable, dict[str, Any]]
    medians: dict[Hashable, list[float | None]]
    if connection.vendor == "postgresql":
        inner, params = rows_qs.values("category_id", "resolved_at", "first_response_seconds",
                                       "first_response_working_seconds", "resolution_seconds",
                                       "resolution_working_seconds", "staff_replies", "reopen_count",
                                       ).query.sql_with_params()
        # The rows without a category join their own "(none)" root in the same pass (it was three more passes
        # over the period's rows: its sums and its two medians).
        pairs = [(root, member) for root, members in subtrees.items() for member in members]
        pairs.append((NO_CATEGORY, NO_CATEGORY))
        with connection.cursor() as cursor:
            # The inner query is Django's own SQL with its parameters; the pairs are parameters too.
            cursor.execute(CATEGORY_SQL.format(rows=inner, none=NO_CATEGORY),
                           [*params, [root for root, _m in pairs], [member for _r, member in pairs]])
            found = cursor.fetchall()
        keys = {row[0]: None if row[0] == NO_CATEGORY else row[0] for row in found}
        grouped = {keys[row[0]]: dict(zip(CATEGORY_NAMES, row[1:9], strict=True)) for row in found}
        medians = {keys[row[0]]: [row[9], row[10]] for row in found}
    else:
        grouped, medians = _category_streamed(rows_qs, subtrees)
    return _category_rows(grouped, medians, subtrees, paths)


def _category_rows(grouped: dict[Hashable, dict[str, Any]], medians: dict[Hashable, list[float | None]],
                   subtrees: dict[int, list[int]], paths: dict[int, str]) -> list[dict[str, Any]]:
    rows = [{"key": str(pk), "label": paths.get(pk, str(pk)), **_row_values(grouped[pk], medians, pk)}
            for pk in subtrees if pk in grouped]
    if None in grouped:
        rows.append({"key": "", "label": _("(none)"), **_row_values(grouped[None], medians, None)})
    return rows


def _category_kept(found: dict[Hashable, dict[str, int]], histograms: dict[Hashable, dict[str, Counter[int]]],
                   ) -> tuple[dict[Hashable, dict[str, Any]], dict[Hashable, list[float | None]], dict[int, list[int]],
                              dict[int, str]]:
    """The category rows from the kept group sums per own category: each row sums its subtree's sums and
    merges its subtree's histograms (exact counts and sums; medians of the merged histograms)."""
    subtrees = _subtrees()
    paths = dict(Category.objects.values_list("pk", "path"))
    grouped: dict[Hashable, dict[str, Any]] = {}
    medians: dict[Hashable, list[float | None]] = {}
    trees: list[tuple[int | None, list[int | None]]] = [(pk, list(members)) for pk, members in subtrees.items()]
    trees.append((None, [None]))
    for pk, members in trees:
        parts = [member for member in members if member in found]
        if not parts:
            continue
        total = {name: sum(found[member][name] for member in parts) for name in GROUP_MEASURES}
        merged = {"fr": Counter[int](), "res": Counter[int]()}
        for member in parts:
            for metric, counts in (histograms.get(member) or {}).items():
                merged[metric].update(counts)
        grouped[pk], medians[pk] = finished(total, merged)
    return grouped, medians, subtrees, paths


def _category_streamed(rows_qs: QuerySet[TicketTimes], subtrees: dict[int, list[int]],
                       ) -> tuple[dict[Hashable, dict[str, Any]], dict[Hashable, list[float | None]]]:
    own: dict[int | None, dict[str, Any]] = {
        row["category_id"]: dict(row) for row in rows_qs.values("category_id").annotate(**AGGREGATES)}
    first = streamed_values(rows_qs, "category_id", "first_response_seconds")
    resolution = streamed_values(rows_qs, "category_id", "resolution_seconds")
    grouped: dict[Hashable, dict[str, Any]] = {}
    medians: dict[Hashable, list[float | None]] = {}
    for pk, members in subtrees.items():
        parts = [own[member] for member in members if member in own]
        if not parts:
            continue
        total: dict[str, Any] = {name: sum(row[name] or 0 for row in parts)
                                 for name in ("count", "resolved", "replies", "reopened")}
        for name in ("fr", "fr_w", "res", "res_w"):
            # An average over the subtree is the values' sum over their number: weight each child's average
            # by how many values it averaged, which the streamed lists know exactly.
            source = first if name.startswith("fr") else resolution
            count = sum(len(source.get(member, [])) for member in members)
            sums = sum((row[name] or 0) * len(source.get(row["category_id"], [])) for row in parts)
            total[name] = sums / count if count else None
        grouped[pk] = total
        medians[pk] = [interpolated(sorted(v for m in members for v in first.get(m, [])), 0.5),
                       interpolated(sorted(v for m in members for v in resolution.get(m, [])), 0.5)]
    if None in own:
        grouped[None] = own[None]
        medians[None] = [interpolated(sorted(first.get(None, [])), 0.5),
                         interpolated(sorted(resolution.get(None, [])), 0.5)]
    return grouped, medians


# ---------------------------------------------------------------- load

@dataclass(frozen=True)
class Distribution:
    buckets: list[dict[str, Any]]
    p50: float | None
    p90: float | None


def _distribution(tickets: QuerySet[Any], field: str) -> Distribution:
    aggregates: dict[str, Any] = {}
    for (name, _upper), (lower, upper) in zip(HISTOGRAM_BUCKETS, HISTOGRAM_BOUNDS, strict=True):
        condition = Q(**{f"{field}__gte": lower})
        if upper is not None:
            condition &= Q(**{f"{field}__lt": upper})
        aggregates[name] = Count("pk", filter=condition)
    if connection.vendor == "postgresql":
        # The buckets and the percentiles in one pass over the period's rows.
        counts = tickets.aggregate(**aggregates, p50=PercentileCont(field, fraction=0.5),
                                   p90=PercentileCont(field, fraction=0.9))
        p50, p90 = counts["p50"], counts["p90"]
    else:
        counts = tickets.aggregate(**aggregates)
        p50, p90 = percentiles(tickets, field, [0.5, 0.9]).get(None, [None, None])
    return _distribution_of([counts[name] for name, _upper in HISTOGRAM_BUCKETS], p50, p90)


def _distribution_of(counts: Iterable[int], p50: float | None, p90: float | None) -> Distribution:
    """A Distribution from its bucket counts in the order of HISTOGRAM_BUCKETS."""
    return Distribution([{"bucket": name, "count": count} for (name, _upper), count
                         in zip(HISTOGRAM_BUCKETS, counts, strict=True)], p50, p90)


DAYS_AND_DISTRIBUTION_SQL = """
SELECT GROUPING(r.d), r.d, count(*), {buckets},
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.x), percentile_cont(0.9) WITHIN GROUP (ORDER BY r.x)
FROM ({rows}) r GROUP BY GROUPING SETS ((r.d), ())
"""


def _days_and_distribution(rows_qs: QuerySet[TicketTimes], moment: str, field: str,
                           ) -> tuple[dict[date, int], Distribution]:
    """Tickets per local day of `moment` and the distribution of `field` over them, in one pass (PostgreSQL's
    grouping sets: per day, and all days together for the buckets and the percentiles)."""
    inner, params = (rows_qs.annotate(d=TruncDate(moment, tzinfo=zone()), x=F(field)).values("d", "x")
                     .query.sql_with_params())
    buckets: list[str] = []
    bucket_params: list[int] = []
    for lower, upper in HISTOGRAM_BOUNDS:
        if upper is None:
            buckets.append("count(*) FILTER (WHERE r.x >= %s)")
            bucket_params.append(lower)
        else:
            buckets.append("count(*) FILTER (WHERE r.x >= %s AND r.x < %s)")
            bucket_params += [lower, upper]
    per_day: dict[date, int] = {}
    distribution = _distribution_of([0] * len(HISTOGRAM_BUCKETS), None, None)
    with connection.cursor() as cursor:
        # The inner query is Django's own SQL with its parameters; the bucket bounds are parameters too.
        cursor.execute(DAYS_AND_DISTRIBUTION_SQL.format(rows=inner, buckets=", ".join(buckets)),
                       [*bucket_params, *params])
        for row in cursor.fetchall():
            if row[0]:  # the grand total
                distribution = _distribution_of(row[3:3 + len(HISTOGRAM_BUCKETS)], row[-2], row[-1])
            else:
                per_day[row[1]] = row[2]
    return per_day, distribution


def _from_histogram(found: dict[int, int]) -> Distribution:
    return _distribution_of(report_buckets(found), histogram_percentile(found, 0.5), histogram_percentile(found, 0.9))


@report_session
def load(viewer: User, filters: ReportFilters) -> dict[str, Any]:
    tz = zone()
    tickets = scoped_rows(viewer, filters).order_by()
    source = cube_source(viewer, filters, slices=SLICES)
    # New per local hour (the heatmap and new per day) and closed per day: from the kept hourly counts where
    # they answer exactly, else from the report rows (one truncation per row, split into day and hour here).
    closed: dict[date, int] | None = None
    resolution: Distribution | None = None
    first: Distribution | None = None
    if source is not None:
        hours, closed = day_counts(source, filters)
    elif connection.vendor == "postgresql" and is_long(filters):
        # A long period from the report rows: its three readings in one pass (each was a scan of the table).
        once = load_rows(tickets, filters, [upper for _name, upper in HISTOGRAM_BUCKETS])
        hours, closed = once.hours, once.closed
        first, resolution = (_distribution_of(spread.counts, spread.p50, spread.p90)
                             for spread in (once.first_response, once.resolution))
    else:
        hours = {}
        for moment, count in (tickets.filter(metric_condition("new", filters))
                              .annotate(h=TruncHour("created_at", tzinfo=tz)).values("h").annotate(n=Count("pk"))
                              .values_list("h", "n")):
            local = timezone.localtime(moment, tz)
            hours[(local.date(), local.hour)] = hours.get((local.date(), local.hour), 0) + count
    new: dict[date, int] = {}
    heatmap = [[0] * 24 for _day in range(7)]
    for (day, hour), count in hours.items():
        new[day] = new.get(day, 0) + count
        heatmap[day.isoweekday() - 1][hour] += count
    resolved = tickets.filter(metric_condition("closed", filters))
    responded = tickets.filter(metric_condition("responded", filters))
    if source is not None and is_long(filters):
        first = _from_histogram(histogram(source, tickets, filters, "first_response"))
        resolution = _from_histogram(histogram(source, tickets, filters, "resolution"))
    if closed is None:
        if connection.vendor == "postgresql":
            closed, resolution = _days_and_distribution(resolved, "resolved_at", "resolution_seconds")
        else:
            closed = dict(resolved.annotate(d=TruncDate("resolved_at", tzinfo=tz)).values("d")
                          .annotate(n=Count("pk")).values_list("d", "n"))
    # Backlog at the end of a day = created before its end − resolved before its end (docs/reports.md); at
    # the start it is "open at the end" of the day before, which the monthly rollups answer when the period
    # starts on the 1st (instead of counting every older ticket).
    previous = filters.start - timedelta(days=1)
    backlog = second_line_sums(viewer, filters.with_period(previous.replace(day=1), previous))["open_at_end"]
    days = []
    today = timezone.localtime(timezone.now(), tz).date()
    for day in filters.days():
        if day > today:
            break  # the rest of the current month has not happened yet
        backlog += new.get(day, 0) - closed.get(day, 0)
        days.append({"date": day.isoformat(), "new": new.get(day, 0), "closed": closed.get(day, 0),
                     "backlog": backlog})
    if first is None:
        first = _distribution(responded, "first_response_seconds")
    if resolution is None:
        resolution = _distribution(resolved, "resolution_seconds")
    return {
        "days": days, "heatmap": heatmap,
        "first_response": {"buckets": first.buckets, "p50": first.p50, "p90": first.p90},
        "resolution": {"buckets": resolution.buckets, "p50": resolution.p50, "p90": resolution.p90},
    }


def overview(viewer: User, filters: ReportFilters) -> dict[str, Any]:
    from otklik.reports.first_line import first_line, first_line_trend, has_chats

    chats = has_chats(viewer)  # once for both first-line blocks
    return {
        "period": {"from": filters.start.isoformat(), "to": filters.end.isoformat()},
        "first_line": first_line(viewer, filters, chats=chats), "second_line": second_line(viewer, filters),
        "months": monthly_trend(viewer, filters),
        "first_line_months": first_line_trend(viewer, filters, chats=chats),
    }


def with_ticket_times(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Ticket rows for exports: the times reports use, joined in the same query."""
    return tickets.annotate(
        t_first=F(f"{TIMES}first_response_seconds"), t_first_w=F(f"{TIMES}first_response_working_seconds"),
        t_res=F(f"{TIMES}resolution_seconds"), t_res_w=F(f"{TIMES}resolution_working_seconds"),
    )
