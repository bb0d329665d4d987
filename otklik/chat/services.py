"""Every write to support chats: creating chats, posting messages (from any channel: web console, portal,
widget, API, a bot), tracking dialogs as messages arrive, and making a ticket from a message.

Channel adapters (websocket consumer, HTMX views, API, the Telegram bot) call `chat_message_post` and get
the stored message back; live delivery is announced after commit, so nobody sees a message that was
rolled back.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from otklik.accounts.access import chats as chat_access
from otklik.accounts.models import Organization, Role, Team, User
from otklik.chat import live, signals
from otklik.chat.firstline import chat_calendar, first_line_deadlines
from otklik.chat.models import ChatAttachment, ChatMessage, Conversation, Dialog, Membership, SupportChat
from otklik.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from otklik.core.text import sanitize_html
from otklik.core.uploads import stored_file_fields
from otklik.tickets import changes, uploads
from otklik.tickets import services as ticket_services
from otklik.tickets.inbound import InboundAttachment, InboundMessage
from otklik.tickets.models import Source, Ticket

logger = logging.getLogger(__name__)

MAX_TEXT = 10_000
TICKET_PICK_WINDOW = 10  # a ticket is made from one of the last 10 messages of a conversation


def _is_admin(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role == Role.ADMIN))


def _clean_text(text: str) -> str:
    # Control characters other than line breaks and tabs never belong in a chat line.
    cleaned = "".join(ch for ch in (text or "") if ch in "\n\t" or (ch >= " " and ch != "\x7f"))
    return cleaned.strip()[:MAX_TEXT]


def origins_clean(raw: str) -> str:
    """Allowed widget origins, one per line, lower-cased; InvalidInput names the first bad line."""
    origins = []
    for line in (raw or "").splitlines():
        origin = line.strip().rstrip("/").lower()
        if not origin:
            continue
        scheme, sep, rest = origin.partition("://")
        if scheme not in {"http", "https"} or not sep or not rest or "/" in rest or " " in rest:
            raise InvalidInput(
                _("%(origin)s is not an origin such as https://intranet.example.com.") % {"origin": origin[:100]},
                errors={"allowed_origins": _("One origin per line: scheme, host and optional port.")},
            )
        origins.append(origin)
    return "\n".join(origins)


# ---------------------------------------------------------------- chats


@transaction.atomic
def chat_create(
    *,
    actor: User,
    name: str,
    team: Team,
    now: datetime,
    membership: str = Membership.EVERYONE,
    organizations: Iterable[Organization] = (),
    people: Iterable[User] = (),
    allowed_origins: str = "",
    allow_guests: bool = False,
    first_response_minutes: int | None = None,
    schedule_id: int | None = None,
) -> SupportChat:
    if not _is_admin(actor):
        raise PermissionDenied(_("Only administrators create support chats."))
    name = " ".join((name or "").split())[:200]
    if not name:
        raise InvalidInput(_("A name is required."), errors={"name": _("This field is required.")})
    if membership not in Membership.values:
        raise InvalidInput(_("Unknown membership rule."), errors={"membership": _("Unknown membership rule.")})
    if first_response_minutes is not None and first_response_minutes <= 0:
        raise InvalidInput(_("The target must be a positive number of minutes."))
    chat = SupportChat.objects.create(
        name=name, team=team, membership=membership, allowed_origins=origins_clean(allowed_origins),
        allow_guests=allow_guests, first_response_minutes=first_response_minutes, schedule_id=schedule_id,
        created_at=now,
    )
    chat.organizations.set(list(organizations))
    chat.people.set(list(people))
    return chat


def _chat_get(chat_id: int) -> SupportChat:
    chat = SupportChat.objects.select_related("team", "schedule").filter(pk=chat_id).first()
    if chat is None:
        raise NotFound()
    return chat


# ---------------------------------------------------------------- conversations


def conversation_of(*, chat: SupportChat, requester: User, now: datetime) -> Conversation:
    """The requester's own thread in the chat, started on first use."""
    if not chat_access.chats_askable_by(requester).filter(pk=chat.pk).exists():
        raise NotFound()
    conversation, _created = Conversation.objects.get_or_create(
        chat=chat, requester=requester, defaults={"created_at": now}
    )
    return conversation


