"""Routing one private-chat update: who is writing, which command, which step of which dialog."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from otklik.core.errors import DomainError
from otklik.telegram import intake, people, requests
from otklik.telegram.context import Ctx, file_of
from otklik.telegram.models import Conversation, UnknownUsers
from otklik.telegram.outbox import esc

MENU_NEW = gettext_noop("📝 New request")
MENU_MY = gettext_noop("📋 My requests")


def _menu_texts(label: str) -> set[str]:
    """The menu button's words in every language, so an old keyboard still works after a language change."""
    texts = {label}
    for language in ("en", "ru"):
        with translation.override(language):
            texts.add(_(label))
    return texts


def main_menu() -> dict[str, Any]:
    return {"keyboard": [[{"text": _(MENU_NEW)}, {"text": _(MENU_MY)}]], "resize_keyboard": True,
            "is_persistent": True}


def _contact_keyboard() -> dict[str, Any]:
    return {"keyboard": [[{"text": _("Share my phone number"), "request_contact": True}]],
            "resize_keyboard": True, "one_time_keyboard": True}


def _greet(ctx: Ctx) -> None:
    ctx.say(_("Hello, %(name)s! I file your requests to support and bring their answers here.\n"
              "/new — a new request\n/my — your requests")
            % {"name": esc(ctx.user.first_name or ctx.user.get_full_name() or ctx.user.email)},
            reply_keyboard=main_menu())


def _identify(ctx: Ctx, message: dict[str, Any]) -> bool:
    """Find or make the account; False when the person is refused (and was told why)."""
    text = str(message.get("text") or "")
    if text.startswith("/start ") and text.split(maxsplit=1)[1].strip():
        try:
            ctx.account = people.link_by_token(token=text.split(maxsplit=1)[1].strip(), bot=ctx.bot,
                                               chat_id=ctx.chat_id, telegram_user=ctx.telegram_user, now=ctx.now)
        except DomainError as exc:
            if ctx.account is None and ctx.bot.unknown_users == UnknownUsers.REFUSE:
                ctx.outcome = "refused"
                ctx.say(esc(exc.message))
                return False
            ctx.say(esc(exc.message))
        else:
            ctx.outcome = "linked"
            translation.activate(people.language_for(ctx.account, ctx.telegram_user))
            ctx.say(esc(_("Your Telegram is now linked to %(email)s.") % {"email": ctx.user.email}))
            return True
    if message.get("contact"):
        try:
            ctx.account = people.link_by_contact(contact=message["contact"], bot=ctx.bot, chat_id=ctx.chat_id,
                                                 telegram_user=ctx.telegram_user, now=ctx.now)
        except DomainError as exc:
            if ctx.account is None:
                ctx.outcome = "refused"
                ctx.say(esc(exc.message))
                return False
            ctx.say(esc(exc.message))
        else:
            ctx.outcome = "linked"
            translation.activate(people.language_for(ctx.account, ctx.telegram_user))
            ctx.say(esc(_("Your Telegram is now linked to %(email)s.") % {"email": ctx.user.email}),
                    reply_keyboard=main_menu())
            return True
    if ctx.account is not None:
        return True
    if ctx.bot.unknown_users == UnknownUsers.REFUSE:
        ctx.outcome = "refused"
        ctx.say(_("This bot serves people with an account on the service desk. Open your profile on the portal "
                  "and use “Connect Telegram”, or share your phone number if it is in your account."),
                reply_keyboard=_contact_keyboard())
        return False
    ctx.account = people.account_create_from_profile(bot=ctx.bot, chat_id=ctx.chat_id,
                                                     telegram_user=ctx.telegram_user, now=ctx.now)
    ctx.outcome = "account_created"
    return True


def _command(text: str) -> str:
    if not text.startswith("/"):
        return ""
    word = text.split(maxsplit=1)[0][1:]
    return word.split("@", 1)[0].lower()  # /new@otklik_bot in a client that adds the bot's name


