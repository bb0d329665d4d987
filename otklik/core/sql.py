"""Pieces of SQL composed from Django querysets, for the few hand-written statements (search, similar)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Field, Model, Q, QuerySet
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


def key_in(model: type[Model], keys: Iterable[int], *, field: str = "pk") -> Q:
    """The condition "the row's primary key (or integer `field`) is one of `keys`", for lists of a few hundred keys.

    On PostgreSQL one array parameter (`= ANY(%s)`): `pk__in` makes a parameter per key, which Django builds
    and psycopg quotes one by one and PostgreSQL plans one by one (1.8 ms of CPU for a search's 300 hits). The
    array goes as its text form (`{1,2,3}`, every key made an int here) cast by PostgreSQL: psycopg dumps a
    Python list of ints element by element in Python (~1 ms for 300 keys), a string at once.
    Elsewhere `__in` as usual."""
    keys = [int(key) for key in keys]
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": keys})
    target = model._meta.pk if field == "pk" else model._meta.get_field(field)
    assert isinstance(target, Field), field  # a column of this model, not a reverse relation
    column = f'"{model._meta.db_table}"."{target.column}"'  # names from the model, never input
    literal = "{" + ",".join(map(str, keys)) + "}"
    return Q(RawSQL(f"{column} = ANY(%s::bigint[])", (literal,), output_field=BooleanField()))  # noqa: S611
