"""What a handler knows about the update it serves, and how it answers (always through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.core.errors import InvalidInput
from otklik.telegram import conf, outbox
from otklik.telegram.client import BotApi, BotApiError
from otklik.telegram.models import Bot, Conversation, InboundUpdate, TelegramAccount
from otklik.tickets import uploads
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Ticket

# The Bot API lets a bot download files up to 20 MB.
BOT_API_FILE_LIMIT = 20 * 1024 * 1024


@dataclass
class Ctx:
    bot: Bot
    row: InboundUpdate
    chat_id: int
    telegram_user: dict[str, Any]
    now: datetime
    account: TelegramAccount | None = None
    outcome: str = "handled"
    ticket: Ticket | None = None
    sent: list[str] = field(default_factory=list)

    @property
    def user(self) -> User:
        assert self.account is not None
        return self.account.user

    def say(self, text: str, *, keyboard: outbox.Keyboard | None = None, ticket: Ticket | None = None,
            reply_keyboard: dict[str, Any] | None = None) -> None:
        # Keys make a reprocessed update answer once, not twice.
        key = f"u{self.row.pk}:{len(self.sent)}"
        self.sent.append(key)
        outbox.queue_text(bot=self.bot, chat_id=self.chat_id, text=text, now=self.now, keyboard=keyboard,
                          ticket=ticket, dedupe_key=key, reply_keyboard=reply_keyboard)

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        params: dict[str, Any] = {"callback_query_id": callback_id}
        if text:
            params["text"] = text[:190]
        outbox.queue_call(bot=self.bot, chat_id=self.chat_id, method="answerCallbackQuery", params=params,
                          now=self.now, dedupe_key=f"u{self.row.pk}:cb")

    def edit_keyboard(self, message_id: int, text: str, keyboard: outbox.Keyboard) -> None:
        key = f"u{self.row.pk}:edit"
        outbox.queue_call(bot=self.bot, chat_id=self.chat_id, method="editMessageText", now=self.now,
                          dedupe_key=key, params={"chat_id": self.chat_id, "message_id": message_id, "text": text,
                                                  "parse_mode": "HTML", "reply_markup": {"inline_keyboard": keyboard}})

    def conversation(self) -> Conversation:
        conversation, _created = Conversation.objects.select_for_update().get_or_create(
            bot=self.bot, chat_id=self.chat_id, defaults={"user": self.user, "updated_at": self.now},
        )
        if conversation.user_id != self.user.pk:
            conversation.user = self.user
            conversation.state, conversation.data = "", {}
        return conversation


def file_of(message: dict[str, Any]) -> dict[str, Any] | None:
    """The photo (largest size) or document of a message, as {file_id, name, size, mime}."""
    if message.get("document"):
        doc = message["document"]
        return {"file_id": doc["file_id"], "name": doc.get("file_name") or "document",
                "size": int(doc.get("file_size") or 0), "mime": doc.get("mime_type") or "application/octet-stream"}
    photos = message.get("photo") or []
    if photos:
        best = max(photos, key=lambda p: int(p.get("file_size") or 0) or int(p.get("width") or 0))
        return {"file_id": best["file_id"], "name": f"photo-{best.get('file_unique_id') or 'telegram'}.jpg",
                "size": int(best.get("file_size") or 0), "mime": "image/jpeg"}
    return None


def file_limit() -> int:
    return min(BOT_API_FILE_LIMIT, conf.max_file_bytes())


def fetch_files(ctx: Ctx, files: list[dict[str, Any]]) -> list[InboundAttachment]:
    """Download and check files with the same upload limit as every other channel."""
    limit = file_limit()
    attachments = []
    for item in files:
        too_big = InvalidInput(_("%(name)s is larger than Telegram lets bots download (20 MB).")
                               % {"name": item["name"]})
        if item["size"] > limit:
            raise too_big
        try:
            content = BotApi(ctx.bot).download(item["file_id"], max_bytes=limit)
        except BotApiError as exc:
            if exc.code == 413:
                raise too_big from None
            raise
        attachments.append(InboundAttachment(filename=item["name"], content=content, content_type=item["mime"]))
    uploads.attachments_check(attachments, ctx.user)
    return attachments
