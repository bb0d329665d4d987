"""Email channel services. `outbound_enqueue` is the one way any part of Otklik sends mail.

Its signature is a contract shared with notifications and automation; the implementation here is
the first, direct version and is replaced by the job-based sender with threading headers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives


def outbound_enqueue(
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    ticket_id: int | None = None,
    kind: str = "notification",
    auto_generated: bool = True,
    dedupe_key: str = "",
    cc: list[str] | None = None,
    reply_message_id: int | None = None,
) -> None:
    """Send (through a job with retries) a mail about a ticket.

    kind: "reply" (a public agent reply, reply_message_id set), "acknowledgement", "notification".
    auto_generated: adds Auto-Submitted: auto-generated (RFC 3834), so responders stay quiet.
    dedupe_key: the same key is sent at most once (e.g. "sla_breach:<clock>:<due>").
    """
    message = EmailMultiAlternatives(
        subject=subject, body=body_text, from_email=settings.DEFAULT_FROM_EMAIL, to=to, cc=cc or [],
        headers={"Auto-Submitted": "auto-generated"} if auto_generated else {},
    )
    if body_html:
        message.attach_alternative(body_html, "text/html")
    message.send()
