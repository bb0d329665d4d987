"""osTicket (1.10 and later, the thread model): ost_organization, ost_user + ost_user_email, ost_staff,
ost_ticket + ost_ticket__cdata + ost_ticket_status + ost_ticket_priority, ost_thread + ost_thread_entry
(M = the user's message, R = a staff response, N = an internal note) and files from ost_attachment,
ost_file and ost_file_chunk. Table names take the installation's prefix (ost_ by default)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from otklik.imports.readers.base import ReaderError, Row
from otklik.imports.readers.sqldb import SourceDatabase
from otklik.imports.readers.values import ValueProblem, parse_datetime, text
from otklik.imports.records import (
    AttachmentRecord,
    MessageRecord,
    OrgRecord,
    PersonRecord,
    RowProblem,
    TicketRecord,
)

STATE_KINDS = {"open": "open", "closed": "closed", "archived": "closed", "deleted": "closed"}
PRIORITY_NAMES = {"emergency": "critical", "urgent": "critical"}
CHANNELS = {"web": "web", "email": "email", "phone": "phone", "api": "api"}


class OsTicketReader:
    source = "osticket"

    def __init__(self, *, db_url: str, tz: ZoneInfo, prefix: str = "ost_", batch: int = 500) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_]*", prefix):
            raise ReaderError(_("The table prefix may hold only letters, digits and underscores."))
        self.db = SourceDatabase(db_url)
        self.tz = tz
        self.p = prefix
        self.batch = batch
        self.orgs: dict[int, OrgRecord] = {}
        self.users: dict[int, PersonRecord] = {}
        self.staff: dict[int, PersonRecord] = {}
        self.status_guesses: dict[str, str] = {}
        for status in self.db.query(f"SELECT name, state FROM {self.p}ticket_status"):  # noqa: S608
            name = text(status["name"]).lower()
            kind = STATE_KINDS.get(text(status["state"]).lower(), "open")
            self.status_guesses[name] = "resolved" if name == "resolved" else kind

    def total(self) -> int:
        return sum(
            self.db.scalar(f"SELECT COUNT(*) AS n FROM {self.p}{table}")  # noqa: S608
            for table in ("organization", "user", "staff", "ticket")
        )

    def rows(self, skip: int) -> Iterator[Row]:
        count = 0
        p = self.p
        for page in self.db.pages(f"SELECT * FROM {p}organization WHERE id > %s", "id", self.batch):  # noqa: S608
            for org in page:
                record = OrgRecord(external_id=f"o{org['id']}", name=text(org["name"]), domain=text(org.get("domain")))
                self.orgs[int(org["id"])] = record
                count += 1
                if count > skip:
                    yield Row(record, org)
        users_sql = (
            f"SELECT u.*, e.address AS email FROM {p}user u "  # noqa: S608
            f"LEFT JOIN {p}user_email e ON e.id = u.default_email_id WHERE u.id > %s"
        )
        for page in self.db.pages(users_sql, "u.id", self.batch):
            for user in page:
                person = PersonRecord(
                    external_id=f"u{user['id']}",
                    email=text(user["email"]),
                    name=text(user["name"]),
                    organization=self.orgs.get(int(user["org_id"] or 0)),
                )
                self.users[int(user["id"])] = person
                count += 1
                if count > skip:
                    yield Row(person, user)
        for page in self.db.pages(f"SELECT * FROM {p}staff WHERE staff_id > %s", "staff_id", self.batch):  # noqa: S608
            for staff in page:
                person = PersonRecord(
                    external_id=f"s{staff['staff_id']}",
                    email=text(staff["email"]),
                    name=f"{text(staff['firstname'])} {text(staff['lastname'])}".strip(),
                    is_staff=True,
                    phone=text(staff.get("phone")),
                )
                self.staff[int(staff["staff_id"])] = person
                count += 1
                if count > skip:
                    yield Row(person, {k: v for k, v in staff.items() if k != "passwd"})
        tickets_sql = (
            f"SELECT t.*, c.subject AS subject, s.name AS status_name, pr.priority AS priority_name "  # noqa: S608
            f"FROM {p}ticket t LEFT JOIN {p}ticket__cdata c ON c.ticket_id = t.ticket_id "
            f"LEFT JOIN {p}ticket_status s ON s.id = t.status_id "
            f"LEFT JOIN {p}ticket_priority pr ON pr.priority_id = c.priority WHERE t.ticket_id > %s"
        )
        for page in self.db.pages(tickets_sql, "t.ticket_id", self.batch):
            wanted = page[max(0, skip - count) :] if count < skip else page
            count += len(page)
            if count <= skip:
                continue
            entries = self._entries([t["ticket_id"] for t in wanted])
            for ticket in wanted:
                try:
                    yield Row(self._ticket(ticket, entries.get(ticket["ticket_id"], [])), ticket)
                except ValueProblem as problem:
                    yield Row(RowProblem("ticket", f"t{ticket['ticket_id']}", str(problem)), ticket)
        self.db.close()

    def _entries(self, ticket_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        p = self.p
        marks, params = self.db.in_list(ticket_ids)
        rows = self.db.query(
            f"SELECT e.*, th.object_id AS ticket_id FROM {p}thread_entry e "  # noqa: S608
            f"JOIN {p}thread th ON th.id = e.thread_id AND th.object_type = 'T' "
            f"WHERE th.object_id IN ({marks}) ORDER BY th.object_id, e.created, e.id",
            params,
        )
        marks, ids = self.db.in_list(r["id"] for r in rows)
        files: dict[int, list[dict[str, Any]]] = defaultdict(list)
        attachments = self.db.query(
            f"SELECT a.id, a.object_id, a.file_id, COALESCE(a.name, f.name) AS name, f.type AS type "  # noqa: S608
            f"FROM {p}attachment a JOIN {p}file f ON f.id = a.file_id "
            f"WHERE a.type = 'H' AND a.object_id IN ({marks}) ORDER BY a.id",
            ids,
        )
        marks, file_ids = self.db.in_list({a["file_id"] for a in attachments})
        chunks: dict[int, bytearray] = defaultdict(bytearray)
        for chunk in self.db.query(
            f"SELECT file_id, filedata FROM {p}file_chunk WHERE file_id IN ({marks}) "  # noqa: S608
            "ORDER BY file_id, chunk_id",
            file_ids,
        ):
            chunks[int(chunk["file_id"])] += bytes(chunk["filedata"])
        for item in attachments:
            item["content"] = bytes(chunks.get(int(item["file_id"]), b""))
            files[int(item["object_id"])].append(item)
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            row["files"] = files.get(int(row["id"]), [])
            grouped[int(row["ticket_id"])].append(row)
        return grouped

    def _when(self, value: object, column: str) -> datetime | None:
        if value in (None, "", "0000-00-00 00:00:00"):
            return None
        return parse_datetime(value, self.tz, column)

    def _ticket(self, row: dict[str, Any], entries: list[dict[str, Any]]) -> TicketRecord:
        created = self._when(row["created"], "ticket.created")
        if created is None:
            raise ValueProblem(_("The ticket has no creation time."))
        requester = self.users.get(int(row["user_id"] or 0))
        if requester is None:
            raise ValueProblem(_("The ticket's user %(id)s does not exist.") % {"id": row["user_id"]})
        messages = []
        for entry in entries:
            author = (
                self.staff.get(int(entry["staff_id"] or 0))
                if entry["type"] in ("R", "N")
                else self.users.get(int(entry["user_id"] or 0))
            )
            body = text(entry["body"])
            is_html = text(entry.get("format")).lower() == "html"
            messages.append(
                MessageRecord(
                    external_id=f"e{entry['id']}",
                    author=author,
                    body_text="" if is_html else body,
                    body_html=body if is_html else "",
                    is_internal=entry["type"] == "N",
                    created_at=self._when(entry["created"], "thread_entry.created") or created,
                    attachments=[
                        AttachmentRecord(
                            external_id=f"a{f['id']}",
                            filename=text(f["name"]),
                            content=f["content"],
                            content_type=text(f["type"]),
                        )
                        for f in entry["files"]
                    ],
                )
            )
        number = text(row["number"])
        priority = text(row.get("priority_name")).lower()
        closed = self._when(row.get("closed"), "ticket.closed")
        status = text(row.get("status_name")) or "open"
        return TicketRecord(
            external_id=f"t{row['ticket_id']}",
            number=int(number) if number.isdigit() else None,
            subject=text(row.get("subject")) or _("(no subject)"),
            requester=requester,
            status=status,
            created_at=created,
            updated_at=self._when(row.get("updated"), "ticket.updated"),
            resolved_at=closed,
            closed_at=closed,
            priority=PRIORITY_NAMES.get(priority, priority),
            assignee=self.staff.get(int(row.get("staff_id") or 0)),
            channel=CHANNELS.get(text(row.get("source")).lower(), "web"),
            organization=requester.organization,
            messages=messages,
        )
