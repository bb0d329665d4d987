"""`otklik telegram ...`: the Telegram channel from the console.

    otklik telegram run [--bot NAME] [--poll-timeout SECONDS]    long polling for every configured bot
    otklik telegram reprocess (--failed | ID...)                  process stored updates again
    otklik telegram webhook set --url https://desk.example.com [--bot NAME]
    otklik telegram webhook delete [--bot NAME]
    otklik telegram send                                          send the outbox once
"""

from __future__ import annotations

import asyncio
import secrets
import signal
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from otklik.telegram import bots, inbox, outbox
from otklik.telegram.client import BotApi, BotApiError, BotApiUnavailable
from otklik.telegram.models import Bot, InboundUpdate, UpdateStatus


class Command(BaseCommand):
    help = "Telegram channel: serve bots by long polling, reprocess updates, set up webhooks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser("run")
        run.add_argument("--bot", help="serve only the bot with this name")
        run.add_argument("--poll-timeout", type=int, default=10, help="long polling timeout, seconds")
        reprocess = actions.add_parser("reprocess")
        reprocess.add_argument("--failed", action="store_true", help="every failed update")
        reprocess.add_argument("ids", nargs="*", type=int)
        webhook = actions.add_parser("webhook")
        webhook.add_argument("mode", choices=["set", "delete"])
        webhook.add_argument("--url", help="the public HTTPS base address of this desk")
        webhook.add_argument("--bot")
        actions.add_parser("send")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(options)

    def _bots(self, name: str | None) -> list[Bot]:
        selected = [bot for bot in bots.configured_bots() if not name or bot.name == name]
        if not selected:
            raise CommandError("No Telegram bot is configured: add one in the admin or set OTKLIK_TELEGRAM_TOKEN.")
        return selected

    def handle_run(self, options: dict[str, Any]) -> None:
        selected = self._bots(options.get("bot"))
        from otklik.telegram.runner import serve

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await serve(selected, stop=stop, poll_timeout=options["poll_timeout"])

        self.stdout.write(f"Serving {len(selected)} Telegram bot(s) by long polling.")
        asyncio.run(main())

    def handle_reprocess(self, options: dict[str, Any]) -> None:
        ids = list(options["ids"])
        if options["failed"]:
            ids += list(InboundUpdate.objects.filter(status=UpdateStatus.FAILED).values_list("pk", flat=True))
        if not ids:
            raise CommandError("Name update ids or use --failed.")
        for row_id in ids:
            if not InboundUpdate.objects.filter(pk=row_id).exists():
                self.stderr.write(f"{row_id}: no such update")
                continue
            row = inbox.update_reprocess(row_id=row_id, now=timezone.now())
            self.stdout.write(f"{row.pk}: {row.status} {row.outcome} {row.reason}".rstrip())

    def handle_webhook(self, options: dict[str, Any]) -> None:
        for bot in self._bots(options.get("bot")):
            api = BotApi(bot)
            try:
                if options["mode"] == "delete":
                    api.call("deleteWebhook", {})
                    self.stdout.write(f"{bot.name}: webhook removed; use `otklik telegram run` for polling.")
                    continue
                if not options.get("url"):
                    raise CommandError("--url is required to set a webhook.")
                if not bot.webhook_secret:
                    bot.webhook_secret = secrets.token_urlsafe(32)
                    bot.save(update_fields=["webhook_secret"])
                url = options["url"].rstrip("/") + reverse("telegram:webhook", args=[bot.pk])
                api.call("setWebhook", {"url": url, "secret_token": bot.webhook_secret,
                                        "allowed_updates": ["message", "callback_query", "my_chat_member"]})
                me = api.call("getMe", {})
                Bot.objects.filter(pk=bot.pk).update(username=str(me.get("username") or ""))
                self.stdout.write(f"{bot.name}: webhook set to {url}")
            except (BotApiError, BotApiUnavailable) as exc:
                raise CommandError(f"{bot.name}: {exc}") from exc

    def handle_send(self, options: dict[str, Any]) -> None:
        counts = outbox.flush(now=timezone.now())
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
