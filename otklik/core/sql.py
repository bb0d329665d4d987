"""Pieces of SQL composed from Django querysets, for the few hand-written statements (search, similar)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL


def row_in(rows: QuerySet[Any], column: str) -> tuple[str, tuple[Any, ...]]:
    """The condition "`column` is the key of one of `rows`" as a scalar subquery (NULL when it is not),
    with its parameters.

    One primary-key probe per outer row: written as `column IN (rows)`, a wide set (a first-line agent's
    700,000 tickets of a million) is hashed whole by PostgreSQL or, past work_mem, searched linearly for
    every outer row. `column` is SQL from the caller (a qualified column name), never user input; raises
    EmptyResultSet when `rows` can match nothing."""
    probe: QuerySet[Model, Any] = rows.order_by().filter(pk=RawSQL(column, ())).values("pk")[:1]  # noqa: S611
    return probe.query.sql_with_params()
