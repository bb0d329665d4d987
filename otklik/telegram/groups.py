"""Telegram groups as a desk's support chat.

The bot writes a GroupChat row the first time it hears from a group; an administrator binds it to a
SupportChat in the admin (Telegram groups). Until then the group gets one notice and its updates are parked
with the outcome GROUP_NOT_SUPPORTED; binding reprocesses them (`group_bind`).

In a bound group each person writes in their own conversation of the chat (the chat app's model: one
conversation per requester), through `chat.services.chat_message_post`, so the console, dialogs and
response times are the chat app's. Console answers come back through `forward_staff_message`, subscribed to
the chat app's `chat_message_posted` signal. `/ticket` and `/my` reuse the chat app's service and selectors.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from otklik.accounts.access import chats as chat_access
from otklik.accounts.models import User
from otklik.chat import selectors as chat_selectors
from otklik.chat import services as chat_services
from otklik.chat.models import ChatMessage, SupportChat
from otklik.core.errors import DomainError
from otklik.telegram import outbox, people
from otklik.telegram.context import Ctx, fetch_files, file_of
from otklik.telegram.models import Bot, GroupChat, InboundUpdate, UnknownUsers
from otklik.telegram.outbox import Keyboard, esc
from otklik.tickets.models import Ticket

logger = logging.getLogger(__name__)

# The outcome of a parked update: the group is not bound to a support chat (yet). The name predates binding;
# rows parked before this adapter existed carry it too, so one reprocess path serves both.
GROUP_NOT_SUPPORTED = "group_not_supported"
GROUP_CHAT_TYPES = frozenset({"group", "supergroup", "channel"})
# ChatMessage.external_id of a group message: "telegram-group:<GroupChat id>:<Telegram chat id>:<message id>".
EXTERNAL_PREFIX = "telegram-group:"
TICKET_PICK = 10
_CHAT_KEYS = ("message", "edited_message", "channel_post", "my_chat_member", "chat_member")


def is_group_update(payload: dict[str, Any]) -> bool:
    return _chat_of(payload).get("type") in GROUP_CHAT_TYPES


def _chat_of(payload: dict[str, Any]) -> dict[str, Any]:
    for key in _CHAT_KEYS:
        chat = (payload.get(key) or {}).get("chat")
        if chat:
            return dict(chat)
    callback = payload.get("callback_query") or {}
    return dict(((callback.get("message") or {}).get("chat")) or {})


def group_prefix(group: GroupChat) -> str:
    return f"{EXTERNAL_PREFIX}{group.pk}:"


def external_id(group: GroupChat, message_id: int) -> str:
    return f"{group_prefix(group)}{group.telegram_chat_id}:{message_id}"


def _parse_external(value: str) -> tuple[int, int] | None:
    """(GroupChat id, Telegram message id) of a group message's external id."""
    parts = value.removeprefix(EXTERNAL_PREFIX).split(":")
    if not value.startswith(EXTERNAL_PREFIX) or len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[2])


def _group_of(bot: Bot, chat: dict[str, Any], now: datetime) -> GroupChat:
    group, _created = GroupChat.objects.select_for_update(of=("self",)).select_related("support_chat").get_or_create(
        bot=bot, telegram_chat_id=int(chat["id"]),
        defaults={"title": str(chat.get("title") or "")[:255], "created_at": now},
    )
    title = str(chat.get("title") or "")[:255]
    if title and title != group.title:
        group.title = title
        group.save(update_fields=["title"])
    return group


def _sender_language(sender: dict[str, Any]) -> str:
    account = people.account_of(int(sender["id"])) if sender.get("id") else None
    return people.language_for(account, sender)


# ---------------------------------------------------------------- inbound


