"""Channel: notification emails. Whatever the notifications part sends, each recipient's copy may only
carry what that recipient may see. Until notifications are sent, the test reports itself as skipped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.core import mail

from otklik.tickets import changes, services
from tests.access.world import HANDLED, PERSONAS, TICKETS, VISIBLE, World, internal_field_marker, internal_marker


def _message_text(message: Any) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _mime in getattr(message, "alternatives", [])]
    parts += [str(attachment) for attachment in getattr(message, "attachments", [])]
    return "\n".join(str(part) for part in parts)


def test_notification_emails_carry_only_what_each_recipient_may_see(
    world: World, now: datetime, django_capture_on_commit_callbacks: Any,
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for key in TICKETS:
            ticket = world.tickets[key]
            agent = world.user("mia")
            services.ticket_add_note(actor=agent, ticket_id=ticket.pk, body_text=internal_marker(key) + "-again",
                                     now=now)
            services.ticket_reply(actor=agent, ticket_id=ticket.pk, body_text=f"Answer on {key}", now=now)
            changes.ticket_resolve(actor=agent, ticket_id=ticket.pk, now=now)
    if not mail.outbox:
        pytest.skip("no notification emails are sent yet")
    by_address = {world.user(persona).email: persona for persona in PERSONAS}
    problems = []
    for message in mail.outbox:
        text = _message_text(message)
        for address in [*message.to, *message.cc, *message.bcc]:
            persona = by_address.get(address.lower())
            if persona is None:
                continue
            for key in TICKETS:
                if key not in VISIBLE[persona] and f"Subject of {key}" in text:
                    problems.append(f"{persona} got mail about {key}")
                if key not in HANDLED[persona]:
                    for secret in (internal_marker(key), internal_field_marker(key)):
                        if secret in text:
                            problems.append(f"{persona} got {secret}")
    assert not problems, "\n".join(problems)
