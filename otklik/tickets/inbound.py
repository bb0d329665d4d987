"""The plain shape every channel adapter produces: one way in for web, email, bot, chat, phone and API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class InboundMessage:
    sender_email: str
    channel: str
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    sender_name: str = ""
    external_id: str = ""
    # Ids of earlier messages this one answers (e.g. In-Reply-To and References of an email).
    references: tuple[str, ...] = ()
    # A ticket the adapter has already matched by strong evidence (a signed token, a bot conversation).
    ticket_id: int | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    raw_ref: str = ""
    request_type_code: str = ""
    category_id: int | None = None
    team_id: int | None = None
    priority_code: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    watcher_emails: tuple[str, ...] = ()
    # The support address the request arrived at (email), for routing rules.
    mailbox: str = ""