def handle_message(ctx: Ctx, message: dict[str, Any]) -> None:
    if not _identify(ctx, message):
        return
    if ctx.outcome == "linked":
        return
    if not ctx.user.is_active:
        ctx.outcome = "refused"
        ctx.say(_("Your account is disabled."))
        return
    text = str(message.get("text") or "").strip()
    command = _command(text)
    conversation = ctx.conversation()
    if intake.expired(conversation, ctx):
        conversation.state, conversation.data = "", {}
        conversation.save()
        if not command:
            ctx.say(_("Your unfinished request expired. Start again with /new."))
            return
    if command == "start":
        if ctx.outcome != "account_created":
            ctx.outcome = "greeted"
        _greet(ctx)
    elif command == "new" or text in _menu_texts(MENU_NEW):
        intake.start(ctx, conversation)
    elif command == "my" or text in _menu_texts(MENU_MY):
        requests.my_requests(ctx)
    elif command == "cancel":
        conversation.state, conversation.data, conversation.updated_at = "", {}, ctx.now
        conversation.save()
        ctx.say(_("Cancelled."), reply_keyboard=main_menu())
    elif command:
        ctx.say(_("I know /new, /my and /cancel."))
    elif (ticket_id := requests.replied_ticket_id(ctx, message)) is not None:
        requests.reply(ctx, conversation, ticket_id, message)
    elif conversation.state == "reply":
        requests.reply(ctx, conversation, int(conversation.data["ticket"]), message)
    elif conversation.state in intake.INTAKE_STATES:
        if file_of(message) is not None:
            intake.on_file(ctx, conversation, message)
        elif text:
            intake.on_text(ctx, conversation, text)
    elif ctx.outcome == "account_created":
        _greet(ctx)
    else:
        ctx.say(_("To ask for help, send /new. To follow your requests, send /my."), reply_keyboard=main_menu())


def handle_callback(ctx: Ctx, callback: dict[str, Any]) -> None:
    ctx.answer_callback(str(callback.get("id") or ""))
    if ctx.account is None:
        if ctx.bot.unknown_users == UnknownUsers.REFUSE:
            ctx.outcome = "refused"
            ctx.say(_("Please link your account first: send /start."))
            return
        ctx.account = people.account_create_from_profile(bot=ctx.bot, chat_id=ctx.chat_id,
                                                         telegram_user=ctx.telegram_user, now=ctx.now)
    data = str(callback.get("data") or "")
    action, _sep, argument = data.partition(":")
    message_id = (callback.get("message") or {}).get("message_id")
    conversation: Conversation = ctx.conversation()
    if intake.expired(conversation, ctx) and action not in {"t", "r", "c", "o", "rate", "rt"}:
        conversation.state, conversation.data = "", {}
        conversation.save()
        ctx.say(_("Your unfinished request expired. Start again with /new."))
        return
    try:
        if action == "cancel":
            conversation.state, conversation.data, conversation.updated_at = "", {}, ctx.now
            conversation.save()
            ctx.say(_("Cancelled."), reply_keyboard=main_menu())
        elif action == "noop":
            return
        elif action == "t" and argument.isdigit():
            requests.show_ticket(ctx, int(argument))
        elif action == "r" and argument.isdigit():
            requests.ask_reply(ctx, conversation, int(argument))
        elif action in {"c", "o"} and argument.isdigit():
            requests.act(ctx, action, int(argument))
        elif action == "rate":
            ticket_part, _sep2, score = argument.partition(":")
            if ticket_part.isdigit():
                requests.act(ctx, "rate", int(ticket_part), score)
        else:
            intake.on_callback(ctx, conversation, action, argument, message_id)
    except DomainError as exc:  # a crafted or stale button: the same words as for a missing ticket
        ctx.outcome = "refused"
        ctx.say(esc(exc.message))
