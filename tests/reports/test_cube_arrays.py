"""The rollups' upserts send each column as an array literal (`cube.array_literal`, issue #16 round 6) instead of a
Python list psycopg dumps element by element: on PostgreSQL both arrive as the same array, for every kind of value
the rollups' columns hold and for text that needs quoting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection

from otklik.reports import cube

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TEXTS = ["", "plain", "two words", 'a "quoted" one', "back\\slash", "\\\"", "{braces}", "a,b", "NULL", "null",
         "кириллица", " padded ", "new\nline", "tab\there", "'single'", None]
COLUMNS: list[tuple[str, list[Any]]] = [
    ("bigint", [0, 1, -7, 2**40, None]),
    ("integer", [3, None, 0]),
    ("boolean", [True, False, None]),
    ("date", [date(2026, 3, 1), None, date(1999, 12, 31)]),
    ("timestamp with time zone", [datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
                                  datetime(2026, 3, 2, 10, 0, 5, 123456, tzinfo=timezone(timedelta(hours=3))), None]),
    ("varchar", TEXTS),
    ("text", TEXTS),
]


@pytest.mark.parametrize(("db_type", "values"), COLUMNS, ids=[name for name, _values in COLUMNS])
def test_an_array_literal_is_the_array_psycopg_sends(db_type: str, values: list[Any]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL arrays")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{db_type}[], %s::{db_type}[]", [values, cube.array_literal(values)])
        as_list, as_literal = cursor.fetchone()
    assert as_literal == as_list == values


def test_an_empty_array() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL arrays")
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [cube.array_literal([])])
        assert cursor.fetchone()[0] == []
