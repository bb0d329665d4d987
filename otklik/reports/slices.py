"""The kept tables' slices by filter (docs/reports.md, "Kept tables").

Besides the whole desk (slice `("", "")`), every report row counts again in the kept hourly counts and duration
histograms under its value of each filter dimension of `SLICES`, and in the breakdown groups under its value of
each dimension of `GROUP_SLICES`: one dimension at a time, so the kept rows grow by a sum over dimensions, not a
product. A report filtered on one of these dimensions (any number of its values, a category with its subtree)
reads the slice; a filter on two of them, or on the assignee, reads the report rows (a small slice of them).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import F, IntegerField, QuerySet, Value

from otklik.reports.filters import ReportFilters, category_subtree
from otklik.reports.models import TicketTimes
from otklik.tickets.models import Priority

WHOLE = ("", "")  # the whole desk: no filter but the team
# Filter dimension: the report row's column.
SLICES = {"priority": "priority_id", "source": "source", "request_type": "request_type_id",
          "category": "category_id", "organization": "organization_id"}
# The breakdown groups (nine dimensions, with duration buckets) are sliced by the wide filters only: their
# values are few, so each slice adds about one whole copy; a category's or an organization's slice is small
# enough to read from the report rows (docs/performance.md, round 9).
GROUP_SLICES = ("priority", "source", "request_type")
# Breakdowns whose groups are kept for the whole desk only: an organization's rows split by a filter's values are
# about as many as the filtered report rows (a quarter of the sliced group rows at 1M, no faster to read), so a
# filtered breakdown by organization reads the report rows.
UNSLICED_GROUPS = ("organization",)


def key_text(raw: Any) -> str:
    """A value as the kept tables store it in a text key (a slice's `fvalue`, a breakdown's `value`): "" for none."""
    return "" if raw is None else str(raw)


def with_slice_value(rows: QuerySet[TicketTimes], dim: str) -> QuerySet[TicketTimes]:
    """The report rows with their value of the slice's dimension `dim` as `sv` (none for the whole desk, `dim`
    "": one group)."""
    return rows.annotate(sv=F(SLICES[dim]) if dim else Value(None, output_field=IntegerField()))


def row_slices(row: Any, dims: Collection[str]) -> list[tuple[str, str]]:
    """The slices one report row counts in: the whole desk, and its value of each dimension it has one of."""
    found = [WHOLE]
    for dim in dims:
        value = key_text(getattr(row, SLICES[dim]))
        if value:
            found.append((dim, value))
    return found


def filter_slice(filters: ReportFilters) -> tuple[str, list[str]] | None:
    """The slice a report's filters read: `("", [""])` with no filter but the team, `(dimension, values)` with
    exactly one other filter dimension; None (read the report rows) with two or more, or an assignee."""
    if filters.assignee_id is not None:
        return None
    chosen: list[tuple[str, list[str]]] = []
    if filters.category_id is not None:
        chosen.append(("category", [str(pk) for pk in category_subtree(filters.category_id)]))
    if filters.priority_codes:
        chosen.append(("priority", [str(pk) for pk in Priority.objects.filter(
            code__in=filters.priority_codes).values_list("pk", flat=True)]))
    if filters.sources:
        chosen.append(("source", list(filters.sources)))
    if filters.organization_id is not None:
        chosen.append(("organization", [str(filters.organization_id)]))
    if filters.request_type_id is not None:
        chosen.append(("request_type", [str(filters.request_type_id)]))
    if not chosen:
        return "", [""]
    return chosen[0] if len(chosen) == 1 else None
