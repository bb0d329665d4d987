"""Live delivery over the Channels layer, announced only after the writing transaction commits.

Groups: `chat-<id>-staff` (everyone serving the chat: every message, remarks included) and
`chat-<id>-conv-<id>` (the requester or guest of one conversation: its public messages only). The message
is serialised once per side here, not once per listener, so a crowd of listeners costs no queries.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from otklik.chat.models import ChatAttachment, ChatMessage, Dialog
from otklik.chat.payloads import MESSAGE_RELATED, dialog_payload, message_payload

logger = logging.getLogger(__name__)


def staff_group(chat_id: int) -> str:
    return f"chat-{chat_id}-staff"


def conversation_group(chat_id: int, conversation_id: int) -> str:
    return f"chat-{chat_id}-conv-{conversation_id}"


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a live nudge is best effort; clients resume from their last id on reconnect
        logger.exception("chat live delivery to %s failed", group)


def announce_message(message_id: int, dialog_id: int | None, *, changed: bool = False) -> None:
    message = (
        ChatMessage.objects.select_related(*MESSAGE_RELATED).prefetch_related("attachments")
        .filter(pk=message_id).first()
    )
    if message is None:
        return
    dialog = Dialog.objects.filter(pk=dialog_id).first() if dialog_id is not None else None
    kind = "message_changed" if changed else "message"
    _send(staff_group(message.chat_id), {
        "type": "chat.event", "kind": kind, "message": message_payload(message, for_staff=True),
        "dialog": dialog_payload(dialog) if dialog is not None else None,
    })
    if not message.is_internal:
        _send(conversation_group(message.chat_id, message.conversation_id), {
            "type": "chat.event", "kind": kind, "message": message_payload(message, for_staff=False),
            "dialog": None, "viewer_author_id": message.author_id,
        })


def announce_message_on_commit(message_id: int, dialog_id: int | None, *, changed: bool = False) -> None:
    transaction.on_commit(lambda: announce_message(message_id, dialog_id, changed=changed))


def announce_new_on_commit(message: ChatMessage, dialog: Dialog | None, attachments: list[ChatAttachment]) -> None:
    """A message just written: serialised now from the rows in hand (no reading back after commit: three
    queries per message less under load), sent after commit."""
    staff_event = {
        "type": "chat.event", "kind": "message", "dialog": dialog_payload(dialog) if dialog is not None else None,
        "message": message_payload(message, for_staff=True, attachments=attachments),
    }
    public_event = None if message.is_internal else {
        "type": "chat.event", "kind": "message", "dialog": None, "viewer_author_id": message.author_id,
        "message": message_payload(message, for_staff=False, attachments=attachments),
    }
    chat_id, conversation_id = message.chat_id, message.conversation_id

    def send() -> None:
        _send(staff_group(chat_id), staff_event)
        if public_event is not None:
            _send(conversation_group(chat_id, conversation_id), public_event)

    transaction.on_commit(send)
