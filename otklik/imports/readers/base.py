"""What a reader is: a deterministic stream of rows, each a record or a refused row with its raw form.

The stream's order never changes between runs of the same input, so a run's cursor (how many rows were
committed) is enough to resume after a crash: the reader skips that many rows."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from otklik.imports.records import Record, RowProblem


@dataclass
class Row:
    item: Record | RowProblem
    raw: dict[str, Any] = field(default_factory=dict)


class Reader(Protocol):
    source: str
    status_guesses: dict[str, str]

    def total(self) -> int | None: ...

    def rows(self, skip: int) -> Iterator[Row]: ...


class ReaderError(Exception):
    """The input as a whole cannot be read (missing file, unreachable database or API, bad token)."""


def jsonable(value: Any) -> Any:
    """The raw row as JSON for the run's report: dates as ISO text, bytes as a short base64 preview."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        return {"bytes": len(data), "base64_head": base64.b64encode(data[:48]).decode()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
