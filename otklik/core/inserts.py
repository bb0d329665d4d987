"""New rows through an INSERT written once per model, for the hot paths (a new ticket, its first
message, its events and their search rows).

`Model.save()` compiles its INSERT anew for every row (the column list, placeholders, quoting, the
RETURNING clause): about as much CPU as the statement's round trip. Here the statement is made once per
model and database and only the values change. What `save(force_insert=True)` and `bulk_create` do for
these rows is done here too: each field's `pre_save` (auto_now_add and the like) and `get_db_prep_save`,
the database's key set on the object, `_state` marked saved; a model with its own `save()` says what it
does around a new row's INSERT (`before_insert`, `after_insert`, e.g. `Ticket`'s priority rank). Anything
beyond that goes through Django unchanged: another model with its own `save()`, inheritance, save signals
listened to, database defaults or other returned columns, a database that cannot return the key.
`tests/core/test_inserts.py` holds the rows written here equal to the ORM's, column by column.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.signals import post_save, pre_save


@functools.cache
def _plain(model: type[Model]) -> bool:
    """Whether `bulk_create` writes a row of `model` exactly as `insert_rows` does: an auto key returned by
    the database, no other returned column, no database default, no parent table."""
    meta = model._meta
    pk = meta.pk
    return (
        not meta.parents
        and pk is not None
        and bool(getattr(pk, "db_returning", False))
        and not any(field.db_returning for field in meta.local_concrete_fields if field is not pk)
        and all(getattr(field, "db_default", NOT_PROVIDED) is NOT_PROVIDED for field in meta.local_concrete_fields)
    )


@functools.cache
def _statement(model: type[Model], vendor: str, rows: int) -> tuple[str, tuple[Field[Any, Any], ...]]:
    meta = model._meta
    fields = tuple(field for field in meta.local_concrete_fields if field is not meta.pk)
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Names come from the model, values are parameters.
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(str(field.column)) for field in fields)}) "  # noqa: S608
           f"VALUES {', '.join([one] * rows)} RETURNING {quote(str(meta.pk.column))}")
    return sql, fields


def _written(rows: Sequence[Model]) -> bool:
    """Insert new objects of one plain model in one statement, their keys set on them; False (nothing
    written) when Django must do it: another model, an expression as a value, no RETURNING."""
    model = type(rows[0])
    if not (_plain(model) and connection.features.can_return_rows_from_bulk_insert):
        return False
    sql, fields = _statement(model, connection.vendor, len(rows))
    params = []
    for row in rows:
        if type(row) is not model:
            return False
        # As save() and bulk_create: a related object saved after it was assigned gives its key now.
        row._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        for field in fields:
            value = field.pre_save(row, True)
            if hasattr(value, "resolve_expression"):
                return False
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [found[0] for found in cursor.fetchall()]
    for row, key in zip(rows, keys, strict=True):
        row.pk = key
        row._state.adding = False
        row._state.db = connection.alias
    return True


def insert_rows[M: Model](rows: Sequence[M]) -> Sequence[M]:
    """`bulk_create(rows)` (no save signals, no `save()`) through the remembered INSERT."""
    if rows and not _written(rows):
        type(rows[0])._default_manager.bulk_create(rows)
    return rows


@functools.cache
def _hooks(model: type[Model]) -> tuple[Callable[[Any], None], Callable[[Any], None]] | None:
    """What `save()` does around the INSERT of a new row of `model`: nothing for Django's own `save()`;
    a model whose class overrides `save()` says it in `before_insert` / `after_insert`, defined in the same
    class (None: it does not, so only `save()` may write it)."""
    if model.save is Model.save:
        return _nothing, _nothing
    owner = next(klass for klass in model.__mro__ if "save" in vars(klass))
    if "before_insert" in vars(owner) and "after_insert" in vars(owner):
        return vars(owner)["before_insert"], vars(owner)["after_insert"]
    return None


def _nothing(row: Any) -> None:
    return None


def insert_row[M: Model](row: M) -> M:
    """`row.save(force_insert=True)` for a new object, through the remembered INSERT when saving it is no
    more than its INSERT (Django's own `save()` or the model's `before_insert` / `after_insert`, no save
    signal listened to); by `save()` otherwise."""
    model = type(row)
    hooks = _hooks(model)
    if hooks is None or not row._state.adding or pre_save.has_listeners(model) or post_save.has_listeners(model):
        row.save(force_insert=True)
        return row
    before, after = hooks
    before(row)
    if _written([row]):
        after(row)
    else:
        row.save(force_insert=True)
    return row
