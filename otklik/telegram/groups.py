"""Telegram groups as a desk's support chat: the adapter's seam, waiting for the chat app.

Updates from groups and supergroups (and the bot's own membership changes there) are stored and
acknowledged like every update, then routed here. Until the chat model of `otklik.chat` is merged, they
are kept with the outcome GROUP_NOT_SUPPORTED and a log line, so an admin can reprocess them once the
adapter exists. The adapter will map a group to a chat dialog, each message to a chat message, console
answers to `sendMessage` through the outbox, and `/ticket` to "make a ticket from a message".
"""

from __future__ import annotations

import logging
from typing import Any

from otklik.telegram.models import Bot, InboundUpdate

logger = logging.getLogger(__name__)

GROUP_NOT_SUPPORTED = "group_not_supported"
GROUP_CHAT_TYPES = frozenset({"group", "supergroup", "channel"})


def is_group_update(payload: dict[str, Any]) -> bool:
    for key in ("message", "edited_message", "channel_post", "my_chat_member", "chat_member"):
        chat = (payload.get(key) or {}).get("chat") or {}
        if chat.get("type") in GROUP_CHAT_TYPES:
            return True
    callback = payload.get("callback_query") or {}
    chat = ((callback.get("message") or {}).get("chat")) or {}
    return chat.get("type") in GROUP_CHAT_TYPES


def handle_group_update(*, bot: Bot, row: InboundUpdate, payload: dict[str, Any]) -> str:
    """Not supported yet: the update stays stored, marked with this outcome, and nothing is answered."""
    chat = next(((payload.get(key) or {}).get("chat") for key in ("message", "edited_message", "channel_post",
                                                                   "my_chat_member", "chat_member")
                 if payload.get(key)), None) or {}
    logger.info("telegram bot %s: update %s from group chat %s kept; group support chats are not supported yet",
                bot.pk, row.update_id, chat.get("id"))
    return GROUP_NOT_SUPPORTED