@transaction.atomic
def guest_conversation_start(*, chat: SupportChat, name: str, email: str, now: datetime) -> Conversation:
    """A widget visitor who is not signed in: allowed only where the chat allows guests."""
    if not chat.is_active or not chat.allow_guests:
        raise PermissionDenied(_("Please sign in to write to this chat."))
    name = " ".join((name or "").split())[:200]
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("This field is required.")
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid email address.")
    if errors:
        raise InvalidInput(_("Please leave your name and email."), errors=errors)
    return Conversation.objects.create(
        chat=chat, guest_name=name, guest_email=email, guest_key=secrets.token_urlsafe(32), created_at=now
    )


def guest_conversation_get(*, chat_id: int, key: str) -> Conversation:
    conversation = (
        Conversation.objects.select_related("chat").filter(chat_id=chat_id, guest_key=key).first() if key else None
    )
    if conversation is None or not conversation.chat.allow_guests or not conversation.chat.is_active:
        raise NotFound()
    return conversation


# ---------------------------------------------------------------- messages and dialogs


def _dialog_track(message: ChatMessage, chat: SupportChat) -> Dialog | None:
    """Open a question, add to it, or answer it. The conversation row is locked by the caller."""
    if message.is_internal:
        return None
    open_dialog = Dialog.objects.filter(conversation_id=message.conversation_id, answered_at__isnull=True).first()
    if not message.from_staff:
        if open_dialog is not None:
            open_dialog.last_question_message = message
            open_dialog.question_count += 1
            open_dialog.save(update_fields=["last_question_message", "question_count"])
            return open_dialog
        dialog = Dialog.objects.create(
            chat=chat, conversation_id=message.conversation_id, first_message=message,
            last_question_message=message, started_at=message.created_at,
            **first_line_deadlines(chat, message.created_at),
        )
        signals.chat_dialog_changed.send(sender=Dialog, dialog=dialog, change="opened", at=message.created_at)
        return dialog
    if open_dialog is None:
        return None  # a follow-up from staff answers nothing new
    calendar = chat_calendar(chat)
    start, end = open_dialog.started_at, max(message.created_at, open_dialog.started_at)
    open_dialog.answer_message = message
    open_dialog.answered_by = message.author
    open_dialog.answered_at = end
    open_dialog.response_seconds = int((end - start).total_seconds())
    open_dialog.response_working_seconds = (
        open_dialog.response_seconds if calendar is None else calendar.business_seconds_between(start, end)
    )
    open_dialog.save(update_fields=[
        "answer_message", "answered_by", "answered_at", "response_seconds", "response_working_seconds",
    ])
    signals.chat_dialog_changed.send(sender=Dialog, dialog=open_dialog, change="answered", at=end)
    return open_dialog


