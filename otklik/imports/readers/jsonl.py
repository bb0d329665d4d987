"""The generic format: JSON Lines, one object per line, written by `otklik export-json` too.

    {"type": "header", "format": "otklik-import/1"}
    {"type": "organization", "id": "o1", "name": "Acme", "domain": "acme.example"}
    {"type": "person", "id": "u1", "email": "ann@acme.example", "name": "Ann", "organization": "o1",
     "staff": false, "phone": ""}
    {"type": "ticket", "id": "t1", "number": 17, "subject": "VPN", "requester": "u1", "status": "open",
     "priority": "high", "assignee": "u2", "team": "Support", "category": "IT > VPN", "channel": "email",
     "created_at": "2026-01-12T09:30:00+03:00", "updated_at": "...", "resolved_at": null, "closed_at": null,
     "messages": [{"id": "m1", "author": "u1", "text": "...", "html": "", "internal": false,
                   "created_at": "...", "attachments": [{"id": "a1", "filename": "log.txt",
                   "content_type": "text/plain", "content_base64": "..."}]}]}

People are referred to by id (defined on an earlier line) or given inline as an object with at least an
"email". Times are ISO 8601; without an offset they are read in the import's time zone.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from otklik.imports.readers.base import ReaderError, Row
from otklik.imports.readers.values import ValueProblem, parse_bool, parse_datetime, parse_int, text
from otklik.imports.records import (
    AttachmentRecord,
    MessageRecord,
    OrgRecord,
    PersonRecord,
    RowProblem,
    TicketRecord,
)

FORMAT = "otklik-import/1"


class JsonLinesReader:
    source = "json"
    status_guesses: dict[str, str] = {}

    def __init__(self, path: str, tz: ZoneInfo) -> None:
        self.path = Path(path)
        self.tz = tz
        if not self.path.is_file():
            raise ReaderError(_("File %(path)s does not exist.") % {"path": path})
        self.orgs: dict[str, OrgRecord] = {}
        self.people: dict[str, PersonRecord] = {}

    def total(self) -> int:
        with self.path.open("rb") as handle:
            return sum(1 for line in handle if line.strip() and b'"header"' not in line[:40])

    def rows(self, skip: int) -> Iterator[Row]:
        count = 0
        with self.path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    row = Row(
                        RowProblem(
                            "ticket",
                            "",
                            _("Line %(line)s is not valid JSON: %(error)s") % {"line": number, "error": exc.msg},
                        ),
                        {"line": line[:2000]},
                    )
                else:
                    if isinstance(data, dict) and data.get("type") == "header":
                        continue
                    row = self._row(data)
                count += 1
                if count > skip:
                    yield row

    def _person(self, value: Any) -> PersonRecord:
        if isinstance(value, dict):
            org = self.orgs.get(text(value.get("organization"))) if value.get("organization") else None
            return PersonRecord(
                external_id=text(value.get("id")),
                email=text(value.get("email")),
                name=text(value.get("name")),
                organization=org,
                is_staff=parse_bool(value.get("staff")),
                phone=text(value.get("phone")),
            )
        key = text(value)
        if key in self.people:
            return self.people[key]
        if "@" in key:
            return PersonRecord(external_id="", email=key)
        raise ValueProblem(_("Person %(id)s is not defined before it is used.") % {"id": key})

    def _row(self, data: Any) -> Row:
        if not isinstance(data, dict):
            return Row(RowProblem("ticket", "", _("A line must be a JSON object.")), {"value": data})
        kind = data.get("type")
        external_id = text(data.get("id"))
        try:
            if kind == "organization":
                org = OrgRecord(external_id=external_id, name=text(data.get("name")), domain=text(data.get("domain")))
                self.orgs[external_id] = org
                return Row(org, data)
            if kind == "person":
                person = self._person(data)
                if external_id:
                    self.people[external_id] = person
                return Row(person, data)
            if kind == "ticket":
                return Row(self._ticket(data), data)
        except ValueProblem as problem:
            return Row(RowProblem(str(kind), external_id, str(problem)), data)
        return Row(RowProblem("ticket", external_id, _("Unknown line type «%(type)s».") % {"type": kind}), data)

    def _ticket(self, data: dict[str, Any]) -> TicketRecord:
        created = parse_datetime(data.get("created_at"), self.tz, "created_at")
        if created is None:
            raise ValueProblem(_("The ticket has no creation time."))
        if not data.get("requester"):
            raise ValueProblem(_("The ticket has no requester."))
        messages = []
        for item in data.get("messages") or []:
            attachments = []
            for file in item.get("attachments") or []:
                try:
                    content = base64.b64decode(file.get("content_base64") or "", validate=True)
                except (binascii.Error, ValueError):
                    raise ValueProblem(
                        _("Attachment %(name)s is not valid base64.") % {"name": text(file.get("filename"))}
                    ) from None
                attachments.append(
                    AttachmentRecord(
                        external_id=text(file.get("id")),
                        filename=text(file.get("filename")) or "attachment",
                        content=content,
                        content_type=text(file.get("content_type")),
                    )
                )
            messages.append(
                MessageRecord(
                    external_id=text(item.get("id")),
                    author=self._person(item["author"]) if item.get("author") else None,
                    body_text=str(item.get("text") or ""),
                    body_html=str(item.get("html") or ""),
                    is_internal=parse_bool(item.get("internal")),
                    created_at=parse_datetime(item.get("created_at"), self.tz, "messages.created_at") or created,
                    attachments=attachments,
                )
            )
        org_id = text(data.get("organization"))
        return TicketRecord(
            external_id=text(data.get("id")),
            subject=text(data.get("subject")),
            requester=self._person(data["requester"]),
            status=text(data.get("status")),
            created_at=created,
            number=parse_int(data.get("number"), "number"),
            updated_at=parse_datetime(data.get("updated_at"), self.tz, "updated_at"),
            resolved_at=parse_datetime(data.get("resolved_at"), self.tz, "resolved_at"),
            closed_at=parse_datetime(data.get("closed_at"), self.tz, "closed_at"),
            priority=text(data.get("priority")),
            assignee=self._person(data["assignee"]) if data.get("assignee") else None,
            team=text(data.get("team")),
            category=text(data.get("category")),
            channel=text(data.get("channel")),
            organization=self.orgs.get(org_id) if org_id else None,
            messages=messages,
        )
