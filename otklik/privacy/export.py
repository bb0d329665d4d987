"""Everything Otklik holds about one person, as a ZIP of JSON plus their files (the right of access).

Tickets are read through `otklik.accounts.access` as the person themselves would see them: a requester's
export never carries internal notes, internal-only fields or agent-only files, whoever asks for the export
(the person on the portal or an administrator on their behalf). The archive is written while it is sent,
so a large export never sits in memory or on disk.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.core.files.base import File
from django.db.models import Q

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.audit.models import AuditEntry
from otklik.chat.models import ChatAttachment, ChatMessage
from otklik.chat.models import Conversation as ChatConversation
from otklik.notifications.models import Notification, NotificationPreference
from otklik.security.models import UserSecurity
from otklik.telegram.models import InboundUpdate, TelegramAccount
from otklik.telegram.models import OutboundMessage as TelegramOutbound
from otklik.tickets.models import Message, Ticket, TicketRating

CHUNK = 64 * 1024


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _profile(person: User) -> dict[str, Any]:
    security = UserSecurity.objects.filter(user=person).first()
    return {
        "id": person.pk,
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "phone": person.phone,
        "role": person.role,
        "organization": person.organization.name if person.organization else None,
        "language": person.language,
        "time_zone": person.time_zone,
        "signature": person.signature,
        "is_active": person.is_active,
        "date_joined": _iso(person.date_joined),
        "last_login": _iso(person.last_login),
        "two_factor_required": bool(security and security.two_factor_required),
    }


def _own_tickets(person: User) -> list[Ticket]:
    """Tickets the person asked or watches, among those they may see at all."""
    watched = Ticket.watchers.through.objects.filter(user_id=person.pk).values("ticket_id")
    mine = Q(requester_id=person.pk) | Q(pk__in=watched)
    return list(
        access.tickets_visible_to(person).filter(mine).select_related("status", "priority").order_by("number")
    )


def _tickets(person: User, files: list[tuple[str, File[Any]]]) -> list[dict[str, Any]]:
    """Every ticket of the person with its messages, files and fields, in a constant number of queries.

    Each read goes through the access selectors, as the person: this is what keeps notes out.
    """
    tickets = _own_tickets(person)
    ids = [ticket.pk for ticket in tickets]
    messages: dict[int, list[Message]] = {}
    for message in access.messages_visible_in(person, ids).select_related("author").order_by("created_at", "id"):
        messages.setdefault(message.ticket_id, []).append(message)
    attachments: dict[int, list[Any]] = {}
    for attachment in access.attachments_visible_in(person, ids):
        attachments.setdefault(attachment.ticket_id, []).append(attachment)
    fields = access.visible_fields_in(person, tickets)
    return [
        _ticket(person, ticket, messages.get(ticket.pk, []), attachments.get(ticket.pk, []), fields[ticket.pk], files)
        for ticket in tickets
    ]


def _ticket(
    person: User, ticket: Ticket, messages: list[Message], attachments: list[Any], fields: dict[str, Any],
    files: list[tuple[str, File[Any]]],
) -> dict[str, Any]:
    entries = []
    for attachment in attachments:
        name = f"files/tickets/{ticket.number}/{attachment.token}-{attachment.filename}"
        files.append((name, attachment.file))
        entries.append({"filename": attachment.filename, "size": attachment.size, "path": name,
                        "message_id": attachment.message_id, "created_at": _iso(attachment.created_at)})
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "role": "requester" if ticket.requester_id == person.pk else "watcher",
        "status": ticket.status.code,
        "priority": ticket.priority.code,
        "source": ticket.source,
        "fields": fields,
        "created_at": _iso(ticket.created_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "messages": [
            {"id": message.pk, "author": access.person_label(person, message.author),
             "is_internal": message.is_internal, "channel": message.channel, "text": message.body_text,
             "created_at": _iso(message.created_at)}
            for message in messages
        ],
        "attachments": entries,
    }


def _authored_messages(person: User) -> list[dict[str, Any]]:
    """What the person wrote anywhere; notes only while their role may read notes at all."""
    messages = Message.objects.filter(author=person).select_related("ticket")
    if not access.can_see_internal(person):
        messages = messages.filter(is_internal=False)
    return [
        {"id": message.pk, "ticket": message.ticket.number, "is_internal": message.is_internal,
         "channel": message.channel, "text": message.body_text, "created_at": _iso(message.created_at)}
        for message in messages
    ]


def _ratings(person: User) -> list[dict[str, Any]]:
    return [
        {"ticket": rating.ticket.number, "score": rating.score, "comment": rating.comment,
         "created_at": _iso(rating.created_at)}
        for rating in TicketRating.objects.filter(rated_by=person).select_related("ticket")
    ]


def _chat(person: User, files: list[tuple[str, File[Any]]]) -> dict[str, Any]:
    conversations = ChatConversation.objects.filter(requester=person).select_related("chat")
    # Their own conversations without the desk's internal remarks, plus whatever they wrote themselves.
    mine = Q(conversation__requester=person, is_internal=False) | Q(author=person)
    messages = list(ChatMessage.objects.filter(mine).select_related("chat").order_by("id"))
    for attachment in ChatAttachment.objects.filter(message__in=[m.pk for m in messages]):
        files.append((f"files/chat/{attachment.message_id}/{attachment.token}-{attachment.filename}",
                      attachment.file))
    return {
        "conversations": [
            {"id": c.pk, "chat": c.chat.name, "created_at": _iso(c.created_at)} for c in conversations
        ],
        "messages": [
            {"id": m.pk, "chat": m.chat.name, "conversation": m.conversation_id, "from_staff": m.from_staff,
             "mine": m.author_id == person.pk, "text": m.text, "created_at": _iso(m.created_at)}
            for m in messages
        ],
    }


def telegram_updates_of(telegram_user_id: int) -> Q:
    """Raw updates sent by one Telegram user: messages, edits and button presses."""
    return (
        Q(payload__message__from__id=telegram_user_id)
        | Q(payload__edited_message__from__id=telegram_user_id)
        | Q(payload__callback_query__from__id=telegram_user_id)
    )


def _telegram(person: User) -> dict[str, Any]:
    account = TelegramAccount.objects.filter(user=person).first()
    if account is None:
        return {"account": None, "updates": [], "sent_to_you": []}
    sent = TelegramOutbound.objects.none()
    if account.chat_id is not None:
        sent = TelegramOutbound.objects.filter(chat_id=account.chat_id)
    return {
        "account": {"telegram_user_id": account.telegram_user_id, "username": account.username,
                    "linked_by": account.linked_by, "linked_at": _iso(account.linked_at)},
        "updates": [
            {"update_id": update.update_id, "payload": update.payload, "received_at": _iso(update.received_at)}
            for update in InboundUpdate.objects.filter(telegram_updates_of(account.telegram_user_id))
        ],
        "sent_to_you": [
            {"method": message.method, "text": message.params.get("text", ""), "created_at": _iso(message.created_at)}
            for message in sent
        ],
    }


def _sign_ins(person: User) -> list[dict[str, Any]]:
    entries = AuditEntry.objects.filter(
        Q(actor=person) | Q(login_name__iexact=person.email) | Q(actor_email__iexact=person.email)
    )
    return [
        {"event": entry.kind, "ip_address": entry.ip_address, "browser": entry.user_agent,
         "object": entry.object_repr, "created_at": _iso(entry.created_at)}
        for entry in entries
    ]


def _notifications(person: User) -> dict[str, Any]:
    return {
        "received": [
            {"topic": n.topic, "title": n.title, "text": n.body, "created_at": _iso(n.created_at),
             "read_at": _iso(n.read_at)}
            for n in Notification.objects.filter(recipient=person)
        ],
        "preferences": [
            {"topic": p.topic, "email": p.email, "in_app": p.in_app}
            for p in NotificationPreference.objects.filter(user=person)
        ],
    }


def personal_data(person: User) -> tuple[dict[str, Any], list[tuple[str, File[Any]]]]:
    """The export's JSON document and the files to put beside it (archive path, stored file)."""
    files: list[tuple[str, File[Any]]] = []
    document = {
        "format": "otklik-personal-data/1",
        "profile": _profile(person),
        "tickets": _tickets(person, files),
        "messages_written": _authored_messages(person),
        "ratings": _ratings(person),
        "chat": _chat(person, files),
        "telegram": _telegram(person),
        "sign_ins_and_audit": _sign_ins(person),
        "notifications": _notifications(person),
    }
    return document, files


class _Sink:
    """A write-only file for zipfile that hands out what was written since the last call."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def zip_stream(person: User) -> Iterator[bytes]:
    """The archive, chunk by chunk: data.json first, then each file read in pieces."""
    document, files = personal_data(person)
    sink = _Sink()
    # The sink cannot seek: zipfile then writes data descriptors, which every unzip tool reads.
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2))
        yield sink.take()
        for name, stored in files:
            try:
                stored.open("rb")
            except (FileNotFoundError, ValueError):
                # A file row whose bytes are gone (deleted by policy or lost): listed in data.json, not fatal.
                continue
            with stored, archive.open(name, mode="w") as target:
                while chunk := stored.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
    yield sink.take()
