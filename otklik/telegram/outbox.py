"""The Telegram outbox: Bot API calls written with the work that caused them, sent once by a job.

A row is claimed with a conditional UPDATE before the call, so two senders never both send it. Flood
control (429) pauses the whole bot for Telegram's retry_after without using up attempts; an outage
backs off exponentially; a permanent refusal (blocked by the user, bad request) fails the row. Rows of
one chat go out in order: a row waiting for a retry holds back the later rows of its chat.

A sender that dies between Telegram's answer and marking the row sent leaves the claim to expire
(CLAIM); only then could the row go out again. That window is the one duplicate Telegram's API cannot
rule out, since sendMessage has no idempotency key.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from otklik.core.wakeups import wake_on_commit
from otklik.telegram import conf
from otklik.telegram.client import BotApi, BotApiError, BotApiUnavailable
from otklik.telegram.models import Bot, OutboundMessage, OutboundStatus
from otklik.tickets.models import Attachment, Ticket

logger = logging.getLogger(__name__)

CLAIM = timedelta(minutes=10)
# Telegram's limit is 4096 characters per message; keep a margin for the markup we add.
CHUNK = 3800

Keyboard = list[list[dict[str, str]]]


def esc(text: object) -> str:
    """User and ticket text inside our HTML-formatted messages."""
    return html.escape(str(text), quote=False)


def split_text(text: str, limit: int = CHUNK) -> list[str]:
    """Split at line breaks, else at spaces, never inside an HTML entity or tag we wrote."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
            while cut > 0 and "&" in rest[max(0, cut - 8):cut] and ";" not in rest[rest.rfind("&", 0, cut):cut]:
                cut -= 1
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    parts.append(rest)
    return [part for part in parts if part] or [""]


def _enqueue_sender() -> None:
    from otklik.telegram.tasks import telegram_outbox_task

    telegram_outbox_task()


def queue_call(
    *, bot: Bot, chat_id: int, method: str, params: dict[str, Any], now: datetime, ticket: Ticket | None = None,
    attachment: Attachment | None = None, dedupe_key: str | None = None,
) -> OutboundMessage | None:
    """Queue one Bot API call; a dedupe_key already queued makes this a no-op (None)."""
    if dedupe_key and OutboundMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    row = OutboundMessage.objects.create(
        bot=bot, chat_id=chat_id, method=method, params=params, ticket=ticket, attachment=attachment,
        dedupe_key=dedupe_key, next_attempt_at=now, created_at=now,
    )
    wake_on_commit("telegram_outbox", _enqueue_sender)  # the runner and the minutely sweep send it anyway
    return row


def queue_text(
    *, bot: Bot, chat_id: int, text: str, now: datetime, keyboard: Keyboard | None = None,
    ticket: Ticket | None = None, dedupe_key: str | None = None, reply_keyboard: dict[str, Any] | None = None,
) -> list[OutboundMessage]:
    """A message in HTML mode (callers escape user text with `esc`), split when long; buttons on the last part."""
    parts = split_text(text)
    rows: list[OutboundMessage] = []
    for index, part in enumerate(parts):
        params: dict[str, Any] = {"chat_id": chat_id, "text": part, "parse_mode": "HTML",
                                  "disable_web_page_preview": True}
        last = index == len(parts) - 1
        if last and keyboard is not None:
            params["reply_markup"] = {"inline_keyboard": keyboard}
        elif last and reply_keyboard is not None:
            params["reply_markup"] = reply_keyboard
        key = f"{dedupe_key}:{index}" if dedupe_key else None
        row = queue_call(bot=bot, chat_id=chat_id, method="sendMessage", params=params, now=now, ticket=ticket,
                         dedupe_key=key)
        if row is not None:
            rows.append(row)
    return rows


def queue_document(
    *, bot: Bot, chat_id: int, attachment: Attachment, now: datetime, ticket: Ticket | None = None,
    dedupe_key: str | None = None,
) -> OutboundMessage | None:
    return queue_call(bot=bot, chat_id=chat_id, method="sendDocument", params={"chat_id": chat_id}, now=now,
                      ticket=ticket, attachment=attachment, dedupe_key=dedupe_key)


