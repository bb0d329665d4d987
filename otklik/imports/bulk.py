"""Rows written from plain tuples: COPY on PostgreSQL, `bulk_create` elsewhere.

`demodata.bulk.insert_rows` takes model instances and reserves their ids from the table's sequence (the
callers need them). Rows nothing refers to (search rows) or keyed by another table's id (report rows)
need neither, and building a model instance per row cost more than writing it: here a row is a tuple in
the order of `columns` (attribute names, e.g. "ticket_id").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert new rows (a conflict is an error, as with a plain INSERT); returns how many."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2000
        )
        return len(rows)
    from psycopg.types.json import Jsonb

    fields = {field.attname: field for field in model._meta.concrete_fields}
    json_positions = [i for i, name in enumerate(columns) if isinstance(fields[name], models.JSONField)]
    names = ", ".join(connection.ops.quote_name(_column(fields[name])) for name in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor underneath Django's wrapper
        with raw.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
            if not json_positions:
                for row in rows:
                    copy.write_row(row)
            else:
                for row in rows:
                    values = list(row)
                    for position in json_positions:
                        values[position] = Jsonb(values[position])
                    copy.write_row(values)
    return len(rows)


def update_rows(model: type[models.Model], fields: Sequence[str], objects: Sequence[models.Model]) -> int:
    """Write these fields of existing rows: on PostgreSQL one UPDATE … FROM unnest(arrays), one array per
    column; elsewhere `bulk_update`. (Django's `bulk_update` builds a CASE WHEN per field and row, and
    compiling it cost most of a re-run's time.)"""
    if not objects:
        return 0
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_update(objects, list(fields), batch_size=500)
    pk = model._meta.pk
    assert pk is not None
    by_name = {field.name: field for field in model._meta.concrete_fields}
    columns = [pk, *(by_name[name] for name in fields)]
    quote = connection.ops.quote_name
    arrays = ", ".join(
        f"%s::{field.rel_db_type(connection) if field is pk else field.db_type(connection)}[]" for field in columns
    )
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    sets = ", ".join(f"{quote(_column(field))} = v.c{i}" for i, field in enumerate(columns) if i)
    values = [[field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objects] for field in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {sets} FROM unnest({arrays}) AS v({names})"  # noqa: S608
            f" WHERE {quote(model._meta.db_table)}.{quote(_column(pk))} = v.c0",
            values,
        )
        return int(cursor.rowcount)


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # concrete fields have one
    return field.column
