"""The second-line numbers and the monthly trend as sums, from the rollups where they can answer exactly.

The rollups (`reports.rollups`) serve a request when
- the period is whole local months (the default period, "last month", "this year", the 12-month trend),
- the filters are among the rollup key's: team, category (subtree), priority, source,
- the viewer's scope is whole teams: administrators (every ticket), managers and auditors (their teams and,
  for the first line, the unrouted tickets). Their personal tickets outside those teams (assigned to or
  watched by them) are added from the per-ticket rows, so the figure stays exact.
Otherwise (an organization, request type or assignee filter; an agent's own figures; a period cut inside
a month) the same sums come from the per-ticket report rows (`TicketTimes`, `filters.scoped_rows`: the
narrow table whose partial indexes hold a period's rows whole, so no ticket is read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import BigIntegerField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth

from otklik.accounts.access import staff_scope_by_team
from otklik.accounts.models import Team, User
from otklik.reports.filters import (
    ReportFilters,
    category_subtree,
    is_own_figures_only,
    month_bounds,
    scoped_rows,
    zone,
)
from otklik.reports.models import MonthlyRollup, TicketTimes
from otklik.tickets.models import Priority

SUMS = (
    "new",
    "closed",
    "open_at_end",
    "responded",
    "resolution_n",
    "resolution_sum",
    "resolution_working_sum",
    "first_response_n",
    "first_response_sum",
    "first_response_working_sum",
)


@dataclass(frozen=True)
class RollupSource:
    rows: QuerySet[MonthlyRollup]  # the rollup rows of the viewer's teams, filtered
    # Per-ticket rows to add, disjoint: tickets assigned to the viewer outside their teams, and tickets they
    # watch outside their teams and are not assigned. Two queries, each starting from its own index (in one
    # OR the watchers' subquery would make PostgreSQL scan every ticket).
    remainders: tuple[QuerySet[TicketTimes], ...]


def whole_months(filters: ReportFilters) -> bool:
    return filters.start.day == 1 and filters.end == month_bounds(filters.end)[1]


def rollup_source(viewer: User, filters: ReportFilters) -> RollupSource | None:
    """Where the rollups can answer for this viewer and these filters (the period aside); None: they cannot."""
    if (
        is_own_figures_only(viewer)
        or filters.organization_id is not None
        or filters.request_type_id is not None
        or filters.assignee_id is not None
    ):
        return None
    rows = MonthlyRollup.objects.order_by()
    parts = staff_scope_by_team(viewer)
    remainders: tuple[QuerySet[TicketTimes], ...] = ()
    if parts is not None:
        teams = Q(team_key__in=parts.team_ids) | Q(team_key=0) if parts.unrouted else Q(team_key__in=parts.team_ids)
        rows = rows.filter(teams)
        # "Not in the viewer's teams" spelled positively (the other teams, and no team unless the viewer
        # sees the unrouted tickets anyway), so PostgreSQL can combine it with the assignee index; a
        # manager of every team has no outside at all and costs no query.
        others = [pk for pk in Team.objects.values_list("pk", flat=True) if pk not in parts.team_ids]
        if others or not parts.unrouted:
            outside_teams = Q(team_id__in=others) if others else Q(team__isnull=True)
            if others and not parts.unrouted:
                outside_teams |= Q(team__isnull=True)
            outside = scoped_rows(viewer, filters).filter(outside_teams)
            remainders = (outside.filter(parts.assigned),)
            if parts.watched is not None:
                remainders += (outside.filter(parts.watched).exclude(parts.assigned),)
    if filters.team_ids:
        rows = rows.filter(team_key__in=filters.team_ids)
    if filters.category_id is not None:
        rows = rows.filter(category_key__in=category_subtree(filters.category_id))
    if filters.priority_codes:
        rows = rows.filter(priority_key__in=Priority.objects.filter(code__in=filters.priority_codes).values("pk"))
    if filters.sources:
        rows = rows.filter(source__in=filters.sources)
    return RollupSource(rows, remainders)


def _zero() -> dict[str, int]:
    return dict.fromkeys(SUMS, 0)


def _added(total: dict[str, int], found: Mapping[str, Any]) -> dict[str, int]:
    return {name: total[name] + int(found.get(name) or 0) for name in SUMS}


# ---------------------------------------------------------------- per-ticket sums


def _window(filters: ReportFilters, field: str) -> Q:
    return Q(**{f"{field}__gte": filters.since, f"{field}__lt": filters.until})


# Each month measure: the moment that puts a ticket in a month, the count's name, and the kept duration summed
# with it (24/7 and working seconds, and how many tickets have one: `_duration_names`).
MONTH_MOMENTS = (("created_at", "new", None), ("resolved_at", "closed", "resolution"),
                 ("first_response_at", "responded", "first_response"))


def _duration_names(duration: str) -> tuple[str, str, str]:
    """The sums of a kept duration, as `SUMS` names them: how many have one, their 24/7 and working totals."""
    return f"{duration}_n", f"{duration}_sum", f"{duration}_working_sum"


def _duration_sums(duration: str, names: Sequence[str] = (), window: Q | None = None) -> dict[str, Any]:
    """The aggregates of a kept duration (under `names`, else as `SUMS` names them), of the rows in `window`."""
    aggregates = (Count(f"{duration}_seconds", filter=window), Sum(f"{duration}_seconds", filter=window),
                  Sum(f"{duration}_working_seconds", filter=window))
    return dict(zip(names or _duration_names(duration), aggregates, strict=True))


def ticket_sums(tickets: QuerySet[TicketTimes], filters: ReportFilters) -> dict[str, int]:
    """The second-line sums of a period from the per-ticket report rows (the definitions in docs/reports.md).

    One statement of five counts joined by UNION ALL, each of which its own partial index answers alone: new
    (created in the period), closed and responded with their time sums (last resolved, first answered in
    it), and open at the end as two disjoint parts (never resolved, resolved after the end; both created
    before the end). One condition over every row created before the end would read the desk's whole history
    whenever a filter keeps the rollups out (an organization, an agent's own figures)."""
    tickets = tickets.order_by()
    until = filters.until
    parts = [(count_as, _window(filters, moment), duration) for moment, count_as, duration in MONTH_MOMENTS]
    parts += [("open_at_end", Q(resolved_at__isnull=True, created_at__lt=until), None),
              ("open_at_end", Q(resolved_at__gte=until, created_at__lt=until), None)]
    durations = {count_as: duration for count_as, _condition, duration in parts if duration}
    zero = Value(0, output_field=BigIntegerField())
    counts = []
    for label, condition, duration in parts:
        measures: dict[str, Any] = {"n": Count("pk"), "d_n": zero, "d_sum": zero, "d_w_sum": zero}
        if duration:
            measures |= _duration_sums(duration, ("d_n", "d_sum", "d_w_sum"))
        # A constant label is no grouping column: each part is one aggregate row.
        counts.append(tickets.filter(condition).annotate(part=Value(label)).values("part").annotate(**measures)
                      .values_list("part", "n", "d_n", "d_sum", "d_w_sum"))
    first, *rest = counts
    total = _zero()
    for label, n, *duration_sums in first.union(*rest, all=True):
        total[label] += int(n or 0)
        if label in durations:
            for name, value in zip(_duration_names(durations[label]), duration_sums, strict=True):
                total[name] += int(value or 0)
    return total


def _month_key(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def ticket_month_sums(tickets: QuerySet[TicketTimes], span: ReportFilters) -> dict[date, dict[str, int]]:
    """Per local month of `span` (whole months): new, closed and responded with their sums.

    One pass over the rows with any of the three moments in the span, grouped by the three moments' months
    together (a few hundred groups a year): the rows are read once instead of once per moment."""
    tz = zone()
    windows = {moment: _window(span, moment) for moment, _count, _duration in MONTH_MOMENTS}
    measures: dict[str, Any] = {}
    months_of: dict[str, Any] = {}
    for moment, count_as, duration in MONTH_MOMENTS:
        window = windows[moment]
        measures[count_as] = Count("pk", filter=window)
        if duration:
            measures |= _duration_sums(duration, window=window)
        months_of[f"month_{count_as}"] = TruncMonth(moment, tzinfo=tz)
    rows = (tickets.order_by().filter(windows["created_at"] | windows["resolved_at"] | windows["first_response_at"])
            .annotate(**months_of).values(*months_of).annotate(**measures))
    months: dict[date, dict[str, int]] = {}
    for row in rows:
        for _moment, count_as, duration in MONTH_MOMENTS:
            if not row[count_as]:
                continue  # this moment is outside the span (or not yet): the group counts only for the others
            names = [count_as, *(_duration_names(duration) if duration else ())]
            month = _month_key(row[f"month_{count_as}"])
            months[month] = _added(months.get(month, _zero()), {name: row[name] for name in names})
    return months


# ---------------------------------------------------------------- rollup sums

ROLLUP_MEASURES = (
    "new",
    "closed",
    "responded",
    "resolution_n",
    "resolution_sum",
    "resolution_working_sum",
    "first_response_n",
    "first_response_sum",
    "first_response_working_sum",
)


def _rollup_measures(condition: Q) -> dict[str, Any]:
    # Aliased: an aggregate may not carry the name of the column it sums.
    return {f"s_{name}": Sum(name, filter=condition) for name in ROLLUP_MEASURES}


def _unaliased(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row.get(f"s_{name}") for name in ROLLUP_MEASURES}


def second_line_sums(viewer: User, filters: ReportFilters) -> dict[str, int]:
    """The second-line sums of the period: from the rollups when they can answer exactly, else per ticket."""
    source = rollup_source(viewer, filters) if whole_months(filters) else None
    if source is None:
        return ticket_sums(scoped_rows(viewer, filters), filters)
    first, last = filters.start, filters.end.replace(day=1)
    found = source.rows.filter(month__lte=last).aggregate(
        **_rollup_measures(Q(month__gte=first)),
        created_before_end=Sum("new"),
        closed_before_end=Sum("closed"),
    )
    total = _added(_zero(), _unaliased(found))
    total["open_at_end"] = int(found["created_before_end"] or 0) - int(found["closed_before_end"] or 0)
    for remainder in source.remainders:
        rest = ticket_sums(remainder, filters)
        total = {name: total[name] + rest[name] for name in SUMS}
    return total


def month_sums(viewer: User, span: ReportFilters) -> dict[date, dict[str, int]]:
    """Per month of a whole-month span: new, closed, responded and their time sums."""
    source = rollup_source(viewer, span)
    if source is None:
        return ticket_month_sums(scoped_rows(viewer, span), span)
    months: dict[date, dict[str, int]] = {}
    rows = (
        source.rows.filter(month__gte=span.start, month__lte=span.end).values("month").annotate(**_rollup_measures(Q()))
    )
    for row in rows:
        months[row["month"]] = _added(_zero(), _unaliased(row))
    for remainder in source.remainders:
        for month, rest in ticket_month_sums(remainder, span).items():
            months[month] = {name: months.get(month, _zero())[name] + rest[name] for name in SUMS}
    return months


def average(total: int, count: int) -> float | None:
    return total / count if count else None
