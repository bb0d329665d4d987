"""Who is writing: Telegram users linked to accounts by a one-time deep link, a shared phone contact,
or (per bot) an account created from the Telegram profile."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.services import requester_for_email
from otklik.core.errors import InvalidInput
from otklik.mail.models import UndeliverableAddress
from otklik.telegram.models import Bot, LinkToken, TelegramAccount

LINK_TOKEN_LIFETIME = timedelta(hours=1)
# Made-up addresses for people who came through Telegram only: ".invalid" is reserved and never delivered.
PROFILE_EMAIL_DOMAIN = "telegram.invalid"


def account_of(telegram_user_id: int) -> TelegramAccount | None:
    return TelegramAccount.objects.select_related("user").filter(telegram_user_id=telegram_user_id).first()


def language_for(account: TelegramAccount | None, telegram_user: dict[str, Any]) -> str:
    """The account's language, else the Telegram client's, else the site default."""
    supported = {code for code, _name in settings.LANGUAGES}
    for candidate in ((account.user.language if account else ""), str(telegram_user.get("language_code") or "")):
        code = candidate.split("-")[0].lower()
        if code in supported:
            return code
    return str(settings.LANGUAGE_CODE).split("-")[0]


def _remember(account: TelegramAccount, *, bot: Bot, chat_id: int | None, telegram_user: dict[str, Any]) -> None:
    changed: dict[str, Any] = {
        "username": str(telegram_user.get("username") or "")[:100],
        "language_code": str(telegram_user.get("language_code") or "")[:10],
    }
    # chat_id is the person's private chat, where ticket news goes; None (a group) never replaces it.
    if chat_id is not None:
        changed.update(chat_id=chat_id, bot_id=bot.pk)
    if any(getattr(account, key) != value for key, value in changed.items()):
        for key, value in changed.items():
            setattr(account, key, value)
        account.save(update_fields=list(changed))


def account_touch(account: TelegramAccount, *, bot: Bot, chat_id: int | None, telegram_user: dict[str, Any]) -> None:
    _remember(account, bot=bot, chat_id=chat_id, telegram_user=telegram_user)


def _link(user: User, *, bot: Bot, chat_id: int | None, telegram_user: dict[str, Any], how: str,
          now: datetime) -> TelegramAccount:
    telegram_user_id = int(telegram_user["id"])
    _start_news_feed()
    # One Telegram user per account and one account per Telegram user: a new link replaces the old.
    TelegramAccount.objects.filter(user=user).exclude(telegram_user_id=telegram_user_id).delete()
    account, _created = TelegramAccount.objects.update_or_create(
        telegram_user_id=telegram_user_id,
        defaults={"user": user, "linked_by": how, "linked_at": now},
    )
    _remember(account, bot=bot, chat_id=chat_id, telegram_user=telegram_user)
    return account


def _start_news_feed() -> None:
    """The first linked person starts the Telegram news feed at the present, not at the desk's first event."""
    from otklik.notifications.models import OutboxCursor
    from otklik.tickets.models import TicketEvent

    if not OutboxCursor.objects.filter(consumer="telegram").exists():
        latest = TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        OutboxCursor.objects.get_or_create(consumer="telegram", defaults={"position": latest})


def account_create_from_profile(*, bot: Bot, chat_id: int | None, telegram_user: dict[str, Any],
                                now: datetime) -> TelegramAccount:
    """A requester account from the Telegram profile, like an account made for an unknown email sender."""
    telegram_user_id = int(telegram_user["id"])
    email = f"tg{telegram_user_id}@{PROFILE_EMAIL_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = requester_for_email(email, first_name=str(telegram_user.get("first_name") or ""),
                                   last_name=str(telegram_user.get("last_name") or ""))
        # The mail channel's own rule for addresses that cannot receive mail: no mail is queued to it.
        UndeliverableAddress.objects.get_or_create(email=email, defaults={
            "status": "telegram", "diagnostic": "made-up address of a person who writes through Telegram only",
            "bounced_at": now})
    return _link(user, bot=bot, chat_id=chat_id, telegram_user=telegram_user, how="created", now=now)


def link_token_create(*, user: User, now: datetime) -> LinkToken:
    """A fresh one-time token for the portal's "connect Telegram" link; older unused ones stop working."""
    LinkToken.objects.filter(user=user, used_at__isnull=True).delete()
    return LinkToken.objects.create(user=user, token=secrets.token_urlsafe(24), created_at=now,
                                    expires_at=now + LINK_TOKEN_LIFETIME)


@transaction.atomic
def link_by_token(*, token: str, bot: Bot, chat_id: int, telegram_user: dict[str, Any],
                  now: datetime) -> TelegramAccount:
    row = LinkToken.objects.select_for_update().filter(token=token[:64]).first()
    if row is None or row.used_at is not None or row.expires_at < now or not row.user.is_active:
        raise InvalidInput(_("This link is not valid any more. Open your profile on the portal for a new one."))
    row.used_at = now
    row.save(update_fields=["used_at"])
    try:
        with transaction.atomic():
            return _link(row.user, bot=bot, chat_id=chat_id, telegram_user=telegram_user, how="token", now=now)
    except IntegrityError as exc:
        raise InvalidInput(_("This Telegram account could not be linked.")) from exc


def _digits(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    # Russian numbers are written with 8 or +7; compare the last ten digits.
    return digits[-10:] if len(digits) >= 10 else digits


def link_by_contact(*, contact: dict[str, Any], bot: Bot, chat_id: int, telegram_user: dict[str, Any],
                    now: datetime) -> TelegramAccount:
    """The person shared their own contact; it links when exactly one active account has that phone."""
    if int(contact.get("user_id") or 0) != int(telegram_user["id"]):
        raise InvalidInput(_("Please share your own contact with the button below."))
    wanted = _digits(str(contact.get("phone_number") or ""))
    if len(wanted) < 7:
        raise InvalidInput(_("No account has this phone number."))
    candidates = [user for user in User.objects.filter(is_active=True, phone__endswith=wanted[-2:]).only("pk", "phone")
                  if _digits(user.phone) == wanted]
    if len(candidates) != 1:
        raise InvalidInput(_("No account has this phone number."))
    user = User.objects.get(pk=candidates[0].pk)
    return _link(user, bot=bot, chat_id=chat_id, telegram_user=telegram_user, how="contact", now=now)
