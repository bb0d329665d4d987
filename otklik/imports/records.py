"""What every reader yields: plain records in Otklik's terms, with the source's own ids.

Readers parse their input into these and nothing else; the import service is the only writer. A row a
reader cannot understand becomes a `RowProblem` carrying the raw row, so the run's report can show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class OrgRecord:
    external_id: str
    name: str
    domain: str = ""


@dataclass
class PersonRecord:
    """Someone who asked or answered. `email` may be empty (then a placeholder address is made)."""

    external_id: str
    email: str = ""
    name: str = ""
    organization: OrgRecord | None = None
    is_staff: bool = False
    phone: str = ""


@dataclass
class AttachmentRecord:
    external_id: str
    filename: str
    content: bytes
    content_type: str = ""


@dataclass
class MessageRecord:
    external_id: str
    author: PersonRecord | None
    body_text: str = ""
    body_html: str = ""
    is_internal: bool = False
    created_at: datetime | None = None
    attachments: list[AttachmentRecord] = field(default_factory=list)


@dataclass
class TicketRecord:
    external_id: str
    subject: str
    requester: PersonRecord
    status: str
    created_at: datetime
    number: int | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    priority: str = ""
    assignee: PersonRecord | None = None
    team: str = ""
    category: str = ""
    channel: str = ""
    organization: OrgRecord | None = None
    messages: list[MessageRecord] = field(default_factory=list)


@dataclass
class MessageItem:
    """A message for a ticket imported earlier (a CSV of messages)."""

    ticket_external_id: str
    message: MessageRecord


Record = OrgRecord | PersonRecord | TicketRecord | MessageItem


@dataclass
class RowProblem:
    """A row that cannot be taken: the reason in words and the raw row as read."""

    kind: str
    external_id: str
    reason: str
    raw: dict[str, Any] = field(default_factory=dict)


def record_kind(record: Record) -> str:
    if isinstance(record, OrgRecord):
        return "organization"
    if isinstance(record, PersonRecord):
        return "person"
    if isinstance(record, TicketRecord):
        return "ticket"
    return "message"
