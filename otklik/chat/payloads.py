"""The one JSON shape of a chat message, for websockets, the API and the console alike.

Two views: staff see authors' email addresses and internal remarks; the requester side never sees other
people's email (the same rule as `access.person_label`) and never receives internal remarks at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from otklik.chat.models import ChatAttachment, ChatMessage, Dialog

MESSAGE_RELATED = ("author", "conversation", "conversation__requester", "ticket", "ticket__status")


def author_of(message: ChatMessage, *, for_staff: bool, viewer_id: int | None = None) -> dict[str, Any]:
    author = message.author
    if author is None:
        conversation = message.conversation
        if conversation.requester_id is None:
            return {"id": None, "email": conversation.guest_email if for_staff else "", "name": conversation.guest_name}
        return {"id": None, "email": "", "name": ""}
    sees_email = for_staff or author.pk == viewer_id
    name = str(author) if for_staff or author.pk == viewer_id else (author.get_full_name().strip() or "")
    return {"id": author.pk, "email": author.email if sees_email else "", "name": name}


def message_payload(
    message: ChatMessage, *, for_staff: bool, viewer_id: int | None = None,
    attachments: Sequence[ChatAttachment] | None = None,
) -> dict[str, Any]:
    """`attachments`: the message's files when the caller has them in hand (else they are read)."""
    ticket = message.ticket if message.ticket_id is not None else None
    return {
        "id": message.pk,
        "chat": message.chat_id,
        "conversation": message.conversation_id,
        "author": author_of(message, for_staff=for_staff, viewer_id=viewer_id),
        "from_staff": message.from_staff,
        "is_internal": message.is_internal,
        "text": message.text,
        "html": message.html,
        "created_at": message.created_at.isoformat(),
        "ticket": None if ticket is None else {
            "id": ticket.pk, "number": ticket.number,
            "status": {"code": ticket.status.code, "kind": ticket.status.kind, "name": str(ticket.status)},
        },
        "attachments": [
            {
                "filename": item.filename, "size": item.size, "content_type": item.content_type,
                "url": reverse("chat:attachment", args=[item.token]),
            }
            for item in (message.attachments.all() if attachments is None else attachments)
        ],
    }


def dialog_payload(dialog: Dialog) -> dict[str, Any]:
    return {
        "id": dialog.pk,
        "chat": dialog.chat_id,
        "conversation": dialog.conversation_id,
        "first_message": dialog.first_message_id,
        "last_question_message": dialog.last_question_message_id,
        "question_count": dialog.question_count,
        "started_at": dialog.started_at.isoformat(),
        "due_at": dialog.due_at.isoformat() if dialog.due_at else None,
        "warn_at": dialog.warn_at.isoformat() if dialog.warn_at else None,
        "warned_at": dialog.warned_at.isoformat() if dialog.warned_at else None,
        "breached_at": dialog.breached_at.isoformat() if dialog.breached_at else None,
        "answer_message": dialog.answer_message_id,
        "answered_by": dialog.answered_by_id,
        "answered_at": dialog.answered_at.isoformat() if dialog.answered_at else None,
        "response_seconds": dialog.response_seconds,
        "response_working_seconds": dialog.response_working_seconds,
    }
