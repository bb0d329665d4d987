"""Helpers of the mail tests: building messages the way mail clients send them, corpus paths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from otklik.mail.models import InboundMail

SUPPORT = "support@otklik.test"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS = SHARED / "corpus" / "emails"


def corpus_file(relative: str) -> Path:
    if not SHARED.is_dir():
        pytest.skip("the email corpus: ../shared is not present (it is only in CI)")
    return CORPUS / relative


def build_mail(
    *,
    sender: str = "alice@a.example",
    sender_name: str = "Alice",
    to: str = SUPPORT,
    subject: str = "Printer on the 3rd floor is broken",
    body: str = "It does not print since this morning.",
    html: str | None = None,
    message_id: str | None = "<m1@a.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
    cc: str | None = None,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bytes:
    """A well-formed message from the stdlib, as a mail client would send it."""
    message = EmailMessage()
    message["From"] = f"{sender_name} <{sender}>" if sender_name else sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2026, 3, 2, 8, 0).astimezone())
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content, content_type in attachments or []:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


Deliver = Callable[..., InboundMail]


