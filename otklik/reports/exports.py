"""CSV and XLSX downloads of reports and ticket lists, streamed with no row cap in bounded memory.

CSV rows are yielded as they are read from a server-side cursor. XLSX needs its zip directory written
last, so xlsxwriter (constant_memory: one row in memory) writes to a temporary file, which is then
streamed in chunks and removed.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.reports.filters import zone
from otklik.tickets.models import Ticket

FORMATS = ("csv", "xlsx")
CHUNK = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: Iterable[Sequence[Any]]


class _Line:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value, zone()).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return "" if value is None else value


def _safe_text(value: Any) -> Any:
    # A cell starting with = + - @ is a formula to spreadsheets: ticket subjects are user input.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_chunks(table: Table) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff"  # so spreadsheet programs open Cyrillic text as UTF-8
    yield writer.writerow(table.headers)
    for row in table.rows:
        yield writer.writerow([_safe_text(_cell(value)) for value in row])


def xlsx_chunks(table: Table) -> Iterator[bytes]:
    import xlsxwriter  # type: ignore[import-untyped]

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "tmpdir": tempfile.gettempdir()})
        sheet = workbook.add_worksheet()
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, table.headers, bold)
        for index, row in enumerate(table.rows, start=1):
            sheet.write_row(index, 0, [_cell(value) for value in row])
        workbook.close()
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def streamed(table: Table, fmt: str, filename: str) -> StreamingHttpResponse:
    if fmt == "xlsx":
        response = StreamingHttpResponse(xlsx_chunks(table), content_type=XLSX_TYPE)
    else:
        response = StreamingHttpResponse(csv_chunks(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def rows_table(rows: list[dict[str, Any]], columns: Sequence[str] | None = None) -> Table:
    """A report's rows (small, already aggregated) as a table of their keys."""
    keys = list(columns or (rows[0].keys() if rows else ["key", "label", "count"]))
    return Table(keys, ([row.get(key) for key in keys] for row in rows))


TICKET_COLUMNS: list[tuple[str, Callable[[], str]]] = [
    ("number", lambda: _("Number")), ("subject", lambda: _("Subject")), ("status__code", lambda: _("Status")),
    ("priority__code", lambda: _("Priority")), ("team__name", lambda: _("Team")),
    ("assignee__email", lambda: _("Assignee")), ("requester__email", lambda: _("Requester")),
    ("organization__name", lambda: _("Organization")), ("category__path", lambda: _("Category")),
    ("request_type__code", lambda: _("Request type")), ("source", lambda: _("Source")),
    ("created_at", lambda: _("Created")), ("first_response_at", lambda: _("First response")),
    ("resolved_at", lambda: _("Resolved")), ("closed_at", lambda: _("Closed")),
    ("report_times__first_response_seconds", lambda: _("First response, s")),
    ("report_times__first_response_working_seconds", lambda: _("First response, working s")),
    ("report_times__resolution_seconds", lambda: _("Resolution, s")),
    ("report_times__resolution_working_seconds", lambda: _("Resolution, working s")),
]


def tickets_table(tickets: QuerySet[Ticket]) -> Table:
    """Ticket rows read through a server-side cursor: memory stays flat however many there are."""
    fields = [name for name, _label in TICKET_COLUMNS]
    rows = tickets.values_list(*fields).iterator(chunk_size=2000)
    return Table([str(label()) for _name, label in TICKET_COLUMNS], rows)