def handle_group_update(*, bot: Bot, row: InboundUpdate, payload: dict[str, Any],
                        now: datetime) -> tuple[str, Ticket | None]:
    chat = _chat_of(payload)
    if not chat.get("id") or chat.get("type") == "channel":
        return "ignored", None  # a channel has no people to answer
    membership = payload.get("my_chat_member") or {}
    if membership and (membership.get("new_chat_member") or {}).get("status") in {"left", "kicked"}:
        logger.info("telegram bot %s left group %s", bot.pk, chat.get("id"))
        return "ignored", None
    message = payload.get("message")
    if message and message.get("migrate_to_chat_id"):
        # A group upgraded to a supergroup changes its id; the binding follows it.
        new_id = int(message["migrate_to_chat_id"])
        if not GroupChat.objects.filter(bot=bot, telegram_chat_id=new_id).exists():
            GroupChat.objects.filter(bot=bot, telegram_chat_id=int(chat["id"])).update(telegram_chat_id=new_id)
        return "group_migrated", None
    group = _group_of(bot, chat, now)
    callback = payload.get("callback_query")
    sender = dict((message or callback or membership or payload.get("edited_message") or {}).get("from") or {})
    support_chat = group.support_chat
    if support_chat is None or not support_chat.is_active:
        with translation.override(_sender_language(sender) if sender.get("id") else None):
            _notice_unbound(bot, group, now)
        logger.info("telegram bot %s: update %s from unbound group %s parked", bot.pk, row.update_id, chat["id"])
        return GROUP_NOT_SUPPORTED, None
    if (message is None and callback is None) or not sender.get("id") or sender.get("is_bot"):
        return "ignored", None  # edits, joins, membership changes, other bots
    ctx = Ctx(bot=bot, row=row, chat_id=group.telegram_chat_id, telegram_user=sender, now=now,
              account=people.account_of(int(sender["id"])))
    if ctx.account is not None:
        people.account_touch(ctx.account, bot=bot, chat_id=None, telegram_user=sender)
    with translation.override(people.language_for(ctx.account, sender)):
        if message is not None:
            _on_message(ctx, group, support_chat, message)
        elif isinstance(callback, dict):
            _on_callback(ctx, group, support_chat, callback)
    return ctx.outcome, ctx.ticket


def _notice_unbound(bot: Bot, group: GroupChat, now: datetime) -> None:
    """One clear notice per group, then silence until an administrator binds it."""
    if group.unbound_notice_at is not None:
        return
    group.unbound_notice_at = now
    group.save(update_fields=["unbound_notice_at"])
    outbox.queue_text(
        bot=bot, chat_id=group.telegram_chat_id, now=now, dedupe_key=f"group{group.pk}:unbound",
        text=esc(_("This group is not connected to a support chat yet. An administrator can connect it in the "
                   "admin under Telegram groups (group id %(id)s). Messages written until then will be picked "
                   "up once it is connected.") % {"id": group.telegram_chat_id}),
    )


def _command(bot: Bot, text: str) -> str:
    """The command word; "" for plain text or a command addressed to another bot (/ticket@other_bot)."""
    if not text.startswith("/"):
        return ""
    word, _sep, mention = text.split(maxsplit=1)[0][1:].partition("@")
    if mention and mention.lower() != (bot.username or "").lower():
        return ""
    return word.lower()


def _mention(ctx: Ctx) -> str:
    name = ctx.telegram_user.get("first_name") or ctx.telegram_user.get("username") or ""
    return esc(str(name))


def _identify(ctx: Ctx) -> User | None:
    """The linked account, or one made from the Telegram profile when the bot allows it."""
    if ctx.account is None and ctx.bot.unknown_users == UnknownUsers.CREATE:
        ctx.account = people.account_create_from_profile(bot=ctx.bot, chat_id=None,
                                                         telegram_user=ctx.telegram_user, now=ctx.now)
    if ctx.account is None:
        ctx.outcome = "refused"
        ctx.say(_("%(name)s, to write to support here, link your Telegram to your account first: open a private "
                  "chat with @%(bot)s.") % {"name": _mention(ctx), "bot": esc(ctx.bot.username)})
        return None
    if not ctx.user.is_active:
        ctx.outcome = "refused"
        return None
    return ctx.user


def _on_message(ctx: Ctx, group: GroupChat, chat: SupportChat, message: dict[str, Any]) -> None:
    text = str(message.get("text") or message.get("caption") or "")
    command = _command(ctx.bot, text.strip())
    if command == "ticket":
        _ticket_list(ctx, group, chat)
        return
    if command == "my":
        _my(ctx)
        return
    if text.startswith("/"):
        ctx.outcome = "ignored"  # other commands (and other bots' ones) are not support questions
        return
    item = file_of(message)
    if not text.strip() and item is None:
        ctx.outcome = "ignored"  # joins, pins, stickers: nothing to answer
        return
    user = _identify(ctx)
    if user is None:
        return
    ext = external_id(group, int(message["message_id"]))
    if chat_access.chat_serves(user, chat.pk):
        _staff_message(ctx, group, chat, message, text, ext)
        return
    try:
        files = fetch_files(ctx, [item]) if item is not None else []
        chat_services.chat_message_post(chat=chat, author=user, text=text, now=ctx.now, attachments=files,
                                        external_id=ext)
    except DomainError as exc:
        ctx.outcome = "refused"
        logger.info("telegram group %s: message %s refused: %s", group.pk, message.get("message_id"), exc.message)
        ctx.say(_("%(name)s, you may not write to this support chat: %(reason)s")
                % {"name": _mention(ctx), "reason": esc(exc.message)})
        return
    ctx.outcome = "chat_message"


