"""Incoming updates: stored raw first, processed once, failures kept with their reason and reprocessable.

`update_store` keeps the JSON in its own short transaction; the same (bot, update_id) again gives the
stored row. `update_process` locks the row and runs the handler in one transaction with everything it
writes (tickets, conversation state, queued answers), so a crash leaves the row "received" and the next
run processes it exactly once. A Bot API outage while downloading a file leaves it "received" for a retry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import translation

from otklik.core.errors import DomainError
from otklik.telegram import dispatch, groups, people
from otklik.telegram.client import BotApiUnavailable
from otklik.telegram.context import Ctx
from otklik.telegram.models import Bot, InboundUpdate, UpdateStatus

logger = logging.getLogger(__name__)


class Retry(Exception):
    """The update could not be processed now (the Bot API is unreachable); it stays received."""


def update_store(*, bot: Bot, payload: dict[str, Any], now: datetime, enqueue: bool = False) -> tuple[InboundUpdate,
                                                                                                       bool]:
    update_id = int(payload["update_id"])
    existing = InboundUpdate.objects.filter(bot=bot, update_id=update_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = InboundUpdate.objects.create(bot=bot, update_id=update_id, payload=payload, received_at=now,
                                               telegram_user_id=_sender(payload).get("id"))
            if enqueue:
                transaction.on_commit(partial(_enqueue, row.pk))
    except IntegrityError:
        existing = InboundUpdate.objects.filter(bot=bot, update_id=update_id).first()
        if existing is None:
            raise
        return existing, False
    return row, True


def _enqueue(row_id: int) -> None:
    from otklik.telegram.tasks import telegram_update_task

    telegram_update_task(row_id)


def _sender(payload: dict[str, Any]) -> dict[str, Any]:
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = payload.get(key) or {}
        if part.get("from"):
            return dict(part["from"])
    return {}


def update_process(*, row_id: int, now: datetime, reprocess: bool = False) -> InboundUpdate:
    """Process one stored update exactly once. Never raises for bad input; a database outage does raise."""
    try:
        with transaction.atomic():
            row = InboundUpdate.objects.select_for_update().select_related("bot").get(pk=row_id)
            if row.status != UpdateStatus.RECEIVED and not reprocess:
                return row
            row.attempts += 1
            outcome, ticket = _handle(row, now=now)
            row.status, row.outcome, row.reason, row.ticket, row.processed_at = (
                UpdateStatus.PROCESSED, outcome, "", ticket, now)
            row.save()
            return row
    except (OperationalError, InterfaceError):
        raise
    except (Retry, BotApiUnavailable) as exc:
        logger.warning("telegram update %s postponed: %s", row_id, exc)
        InboundUpdate.objects.filter(pk=row_id).update(attempts=F("attempts") + 1, reason=str(exc)[:5000])
        return InboundUpdate.objects.get(pk=row_id)
    except Exception as exc:
        reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        logger.warning("telegram update %s failed: %s", row_id, reason, exc_info=not isinstance(exc, DomainError))
        InboundUpdate.objects.filter(pk=row_id).update(
            status=UpdateStatus.FAILED, outcome="failed", reason=reason[:5000], attempts=F("attempts") + 1,
            processed_at=now,
        )
        return InboundUpdate.objects.get(pk=row_id)


def update_reprocess(*, row_id: int, now: datetime) -> InboundUpdate:
    """The admin's retry of a failed update; processed ones are left alone, except group updates parked
    until their group is bound to a support chat."""
    row = InboundUpdate.objects.get(pk=row_id)
    if row.status == UpdateStatus.PROCESSED and row.outcome != groups.GROUP_NOT_SUPPORTED:
        return row
    InboundUpdate.objects.filter(pk=row_id).update(status=UpdateStatus.RECEIVED, reason="")
    return update_process(row_id=row_id, now=now, reprocess=True)


def update_receive(*, bot: Bot, payload: dict[str, Any], now: datetime) -> InboundUpdate:
    """Store, then process: what the polling runner does with each update."""
    row, _created = update_store(bot=bot, payload=payload, now=now)
    return update_process(row_id=row.pk, now=now)


def process_pending(*, now: datetime, bot_ids: list[int] | None = None, limit: int = 100,
                    older_than: timedelta = timedelta(0)) -> int:
    """Updates stored but not processed (a crash, an outage): oldest first. `older_than` leaves fresh ones
    to the job or handler that stored them (processing twice is safe anyway: the row lock decides)."""
    pending = InboundUpdate.objects.filter(status=UpdateStatus.RECEIVED, received_at__lte=now - older_than)
    if bot_ids is not None:
        pending = pending.filter(bot_id__in=bot_ids)
    ids = list(pending.order_by("bot_id", "update_id").values_list("pk", flat=True)[:limit])
    for row_id in ids:
        update_process(row_id=row_id, now=now)
    return len(ids)


def _handle(row: InboundUpdate, *, now: datetime) -> tuple[str, Any]:
    payload = row.payload if isinstance(row.payload, dict) else {}
    bot = row.bot
    if groups.is_group_update(payload):
        return groups.handle_group_update(bot=bot, row=row, payload=payload, now=now)
    message = payload.get("message")
    callback = payload.get("callback_query")
    if message is None and callback is None:
        return "ignored", None  # edits, reactions, membership changes of private chats
    sender = (message or callback or {}).get("from") or {}
    chat = (message or (callback or {}).get("message") or {}).get("chat") or {}
    if not sender.get("id") or sender.get("is_bot") or not chat.get("id"):
        return "ignored", None
    ctx = Ctx(bot=bot, row=row, chat_id=int(chat["id"]), telegram_user=dict(sender), now=now,
              account=people.account_of(int(sender["id"])))
    if ctx.account is not None:
        people.account_touch(ctx.account, bot=bot, chat_id=ctx.chat_id, telegram_user=ctx.telegram_user)
    with translation.override(people.language_for(ctx.account, ctx.telegram_user)):
        if message is not None:
            dispatch.handle_message(ctx, message)
        elif isinstance(callback, dict):
            dispatch.handle_callback(ctx, callback)
    return ctx.outcome, ctx.ticket