def _store_files(message: ChatMessage, files: Sequence[InboundAttachment], now: datetime) -> list[ChatAttachment]:
    stored = []
    for item in files:
        attachment = ChatAttachment(
            message=message, created_at=now, **stored_file_fields(item.filename, item.content_type, item.content),
        )
        attachment.file.save(attachment.token, ContentFile(item.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


@transaction.atomic
def chat_message_post(
    *,
    chat: SupportChat,
    author: User | None,
    text: str,
    now: datetime,
    conversation: Conversation | None = None,
    is_internal: bool = False,
    html: str = "",
    attachments: Sequence[InboundAttachment] = (),
    external_id: str | None = None,
) -> ChatMessage:
    """A message from anyone in any channel.

    - Staff who serve the chat answer in a given `conversation` (or leave an internal remark there).
    - A requester writes in their own conversation (the one passed must be theirs).
    - A guest (`author=None`) writes in the guest conversation the widget holds the key of.
    `external_id` makes a repeated delivery (a bot retry) return the stored message instead of a twin.
    """
    if external_id:
        existing = ChatMessage.objects.filter(chat_id=chat.pk, external_id=external_id[:200]).first()
        if existing is not None:
            return existing
    text = _clean_text(text)
    if not text and not attachments:
        raise InvalidInput(_("The message is empty."), errors={"text": _("This field is required.")})
    serves = author is not None and chat_access.chat_serves(author, chat.pk)
    if serves:
        assert author is not None
        if not chat_access.chat_writer(author):  # serves it already: only whether they may write is left
            raise PermissionDenied()
        if conversation is None or conversation.chat_id != chat.pk:
            raise InvalidInput(_("Choose the conversation to answer."), errors={"conversation": _("Required.")})
    elif author is not None:
        if is_internal:
            raise PermissionDenied(_("Internal remarks are for support staff only."))
        if conversation is not None and conversation.chat_id == chat.pk and conversation.requester_id == author.pk:
            # Their own thread in hand (a socket's): only the membership is checked again.
            if not chat_access.chats_askable_by(author).filter(pk=chat.pk).exists():
                raise NotFound()
        else:
            own = conversation_of(chat=chat, requester=author, now=now)
            if conversation is not None and conversation.pk != own.pk:
                raise NotFound()
            conversation = own
    else:
        if conversation is None or conversation.chat_id != chat.pk or conversation.requester_id is not None:
            raise NotFound()
        if is_internal or not chat.allow_guests:
            raise PermissionDenied()
    if not chat.is_active and not serves:
        raise Conflict(_("This chat is closed."))
    uploads.attachments_check(attachments, author)
    # One writer per conversation at a time, so its open question and answer never race.
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    message = ChatMessage.objects.create(
        chat=chat, conversation=locked, author=author, from_staff=serves, is_internal=is_internal and serves,
        text=text, html=sanitize_html(html), external_id=(external_id or "")[:200], created_at=now,
    )
    stored = _store_files(message, attachments, now)
    dialog = _dialog_track(message, chat)
    locked.last_message_at = now
    locked.save(update_fields=["last_message_at"])
    live.announce_new_on_commit(message, dialog, stored)
    signals.chat_message_posted.send(sender=ChatMessage, message=message)
    return message


# ---------------------------------------------------------------- a ticket from a message


def _files_of(message: ChatMessage) -> tuple[InboundAttachment, ...]:
    files = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            files.append(InboundAttachment(attachment.filename, handle.read(), attachment.content_type))
    return tuple(files)


def _subject_from(text: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first_line[:120] or _("Request from chat")


@transaction.atomic
def chat_ticket_from_message(*, actor: User, message_id: int, now: datetime) -> Ticket:
    """Through the one ingest path: requester = the message's author, assignee = the actor, the desk's lead
    watches, team = the chat's desk; the message remembers its ticket."""
    message = (
        chat_access.chat_messages_visible_to(actor, _message_chat_id(message_id))
        .select_for_update(of=("self",))
        .select_related("chat", "chat__team", "conversation", "conversation__requester", "author")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise NotFound()
    chat = message.chat
    if not chat_access.chat_may_make_tickets(actor, chat.pk, chat.team_id):
        raise PermissionDenied(_("Only a member of both this chat and its team may make a ticket."))
    if message.ticket_id is not None:
        raise Conflict(_("A ticket was already made from this message."))
    if message.is_internal or message.from_staff:
        raise InvalidInput(_("Make a ticket from a requester's message."))
    recent = list(
        ChatMessage.objects.filter(conversation_id=message.conversation_id, is_internal=False)
        .order_by("-id").values_list("pk", flat=True)[:TICKET_PICK_WINDOW]
    )
    if message.pk not in recent:
        raise InvalidInput(_("A ticket can be made from one of the last 10 messages only."))
    conversation = message.conversation
    person = conversation.requester
    email = person.email if person is not None else conversation.guest_email
    name = str(person) if person is not None else conversation.guest_name
    result = ticket_services.ticket_ingest(
        inbound=InboundMessage(
            sender_email=email, sender_name=name, channel=Source.CHAT, subject=_subject_from(message.text),
            body_text=message.text, body_html=message.html, external_id=f"otklik-chat-message-{message.pk}",
            attachments=_files_of(message), team_id=chat.team_id, raw_ref=f"chat:{chat.pk}:{message.pk}",
        ),
        now=now,
    )
    ticket = result.ticket
    changes.ticket_assign(actor=actor, ticket_id=ticket.pk, assignee=actor, now=now)
    lead_id = chat.team.lead_id
    if lead_id is not None and lead_id != ticket.requester_id:
        ticket_services.ticket_watch(actor=None, ticket_id=ticket.pk, user_id=lead_id, now=now)
    message.ticket = ticket
    message.save(update_fields=["ticket"])
    live.announce_message_on_commit(message.pk, None, changed=True)
    return Ticket.objects.get(pk=ticket.pk)


def _message_chat_id(message_id: int) -> int:
    chat_id = ChatMessage.objects.filter(pk=message_id).values_list("chat_id", flat=True).first()
    if chat_id is None:
        raise NotFound()
    return int(chat_id)