def _staff_message(ctx: Ctx, group: GroupChat, chat: SupportChat, message: dict[str, Any], text: str,
                   ext: str) -> None:
    """Staff answer in the group by replying to a person's message; other staff talk is not recorded."""
    reply_to = (message.get("reply_to_message") or {}).get("message_id")
    target = (ChatMessage.objects.filter(chat_id=chat.pk, external_id=external_id(group, int(reply_to)))
              .select_related("conversation").first() if reply_to else None)
    if target is None or not text.strip() or target.conversation.requester_id == ctx.user.pk:
        ctx.outcome = "group_staff_chatter"
        return
    try:
        chat_services.chat_message_post(chat=chat, author=ctx.user, text=text, now=ctx.now,
                                        conversation=target.conversation, external_id=ext)
    except DomainError as exc:
        ctx.outcome = "refused"
        ctx.say(esc(exc.message))
        return
    ctx.outcome = "chat_answer"


# ---------------------------------------------------------------- /ticket


def _ticket_list(ctx: Ctx, group: GroupChat, chat: SupportChat) -> None:
    user = ctx.account.user if ctx.account is not None else None
    if user is None or not chat_access.chat_may_make_tickets(user, chat.pk, chat.team_id):
        ctx.outcome = "refused"
        ctx.say(esc(_("Only a member of both this chat and its team may make a ticket.")))
        return
    # The chat's own visibility selector, narrowed to this group's messages: a portal conversation of the same
    # chat never shows in a group.
    rows = list(
        chat_selectors.messages_visible_to(user, chat.pk)
        .filter(is_internal=False, from_staff=False, ticket__isnull=True, external_id__startswith=group_prefix(group))
        .order_by("-id")[:TICKET_PICK]
    )
    if not rows:
        ctx.outcome = "ticket_list_empty"
        ctx.say(_("There are no messages here to make a ticket from."))
        return
    keyboard: Keyboard = []
    for row in rows:
        author = row.author.first_name if row.author is not None and row.author.first_name else str(row.author)
        first_line = next((line for line in row.text.splitlines() if line.strip()), "") or "📎"
        keyboard.append([{"text": f"{author}: {first_line}"[:64], "callback_data": f"gt:{row.pk}"}])
    ctx.outcome = "ticket_list"
    ctx.say(_("Which message should become a ticket?"), keyboard=keyboard)


def _on_callback(ctx: Ctx, group: GroupChat, chat: SupportChat, callback: dict[str, Any]) -> None:
    ctx.answer_callback(str(callback.get("id") or ""))
    action, _sep, argument = str(callback.get("data") or "").partition(":")
    if action != "gt" or not argument.isdigit():
        ctx.outcome = "ignored"
        return
    user = ctx.account.user if ctx.account is not None else None
    # Only this group's messages: a crafted button for another chat's message reads as absent.
    message = (ChatMessage.objects.filter(pk=int(argument), chat_id=chat.pk,
                                          external_id__startswith=group_prefix(group))
               .select_related("author").first())
    if user is None or message is None:
        ctx.outcome = "refused"
        ctx.say(esc(_("Only a member of both this chat and its team may make a ticket.") if user is None
                    else _("Not found.")))
        return
    try:
        ticket = chat_services.chat_ticket_from_message(actor=user, message_id=message.pk, now=ctx.now)
    except DomainError as exc:
        ctx.outcome = "refused"
        ctx.say(f"{_mention(ctx)}: {esc(exc.message)}")
        return
    ctx.ticket, ctx.outcome = ticket, "ticket_created"
    ctx.say(_("Ticket <b>#%(number)s</b> was made from the message of %(author)s; %(agent)s handles it.")
            % {"number": ticket.number, "author": esc(message.author or ""), "agent": esc(user)})


# ---------------------------------------------------------------- /my


