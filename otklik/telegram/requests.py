"""After the request: `/my`, one ticket's last messages, and reply / close / reopen / rate.

Every read starts from the viewer's visible tickets and messages (internal notes never appear), and every
change is the ticket core's service, so a reply here wakes a waiting ticket exactly like a portal reply.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core.errors import DomainError
from otklik.telegram.context import Ctx, fetch_files, file_of
from otklik.telegram.models import Conversation, OutboundMessage
from otklik.telegram.outbox import Keyboard, esc
from otklik.tickets import changes, selectors
from otklik.tickets import services as ticket_services
from otklik.tickets.models import DONE_KINDS, Source, StatusKind, Ticket

MY_LIMIT = 10
LAST_MESSAGES = 5


def _button(text: str, data: str) -> dict[str, str]:
    return {"text": text[:64], "callback_data": data[:64]}


def _local(ctx: Ctx, value: Any) -> str:
    try:
        zone = ZoneInfo(ctx.user.time_zone or settings.TIME_ZONE)
    except (KeyError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    return str(value.astimezone(zone).strftime("%Y-%m-%d %H:%M"))


def my_requests(ctx: Ctx) -> None:
    tickets = list(
        selectors.ticket_list(ctx.user, selectors.TicketFilters(requester_id=ctx.user.pk), sort="updated")
        .exclude(status__kind=StatusKind.CLOSED)[:MY_LIMIT]
    )
    if not tickets:
        ctx.say(_("You have no open requests. Start one with /new."))
        return
    title = _("Your open requests")
    lines = [f"<b>{esc(title)}</b>"]
    keyboard: Keyboard = []
    for ticket in tickets:
        line = f"#{ticket.number} {esc(ticket.subject)} — {esc(ticket.status.label)}"
        if ticket.sla_next_due_at and ticket.status.kind not in DONE_KINDS:
            line += " · " + esc(_("due %(when)s") % {"when": _local(ctx, ticket.sla_next_due_at)})
        lines.append(line)
        keyboard.append([_button(f"#{ticket.number} {ticket.subject}", f"t:{ticket.pk}")])
    ctx.say("\n".join(lines), keyboard=keyboard)


def ticket_buttons(ticket: Ticket, viewer: User) -> Keyboard:
    keyboard: Keyboard = []
    if ticket.status.kind != StatusKind.CLOSED:
        keyboard.append([_button(_("Reply"), f"r:{ticket.pk}"), _button(_("Close"), f"c:{ticket.pk}")])
    if ticket.status.kind in DONE_KINDS and ticket.merged_into_id is None:
        keyboard.append([_button(_("Reopen"), f"o:{ticket.pk}")])
    if selectors.may_rate(viewer, ticket):
        keyboard.append([_button(str(score), f"rate:{ticket.pk}:{score}") for score in range(1, 6)])
    return keyboard


def show_ticket(ctx: Ctx, ticket_id: int) -> None:
    ticket = selectors.ticket_get_for(ctx.user, ticket_id)  # NotFound for absent and forbidden alike
    # Telegram is outside the desk: even staff who may read internal notes get the public conversation only.
    visible = access.messages_public_side(ctx.user, ticket).select_related("author").prefetch_related("attachments")
    messages = list(visible.order_by("-created_at", "-id")[:LAST_MESSAGES])
    lines = [f"<b>#{ticket.number} {esc(ticket.subject)}</b>", esc(_("Status: %(status)s")
                                                                  % {"status": ticket.status.label})]
    for message in reversed(messages):
        who = access.person_label(ctx.user, message.author) or _("Support team")
        text = message.body_text.strip() or strip_tags(message.body_html).strip()
        files = [attachment.filename for attachment in message.attachments.all()]
        lines.append(f"\n<i>{esc(who)}, {esc(_local(ctx, message.created_at))}</i>\n{esc(text)}"
                     + (f"\n📎 {esc(', '.join(files))}" if files else ""))
    ctx.say("\n".join(lines), keyboard=ticket_buttons(ticket, ctx.user), ticket=ticket)


def _reply_state(conversation: Conversation, ctx: Ctx, ticket_id: int | None) -> None:
    conversation.state = "reply" if ticket_id else ""
    conversation.data = {"ticket": ticket_id} if ticket_id else {}
    conversation.updated_at = ctx.now
    conversation.save()


def ask_reply(ctx: Ctx, conversation: Conversation, ticket_id: int) -> None:
    ticket = selectors.ticket_get_for(ctx.user, ticket_id)
    _reply_state(conversation, ctx, ticket.pk)
    ctx.say(_("Write your answer to request #%(number)s (text, photos or documents).") % {"number": ticket.number},
            keyboard=[[_button(_("Cancel"), "cancel")]])


def replied_ticket_id(ctx: Ctx, message: dict[str, Any]) -> int | None:
    """The ticket of the bot message this message replies to, if any."""
    quoted = message.get("reply_to_message") or {}
    message_id = quoted.get("message_id")
    if not message_id:
        return None
    return (OutboundMessage.objects.filter(bot=ctx.bot, chat_id=ctx.chat_id, telegram_message_id=message_id)
            .exclude(ticket__isnull=True).values_list("ticket_id", flat=True).first())


def reply(ctx: Ctx, conversation: Conversation | None, ticket_id: int, message: dict[str, Any]) -> None:
    """The person's message joins the ticket as a public reply with its file, through ticket_reply."""
    text = str(message.get("text") or message.get("caption") or "")
    item = file_of(message)
    try:
        ticket = selectors.ticket_get_for(ctx.user, ticket_id)
        attachments = fetch_files(ctx, [item]) if item else []
        ticket_services.ticket_reply(
            actor=ctx.user, ticket_id=ticket.pk, body_text=text, channel=Source.TELEGRAM,
            attachments=attachments, external_id=f"telegram:{ctx.bot.pk}:{ctx.row.update_id}",
            raw_ref=f"telegram-update:{ctx.row.pk}", now=ctx.now,
        )
    except DomainError as exc:
        ctx.outcome = "refused"
        ctx.say(esc(exc.message))
        return
    if conversation is not None and conversation.state == "reply":
        _reply_state(conversation, ctx, None)
    ctx.ticket = ticket
    ctx.outcome = "reply"
    ctx.say(_("Added to request #%(number)s.") % {"number": ticket.number}, ticket=ticket)


def act(ctx: Ctx, action: str, ticket_id: int, argument: str = "") -> None:
    """Close, reopen or rate through the ticket core's services."""
    try:
        if action == "c":
            ticket = changes.ticket_close(actor=ctx.user, ticket_id=ticket_id, now=ctx.now)
            done = _("Request #%(number)s is closed.")
        elif action == "o":
            ticket = changes.ticket_reopen(actor=ctx.user, ticket_id=ticket_id, now=ctx.now)
            done = _("Request #%(number)s is open again.")
        else:
            score = int(argument) if argument.isdigit() else 0
            rating = changes.ticket_rate(actor=ctx.user, ticket_id=ticket_id, score=score, now=ctx.now)
            ticket = rating.ticket
            done = _("Thank you for rating request #%(number)s.")
    except DomainError as exc:
        ctx.outcome = "refused"
        ctx.say(esc(exc.message))
        return
    ctx.ticket = ticket
    ctx.say(done % {"number": ticket.number}, ticket=ticket)
