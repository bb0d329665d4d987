"""Ticket news to linked Telegram users: a consumer of the committed TicketEvent outbox.

Who hears about what is the notifications app's fan-out (`notices_for_event`), the words are its
templates in the person's language, and the person's "in the app" preference for the topic decides the
Telegram copy as well (Telegram is the app in their pocket). Only notices about public content leave:
an event about an internal note is never sent, and a message is re-read through `messages_visible_to`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import translation

from otklik.accounts import access
from otklik.notifications import topics
from otklik.notifications.fanout import notices_for_event
from otklik.notifications.models import NotificationPreference
from otklik.notifications.outbox import outbox_run
from otklik.notifications.rendering import TemplateBook
from otklik.notifications.services import Notice, notice_context
from otklik.telegram import outbox, people
from otklik.telegram.models import TelegramAccount
from otklik.telegram.outbox import esc
from otklik.telegram.requests import ticket_buttons
from otklik.tickets.models import Source, Ticket, TicketEvent

logger = logging.getLogger(__name__)

CONSUMER = "telegram"


def _wants(user_id: int, topic: str) -> bool:
    row = NotificationPreference.objects.filter(user_id=user_id, topic=topic).first()
    return row is None or row.in_app


def handle_event(event: TicketEvent) -> None:
    ticket = (Ticket.objects.select_related("requester", "assignee", "team__lead", "status", "priority")
              .filter(pk=event.ticket_id).first())
    if ticket is None:
        return
    fanned = notices_for_event(event, ticket)
    if fanned.message is not None and fanned.message.is_internal:
        return  # internal notes never leave through Telegram, whoever would receive them
    user_ids = [item.user.pk for item in fanned.recipients]
    accounts = {account.user_id: account for account in TelegramAccount.objects.select_related("bot")
                .filter(user_id__in=user_ids, chat_id__isnull=False, bot__is_active=True)}
    book: TemplateBook | None = None
    for item in fanned.recipients:
        account = accounts.get(item.user.pk)
        if account is None or account.bot is None or account.chat_id is None:
            continue
        recipient = item.user
        if item.topic == topics.REQUESTER_RECEIVED and ticket.source == Source.TELEGRAM:
            continue  # the bot already answered with the number when it made the ticket
        if topics.TOPICS[item.topic].audience == topics.Audience.STAFF:
            continue  # staff topics may quote internal content; Telegram carries requester news only
        if not recipient.is_active or not access.is_visible(recipient, ticket.pk) or not _wants(recipient.pk,
                                                                                               item.topic):
            continue
        message = fanned.message
        if message is not None and not access.messages_visible_to(recipient, ticket).filter(pk=message.pk).exists():
            continue
        language = people.language_for(account, {"language_code": account.language_code})
        book = book or TemplateBook()
        notice = Notice(recipient=recipient, topic=item.topic, ticket=ticket, event=event, message=message,
                        actor=event.actor, dedupe_key=f"event:{event.pk}")
        with translation.override(language):
            if item.topic == topics.REQUESTER_REPLIED and message is not None:
                author = access.person_label(recipient, message.author)
                text = (f"<b>#{ticket.number} {esc(ticket.subject)}</b>\n<i>{esc(author)}</i>\n\n"
                        f"{esc(notice_context(notice)['message_text'])}")
            else:
                rendered = book.render(item.topic, language, notice_context(notice))
                text = f"<b>{esc(rendered.subject)}</b>\n\n{esc(rendered.body_text)}"
            keyboard = ticket_buttons(ticket, recipient)
        key = f"event:{event.pk}:{recipient.pk}"
        outbox.queue_text(bot=account.bot, chat_id=account.chat_id, text=text, now=event.created_at,
                          keyboard=keyboard, ticket=ticket, dedupe_key=key)
        if message is not None:
            files = access.attachments_visible_to(recipient, ticket).filter(message=message).order_by("pk")
            for attachment in files:
                outbox.queue_document(bot=account.bot, chat_id=account.chat_id, attachment=attachment,
                                      now=event.created_at, ticket=ticket, dedupe_key=f"{key}:file{attachment.pk}")


def notify_process(*, now: datetime) -> int:
    return outbox_run(consumer=CONSUMER, handler=handle_event, now=now)
