"""Long polling for every configured bot with python-telegram-bot, in one process.

PTB's Application fetches updates (getUpdates against the configured Bot API URL) and hands each one to
`_on_update`, which stores it raw and processes it through the same services the webhook job uses.
Between updates the loop sends the outbox, forwards ticket news and retries stored-but-unprocessed
updates, so answers go out even when no job worker runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.utils import timezone
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from otklik.telegram import inbox, notify, outbox
from otklik.telegram.client import api_base
from otklik.telegram.models import Bot

logger = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = 2.0


def _receive(bot_id: int, payload: dict[str, Any]) -> None:
    close_old_connections()
    bot = Bot.objects.get(pk=bot_id)
    now = timezone.now()
    inbox.update_receive(bot=bot, payload=payload, now=now)
    outbox.flush(now=timezone.now(), bot_ids=[bot_id])


def _housekeeping(bot_ids: list[int], *, full: bool) -> None:
    close_old_connections()
    now = timezone.now()
    if full:
        notify.notify_process(now=now)
        # Only updates old enough that no handler is working on them right now.
        inbox.process_pending(now=now, bot_ids=bot_ids, older_than=timedelta(seconds=30))
    outbox.flush(now=timezone.now(), bot_ids=bot_ids)


def _remember_username(bot_id: int, username: str) -> None:
    Bot.objects.filter(pk=bot_id).exclude(username=username).update(username=username)


def build_application(bot: Bot) -> Application[Any, Any, Any, Any, Any, Any]:
    base = api_base(bot)
    application = (
        Application.builder().token(bot.token).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        .concurrent_updates(False).build()
    )
    bot_id = bot.pk

    async def _on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await sync_to_async(_receive)(bot_id, update.to_dict())
        except Exception:  # stored updates are retried by housekeeping; polling must go on
            logger.exception("telegram bot %s: update %s not handled", bot_id, update.update_id)

    application.add_handler(TypeHandler(Update, _on_update))
    return application


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The bot's command menu in English and Russian; a failure here must not stop polling."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    for language in ("en", "ru"):
        with translation.override(language):
            commands = [("new", _("New request")), ("my", _("My requests")), ("cancel", _("Cancel"))]
        try:
            await application.bot.set_my_commands(commands, language_code=None if language == "en" else language)
        except Exception:
            logger.warning("telegram: could not set the command menu (%s)", language)


async def serve(bots: list[Bot], *, stop: asyncio.Event, poll_timeout: int = 10, tick: float = 0.5) -> None:
    applications = []
    try:
        for bot in bots:
            application = build_application(bot)
            try:
                await application.initialize()
            except Exception:  # a revoked token or an unreachable server must not stop the other bots
                logger.exception("telegram bot %s could not start", bot.pk)
                continue
            await sync_to_async(_remember_username)(bot.pk, application.bot.username or "")
            await _set_commands(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
            applications.append(application)
            logger.info("telegram bot %s (@%s) is polling", bot.pk, application.bot.username)
        if not applications:
            raise RuntimeError("no Telegram bot could start")
        bot_ids = [bot.pk for bot in bots]
        last_full = 0.0
        while not stop.is_set():
            full = time.monotonic() - last_full >= HOUSEKEEPING_EVERY
            try:
                await sync_to_async(_housekeeping)(bot_ids, full=full)
            except Exception:
                logger.exception("telegram housekeeping failed; trying again")
            if full:
                last_full = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=tick)
    finally:
        for application in applications:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