def _my(ctx: Ctx) -> None:
    """The caller's open tickets by role, sent privately: a group is not the place for someone's tickets."""
    account = ctx.account
    if account is None or not account.user.is_active:
        ctx.outcome = "refused"
        ctx.say(_("%(name)s, link your Telegram to your account first: open a private chat with @%(bot)s.")
                % {"name": _mention(ctx), "bot": esc(ctx.bot.username)})
        return
    if account.chat_id is None:
        ctx.outcome = "my_needs_private_chat"
        ctx.say(_("%(name)s, your tickets are not for the whole group: open a private chat with @%(bot)s, "
                  "press Start, then send /my here again.") % {"name": _mention(ctx), "bot": esc(ctx.bot.username)})
        return
    grouped = chat_selectors.my_open_tickets(account.user)
    titles = {"doing": _("Doing (assigned to you)"), "leading": _("Leading (your team's tickets)"),
              "watching": _("Watching (you asked or watch)")}
    lines: list[str] = []
    for key, title in titles.items():
        if grouped.get(key):
            lines.append(f"<b>{esc(title)}</b>")
            lines += [f"#{t.number} {esc(t.subject)} — {esc(t.status.label)}" for t in grouped[key]]
    private_bot = account.bot if account.bot is not None else ctx.bot
    outbox.queue_text(bot=private_bot, chat_id=account.chat_id, now=ctx.now, dedupe_key=f"u{ctx.row.pk}:my",
                      text="\n".join(lines) if lines else esc(_("You have no open tickets.")))
    ctx.outcome = "my_sent_privately"
    ctx.say(_("%(name)s, I sent your open tickets to you in a private message.") % {"name": _mention(ctx)})


# ---------------------------------------------------------------- outbound and binding


def forward_staff_message(message: ChatMessage, *, now: datetime) -> None:
    """A public staff answer in a conversation that came from a group goes back to that group, as a reply
    to the person's last group message. Internal remarks and answers typed in the group itself stay."""
    if message.is_internal or not message.from_staff or message.external_id.startswith(EXTERNAL_PREFIX):
        return
    last = (ChatMessage.objects.filter(conversation_id=message.conversation_id, from_staff=False,
                                       external_id__startswith=EXTERNAL_PREFIX)
            .order_by("-id").values_list("external_id", flat=True).first())
    parsed = _parse_external(last or "")
    if parsed is None:
        return
    group_id, telegram_message_id = parsed
    # Still bound to this very chat: a group moved to another chat no longer hears this one's answers.
    group = GroupChat.objects.select_related("bot").filter(pk=group_id, support_chat_id=message.chat_id).first()
    if group is None or not group.bot.is_active:
        return
    author = message.author.get_full_name() or str(message.author) if message.author is not None else ""
    body = esc(message.text)
    names = list(message.attachments.values_list("filename", flat=True))
    if names:
        body += "\n" + esc(_("Files (open them in the portal chat): %(names)s") % {"names": ", ".join(names)})
    for index, part in enumerate(outbox.split_text(f"<b>{esc(author)}</b>\n{body}")):
        params: dict[str, Any] = {"chat_id": group.telegram_chat_id, "text": part, "parse_mode": "HTML",
                                  "disable_web_page_preview": True}
        if index == 0:
            params["reply_parameters"] = {"message_id": telegram_message_id, "allow_sending_without_reply": True}
        outbox.queue_call(bot=group.bot, chat_id=group.telegram_chat_id, method="sendMessage", params=params,
                          now=now, dedupe_key=f"chat-message:{message.pk}:{index}")


def parked_updates(group: GroupChat) -> list[int]:
    """Ids of the updates parked for this group, oldest first. Parked rows are few; the chat id is read from
    the raw JSON here rather than with a database-specific JSON lookup."""
    rows = (InboundUpdate.objects.filter(bot_id=group.bot_id, outcome=GROUP_NOT_SUPPORTED)
            .order_by("update_id").values_list("pk", "payload"))
    return [pk for pk, payload in rows
            if isinstance(payload, dict) and _chat_of(payload).get("id") == group.telegram_chat_id]


def group_bind(*, group: GroupChat, support_chat: SupportChat | None, now: datetime) -> int:
    """Bind (or unbind, None) a group; binding processes the group's parked updates. Returns how many."""
    from otklik.telegram import inbox

    group.support_chat = support_chat
    group.bound_at = now if support_chat is not None else None
    group.unbound_notice_at = None if support_chat is not None else group.unbound_notice_at
    group.save()
    if support_chat is None:
        return 0
    ids = parked_updates(group)
    for row_id in ids:
        inbox.update_reprocess(row_id=row_id, now=now)
    return len(ids)
