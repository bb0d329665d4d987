"""Which bots run: the active admin rows plus the one from OTKLIK_TELEGRAM_TOKEN."""

from __future__ import annotations

from django.db import transaction

from otklik.telegram import conf
from otklik.telegram.models import Bot

ENVIRONMENT_BOT = "environment"


@transaction.atomic
def environment_bot() -> Bot | None:
    """The row for OTKLIK_TELEGRAM_TOKEN, made or updated on use (so updates and outbox rows have a bot)."""
    token = conf.token()
    if not token:
        return None
    bot = Bot.objects.filter(token=token).first()
    if bot is not None:
        return bot
    previous = Bot.objects.select_for_update().filter(from_environment=True).first()
    if previous is not None:
        previous.token = token
        previous.save(update_fields=["token"])
        return previous
    name = ENVIRONMENT_BOT
    if Bot.objects.filter(name=name).exists():
        name = f"{ENVIRONMENT_BOT}-{Bot.objects.count() + 1}"
    return Bot.objects.create(name=name, token=token, from_environment=True)


def configured_bots() -> list[Bot]:
    environment_bot()
    return list(Bot.objects.filter(is_active=True).order_by("pk"))


def any_configured() -> bool:
    return bool(conf.token()) or Bot.objects.filter(is_active=True).exists()
