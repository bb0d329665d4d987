"""Web routes of the Telegram channel: the webhook per bot, and the portal page that links a Telegram account."""

from __future__ import annotations

import hmac
import json
import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from otklik.accounts.models import User
from otklik.telegram import inbox, people
from otklik.telegram.models import Bot, TelegramAccount

logger = logging.getLogger(__name__)
MAX_UPDATE_BYTES = 1024 * 1024


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, bot_id: int) -> HttpResponse:
    """Store the raw update and answer at once; a job processes it. Only Telegram knows the secret."""
    bot = Bot.objects.filter(pk=bot_id, is_active=True).exclude(webhook_secret="").first()
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if bot is None or not hmac.compare_digest(given.encode(), bot.webhook_secret.encode()):
        # The same answer for an unknown bot and a wrong secret: bot ids cannot be probed.
        logger.warning("telegram webhook %s: refused a request without the right secret", bot_id)
        return HttpResponse(status=403)
    if len(request.body) > MAX_UPDATE_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(request.body)
        int(payload["update_id"])
    except (ValueError, KeyError, TypeError):
        logger.warning("telegram webhook %s: not an update: %r", bot_id, request.body[:200])
        return HttpResponse(status=400)
    inbox.update_store(bot=bot, payload=payload, now=timezone.now(), enqueue=True)
    return JsonResponse({"ok": True})


@login_required
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """The person's own Telegram link: a fresh one-time deep link per bot, and the linked account if any."""
    user = request.user
    assert isinstance(user, User)
    token = people.link_token_create(user=user, now=timezone.now()).token if request.method == "POST" else ""
    bots = [bot for bot in Bot.objects.filter(is_active=True).order_by("name") if bot.username]
    return render(request, "telegram/link.html", {
        "account": TelegramAccount.objects.filter(user=user).first(),
        "links": [(bot, f"https://t.me/{bot.username}?start={token}") for bot in bots] if token else [],
        "token": token,
        "has_bots": bool(bots),
    })