# ---------------------------------------------------------------- sending


def _perform(row: OutboundMessage) -> Any:
    api = BotApi(row.bot)
    if row.method == "sendDocument" and row.attachment is not None:
        with row.attachment.file.open("rb") as handle:
            content = handle.read()
        files = {"document": (row.attachment.filename, content, row.attachment.content_type)}
        return api.call("sendDocument", row.params, files=files)
    return api.call(row.method, row.params)


def send_one(*, row_id: int, now: datetime) -> str:
    """Send one claimed row; returns its status afterwards."""
    claimed = OutboundMessage.objects.filter(
        pk=row_id, status=OutboundStatus.PENDING, next_attempt_at__lte=now,
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)).update(claimed_until=now + CLAIM)
    row = OutboundMessage.objects.select_related("bot", "attachment").filter(pk=row_id).first()
    if row is None:
        return "absent"
    if not claimed:
        return str(row.status)
    if row.bot.send_paused_until and row.bot.send_paused_until > now:
        OutboundMessage.objects.filter(pk=row_id).update(claimed_until=None, next_attempt_at=row.bot.send_paused_until)
        return OutboundStatus.PENDING.value
    try:
        result = _perform(row)
    except BotApiUnavailable as exc:
        if exc.retry_after is not None:
            until = now + timedelta(seconds=exc.retry_after)
            Bot.objects.filter(pk=row.bot_id).update(send_paused_until=until)
            OutboundMessage.objects.filter(pk=row_id).update(
                claimed_until=None, next_attempt_at=until, last_error=str(exc)[:2000])
            logger.warning("telegram bot %s: flood control, pausing %ss", row.bot_id, exc.retry_after)
            return OutboundStatus.PENDING.value
        attempts = row.attempts + 1
        final = attempts >= conf.send_attempts()
        OutboundMessage.objects.filter(pk=row_id).update(
            attempts=attempts, last_error=str(exc)[:2000], claimed_until=None,
            status=OutboundStatus.FAILED if final else OutboundStatus.PENDING,
            next_attempt_at=now + timedelta(seconds=min(2 ** attempts, 600)),
        )
        logger.warning("telegram outbox %s attempt %s failed: %s", row_id, attempts, exc)
        return OutboundStatus.FAILED.value if final else OutboundStatus.PENDING.value
    except (BotApiError, OSError) as exc:
        OutboundMessage.objects.filter(pk=row_id).update(
            attempts=row.attempts + 1, last_error=str(exc)[:2000], claimed_until=None, status=OutboundStatus.FAILED)
        logger.warning("telegram outbox %s refused: %s", row_id, exc)
        return OutboundStatus.FAILED.value
    message_id = result.get("message_id") if isinstance(result, dict) else None
    OutboundMessage.objects.filter(pk=row_id).update(
        status=OutboundStatus.SENT, sent_at=now, attempts=row.attempts + 1, claimed_until=None, last_error="",
        telegram_message_id=message_id,
    )
    return OutboundStatus.SENT.value


def flush(*, now: datetime, bot_ids: Sequence[int] | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is due, in order per chat. Safe to run from several processes at once."""
    pending = OutboundMessage.objects.filter(status=OutboundStatus.PENDING)
    if bot_ids is not None:
        pending = pending.filter(bot_id__in=list(bot_ids))
    rows = list(pending.order_by("id").values_list("pk", "bot_id", "chat_id", "next_attempt_at")[:limit])
    counts = {"sent": 0, "waiting": 0, "failed": 0}
    held: set[tuple[int, int]] = set()
    paused: set[int] = set()
    for pk, bot_id, chat_id, next_attempt_at in rows:
        chat = (bot_id, chat_id)
        if chat in held or bot_id in paused or next_attempt_at > now:
            held.add(chat)
            counts["waiting"] += 1
            continue
        status = send_one(row_id=pk, now=now)
        if status == OutboundStatus.SENT:
            counts["sent"] += 1
        elif status == OutboundStatus.FAILED:
            counts["failed"] += 1
        else:
            held.add(chat)
            counts["waiting"] += 1
            if Bot.objects.filter(pk=bot_id, send_paused_until__gt=now).exists():
                paused.add(bot_id)
    return counts
