"""django-helpdesk's database: auth_user, helpdesk_queue, helpdesk_ticket, helpdesk_followup and
helpdesk_followupattachment (files read from --media-root). Ticket ids become the numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from otklik.imports.readers.base import Row
from otklik.imports.readers.sqldb import SourceDatabase
from otklik.imports.readers.values import ValueProblem, parse_datetime, text
from otklik.imports.records import AttachmentRecord, MessageRecord, PersonRecord, RowProblem, TicketRecord

# helpdesk.models.Ticket: OPEN 1, REOPENED 2, RESOLVED 3, CLOSED 4, DUPLICATE 5
STATUS_GUESSES = {"1": "open", "2": "open", "3": "resolved", "4": "closed", "5": "closed", "on_hold": "on_hold"}
# helpdesk priorities: 1 critical .. 5 very low
PRIORITIES = {1: "critical", 2: "high", 3: "normal", 4: "low", 5: "low"}
RESOLVED, CLOSED = 3, 4


class HelpdeskReader:
    source = "helpdesk"
    status_guesses = STATUS_GUESSES

    def __init__(self, *, db_url: str, tz: ZoneInfo, media_root: str = "", batch: int = 500) -> None:
        self.db = SourceDatabase(db_url)
        self.tz = tz
        self.media_root = Path(media_root) if media_root else None
        self.batch = batch
        self.users: dict[int, PersonRecord] = {}

    def total(self) -> int:
        return self.db.scalar("SELECT COUNT(*) AS n FROM auth_user") + self.db.scalar(
            "SELECT COUNT(*) AS n FROM helpdesk_ticket"
        )

    def rows(self, skip: int) -> Iterator[Row]:
        count = 0
        for page in self.db.pages("SELECT * FROM auth_user WHERE id > %s", "id", self.batch):
            for user in page:
                person = PersonRecord(
                    external_id=str(user["id"]),
                    email=text(user["email"]),
                    name=f"{text(user['first_name'])} {text(user['last_name'])}".strip() or text(user["username"]),
                    is_staff=bool(user["is_staff"]),
                )
                self.users[int(user["id"])] = person
                count += 1
                if count > skip:
                    yield Row(person, {k: v for k, v in user.items() if k != "password"})
        queues = {int(q["id"]): text(q["title"]) for q in self.db.query("SELECT id, title FROM helpdesk_queue")}
        for page in self.db.pages("SELECT * FROM helpdesk_ticket WHERE id > %s", "id", self.batch):
            wanted = page[max(0, skip - count) :] if count < skip else page
            count += len(page)
            if count <= skip:
                continue
            followups = self._followups([t["id"] for t in wanted])
            for ticket in wanted:
                try:
                    yield Row(self._ticket(ticket, queues, followups.get(ticket["id"], [])), ticket)
                except ValueProblem as problem:
                    yield Row(RowProblem("ticket", str(ticket["id"]), str(problem)), ticket)
        self.db.close()

    def _followups(self, ticket_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        marks, params = self.db.in_list(ticket_ids)
        rows = self.db.query(
            f"SELECT * FROM helpdesk_followup WHERE ticket_id IN ({marks}) "  # noqa: S608
            "ORDER BY ticket_id, date, id",
            params,
        )
        marks, ids = self.db.in_list(r["id"] for r in rows)
        files: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for item in self.db.query(
            f"SELECT * FROM helpdesk_followupattachment WHERE followup_id IN ({marks}) "  # noqa: S608
            "ORDER BY id",
            ids,
        ):
            files[int(item["followup_id"])].append(item)
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            row["files"] = files.get(int(row["id"]), [])
            grouped[row["ticket_id"]].append(row)
        return grouped

    def _when(self, value: object, column: str) -> datetime:
        parsed = parse_datetime(value, self.tz, column)
        if parsed is None:
            raise ValueProblem(_("Column %(column)s is empty.") % {"column": column})
        return parsed

    def _attachments(self, items: list[dict[str, Any]]) -> list[AttachmentRecord]:
        found = []
        for item in items:
            path = (self.media_root / str(item["file"])) if self.media_root else None
            if path is None or not path.is_file():
                raise ValueProblem(
                    _("Attachment file %(file)s is missing (give --media-root).") % {"file": item["file"]}
                )
            found.append(
                AttachmentRecord(
                    external_id=str(item["id"]),
                    filename=text(item["filename"]),
                    content=path.read_bytes(),
                    content_type=text(item["mime_type"]),
                )
            )
        return found

    def _ticket(self, row: dict[str, Any], queues: dict[int, str], followups: list[dict[str, Any]]) -> TicketRecord:
        created = self._when(row["created"], "helpdesk_ticket.created")
        requester = PersonRecord(external_id="", email=text(row["submitter_email"]))
        if not requester.email:
            raise ValueProblem(_("The ticket has no submitter email."))
        messages = [
            MessageRecord(
                external_id=f"t{row['id']}", author=requester, body_text=text(row["description"]), created_at=created
            )
        ]
        resolved_at = closed_at = None
        for followup in followups:
            at = self._when(followup["date"], "helpdesk_followup.date")
            author = self.users.get(int(followup["user_id"])) if followup["user_id"] else requester
            body = text(followup["comment"]) or text(followup["title"])
            if body or followup["files"]:
                messages.append(
                    MessageRecord(
                        external_id=str(followup["id"]),
                        author=author,
                        body_text=body,
                        is_internal=not bool(followup["public"]),
                        created_at=at,
                        attachments=self._attachments(followup["files"]),
                    )
                )
            if followup["new_status"] == RESOLVED:
                resolved_at = at
            elif followup["new_status"] == CLOSED:
                closed_at = at
        status = str(row["status"])
        if row["on_hold"] and status in ("1", "2"):
            status = "on_hold"
        queue = queues.get(int(row["queue_id"]), "")
        return TicketRecord(
            external_id=str(row["id"]),
            number=int(row["id"]),
            subject=text(row["title"]),
            requester=requester,
            status=status,
            created_at=created,
            updated_at=parse_datetime(row["modified"], self.tz, "modified"),
            resolved_at=resolved_at,
            closed_at=closed_at,
            priority=PRIORITIES.get(int(row["priority"] or 3), ""),
            assignee=self.users.get(int(row["assigned_to_id"])) if row["assigned_to_id"] else None,
            team=queue,
            category=queue,
            channel="email",
            messages=messages,
        )
