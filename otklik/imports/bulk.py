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
    names = ", ".join(connection.ops.quote_name(fields[name].column) for name in columns)
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
