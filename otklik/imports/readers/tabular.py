"""CSV and XLSX files: one kind of row per file (tickets, messages, people or organizations), columns
named by a mapping (Otklik field -> column header) that can be saved as a named profile.

Fields per kind (a column with the field's own name is taken when the mapping does not name one):
- tickets: id, number, subject, body, requester_email, requester_name, requester_id, organization,
  status, priority, assignee_email, team, category, channel, created_at, updated_at, resolved_at, closed_at
- messages: id, ticket_id, author_email, author_name, author_id, author_staff, body, html, internal, created_at
- people: id, email, name, organization, staff, phone
- organizations: id, name, domain
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from otklik.imports.readers.base import ReaderError, Row
from otklik.imports.readers.values import ValueProblem, parse_bool, parse_datetime, parse_int, text
from otklik.imports.records import (
    MessageItem,
    MessageRecord,
    OrgRecord,
    PersonRecord,
    Record,
    RowProblem,
    TicketRecord,
)

FIELDS: dict[str, list[str]] = {
    "tickets": [
        "id",
        "number",
        "subject",
        "body",
        "requester_email",
        "requester_name",
        "requester_id",
        "organization",
        "status",
        "priority",
        "assignee_email",
        "team",
        "category",
        "channel",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
    ],
    "messages": [
        "id",
        "ticket_id",
        "author_email",
        "author_name",
        "author_id",
        "author_staff",
        "body",
        "html",
        "internal",
        "created_at",
    ],
    "people": ["id", "email", "name", "organization", "staff", "phone"],
    "organizations": ["id", "name", "domain"],
}
REQUIRED: dict[str, list[str]] = {
    "tickets": ["id", "subject", "created_at"],
    "messages": ["id", "ticket_id", "created_at"],
    "people": ["email"],
    "organizations": ["name"],
}
SINGULAR = {"tickets": "ticket", "messages": "message", "people": "person", "organizations": "organization"}


def mapping_check(kind: str, mapping: dict[str, str]) -> None:
    if kind not in FIELDS:
        raise ReaderError(
            _("Unknown kind of rows «%(kind)s»; use one of: %(kinds)s.") % {"kind": kind, "kinds": ", ".join(FIELDS)}
        )
    unknown = sorted(set(mapping) - set(FIELDS[kind]))
    if unknown:
        raise ReaderError(
            _("Unknown fields in the mapping: %(fields)s. Known: %(known)s.")
            % {"fields": ", ".join(unknown), "known": ", ".join(FIELDS[kind])}
        )


class TabularReader:
    status_guesses: dict[str, str] = {}

    def __init__(
        self,
        *,
        path: str,
        kind: str,
        mapping: dict[str, str],
        tz: ZoneInfo,
        source: str = "csv",
        delimiter: str = "",
        sheet: str = "",
    ) -> None:
        self.path = Path(path)
        self.kind = kind
        self.source = source
        self.mapping = mapping
        self.tz = tz
        self.delimiter = delimiter
        self.sheet = sheet
        if not self.path.is_file():
            raise ReaderError(_("File %(path)s does not exist.") % {"path": path})
        mapping_check(kind, mapping)
        header = next(self._raw_rows(), None)
        if header is None:
            raise ReaderError(_("The file is empty."))
        self.header = [text(cell) for cell in header]
        self.columns: dict[str, int] = {}
        for name in FIELDS[kind]:
            column = mapping.get(name, name)
            if column in self.header:
                self.columns[name] = self.header.index(column)
            elif name in mapping:
                raise ReaderError(
                    _("Column «%(column)s» (for %(field)s) is not in the file; its columns are: %(header)s.")
                    % {"column": column, "field": name, "header": ", ".join(self.header)}
                )
        missing = [name for name in REQUIRED[kind] if name not in self.columns]
        if kind == "tickets" and "requester_email" not in self.columns and "requester_id" not in self.columns:
            missing.append("requester_email")
        if missing:
            raise ReaderError(
                _("No column for the required fields: %(fields)s. Map them with --map field=Column.")
                % {"fields": ", ".join(missing)}
            )

    def _raw_rows(self) -> Iterator[list[Any]]:
        if self.source == "xlsx":
            from openpyxl import load_workbook

            try:
                book = load_workbook(self.path, read_only=True, data_only=True)
            except Exception as exc:  # a broken or non-XLSX file: one clear error, not a traceback
                raise ReaderError(_("The file cannot be read as XLSX: %(error)s") % {"error": exc}) from exc
            try:
                sheet = book[self.sheet] if self.sheet else book.worksheets[0]
            except KeyError as exc:
                raise ReaderError(_("No sheet «%(sheet)s» in the workbook.") % {"sheet": self.sheet}) from exc
            try:
                for values in sheet.iter_rows(values_only=True):
                    yield list(values)
            finally:
                book.close()
            return
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            delimiter = self.delimiter or (";" if sample.count(";") > sample.count(",") else ",")
            yield from csv.reader(handle, delimiter=delimiter)

    def total(self) -> int:
        return sum(1 for values in self._raw_rows() if any(text(v) for v in values)) - 1

    def rows(self, skip: int) -> Iterator[Row]:
        count = 0
        source = self._raw_rows()
        next(source, None)  # the header
        for values in source:
            if not any(text(v) for v in values):
                continue
            count += 1
            if count <= skip:
                continue
            raw = {self.header[i] if i < len(self.header) else f"#{i + 1}": v for i, v in enumerate(values)}
            cells = {name: values[index] if index < len(values) else None for name, index in self.columns.items()}
            try:
                yield Row(self._record(cells), raw)
            except ValueProblem as problem:
                yield Row(RowProblem(SINGULAR[self.kind], text(cells.get("id")), str(problem)), raw)

    def _record(self, cells: dict[str, Any]) -> Record:
        def get(name: str) -> str:
            return text(cells.get(name))

        if self.kind == "organizations":
            return OrgRecord(external_id=get("id"), name=get("name"), domain=get("domain"))
        if self.kind == "people":
            org = OrgRecord(external_id="", name=get("organization")) if get("organization") else None
            return PersonRecord(
                external_id=get("id"),
                email=get("email"),
                name=get("name"),
                organization=org,
                is_staff=parse_bool(cells.get("staff")),
                phone=get("phone"),
            )
        if self.kind == "messages":
            author = None
            if get("author_email") or get("author_id"):
                author = PersonRecord(
                    external_id=get("author_id"),
                    email=get("author_email"),
                    name=get("author_name"),
                    is_staff=parse_bool(cells.get("author_staff")),
                )
            created = parse_datetime(
                cells.get("created_at"), self.tz, str(self.mapping.get("created_at", "created_at"))
            )
            return MessageItem(
                ticket_external_id=get("ticket_id"),
                message=MessageRecord(
                    external_id=get("id"),
                    author=author,
                    body_text=str(cells.get("body") or ""),
                    body_html=str(cells.get("html") or ""),
                    is_internal=parse_bool(cells.get("internal")),
                    created_at=created,
                ),
            )

        def column(name: str) -> str:
            return str(self.mapping.get(name, name))

        created = parse_datetime(cells.get("created_at"), self.tz, column("created_at"))
        if created is None:
            raise ValueProblem(_("Column %(column)s is empty.") % {"column": column("created_at")})
        org = OrgRecord(external_id="", name=get("organization")) if get("organization") else None
        requester = PersonRecord(
            external_id=get("requester_id"), email=get("requester_email"), name=get("requester_name"), organization=org
        )
        assignee = (
            PersonRecord(external_id="", email=get("assignee_email"), is_staff=True) if get("assignee_email") else None
        )
        return TicketRecord(
            external_id=get("id"),
            subject=get("subject"),
            requester=requester,
            status=get("status"),
            created_at=created,
            number=parse_int(cells.get("number"), column("number")),
            updated_at=parse_datetime(cells.get("updated_at"), self.tz, column("updated_at")),
            resolved_at=parse_datetime(cells.get("resolved_at"), self.tz, column("resolved_at")),
            closed_at=parse_datetime(cells.get("closed_at"), self.tz, column("closed_at")),
            priority=get("priority"),
            assignee=assignee,
            team=get("team"),
            category=get("category"),
            channel=get("channel"),
            organization=org,
            messages=[
                MessageRecord(
                    external_id=f"{get('id')}:body",
                    author=requester,
                    body_text=str(cells.get("body") or ""),
                    created_at=created,
                )
            ],
        )
