"""Percentiles in the database where it can (PostgreSQL's percentile_cont), streamed otherwise."""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, FloatField, QuerySet

from otklik.accounts.access import remembered_for_read


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the continuous percentile of the non-null values."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def interpolated(values: Sequence[float], fraction: float) -> float | None:
    """The same continuous percentile as PostgreSQL's percentile_cont, for sorted values."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(values) - 1)
    return float(values[lower] + (values[upper] - values[lower]) * (position - lower))


def percentiles(tickets: QuerySet[Any], field: str, fractions: Sequence[float], *, group: str | None = None,
                ) -> dict[Hashable, list[float | None]]:
    """Per group value (or under the key None), the field's percentiles over the non-null values."""
    rows = tickets.filter(**{f"{field}__isnull": False})
    if connection.vendor == "postgresql":
        aggregates = {f"p{index}": PercentileCont(field, fraction=f) for index, f in enumerate(fractions)}
        if group is None:
            found = rows.aggregate(**aggregates)
            return {None: [found[f"p{index}"] for index in range(len(fractions))]}
        result: dict[Hashable, list[float | None]] = {}
        for row in rows.order_by().values(group).annotate(**aggregates):
            result[row[group]] = [row[f"p{index}"] for index in range(len(fractions))]
        return result
    # SQLite has no ordered-set aggregates: stream two numbers per ticket, never whole rows.
    values: dict[Hashable, list[float]] = defaultdict(list)
    columns = (group, field) if group else (field,)
    for row in rows.order_by().values_list(*columns).iterator(chunk_size=5000):
        values[row[0] if group else None].append(float(row[-1]))
    return {key: [interpolated(sorted(found), f) for f in fractions] for key, found in values.items()}


def streamed_values(tickets: QuerySet[Any], group: str, field: str) -> dict[Hashable, list[float]]:
    """The non-null values per group (for roll-ups whose percentiles cannot be merged)."""
    values: dict[Hashable, list[float]] = defaultdict(list)
    rows = tickets.filter(**{f"{field}__isnull": False}).order_by().values_list(group, field)
    for key, value in rows.iterator(chunk_size=5000):
        values[key].append(float(value))
    return values


# A report reads a period's rows once and sorts them for its medians: enough memory to sort a month in
# memory instead of on disk, and no JIT compilation (it costs more than it saves on these short queries).
# SET LOCAL: only for the report's own transaction, never the connection's next user.
SESSION = ("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'")


def report_session[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """Run a report's queries in one transaction with the settings above (PostgreSQL; elsewhere as is).

    A report writes nothing: the viewer's access answers (their teams) are asked once per report, not once
    per query (`access.remembered_for_read`), also outside a request (digests, exports, tests)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with remembered_for_read():
            if connection.vendor != "postgresql":
                return function(*args, **kwargs)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    for statement in SESSION:
                        cursor.execute(statement)
                return function(*args, **kwargs)

    return wrapper
