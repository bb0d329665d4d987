"""Webhooks for support chats: `chat.message.created`, `chat.dialog.opened`, `chat.dialog.answered`,
`chat.dialog.due_soon`, `chat.dialog.overdue` (the catalogue and the opt-in rule: `kinds.py`).

Written by receivers of the chat app's signals, inside the chat write's transaction, into the same signed
outbox as ticket events; sent after commit. A chat event has no ticket event row, so the payload is built
here, once per scope, and kept: every retry sends the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from otklik.chat.models import ChatMessage, Dialog
from otklik.integrations import kinds
from otklik.integrations.models import SubscriptionScope, WebhookDelivery, WebhookSubscription
from otklik.integrations.payloads import PAYLOAD_VERSION, person

DIALOG_KINDS = {
    "opened": kinds.CHAT_DIALOG_OPENED,
    "answered": kinds.CHAT_DIALOG_ANSWERED,
    "due_soon": kinds.CHAT_DIALOG_DUE_SOON,
    "overdue": kinds.CHAT_DIALOG_OVERDUE,
}


def _chat_part(message_or_dialog: ChatMessage | Dialog) -> dict[str, Any]:
    chat = message_or_dialog.chat
    conversation = message_or_dialog.conversation
    guest = (
        None
        if conversation.requester_id is not None
        else {
            "name": conversation.guest_name,
            "email": conversation.guest_email,
        }
    )
    return {
        "chat": {"id": chat.pk, "name": chat.name, "desk": {"id": chat.team_id, "name": chat.team.name}},
        "conversation": {"id": conversation.pk, "requester": person(conversation.requester), "guest": guest},
    }


def _message(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "is_internal": message.is_internal,
        "from_staff": message.from_staff,
        "author": person(message.author),
        "text": message.text,
        "html": message.html,
        "created_at": message.created_at.isoformat(),
        "ticket": message.ticket.number if message.ticket_id and message.ticket else None,
        "attachments": [
            {"filename": item.filename, "content_type": item.content_type, "size": item.size}
            for item in message.attachments.all()
        ],
    }


def _dialog(dialog: Dialog) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": dialog.pk,
        "first_message": dialog.first_message_id,
        "question_count": dialog.question_count,
        "started_at": iso(dialog.started_at),
        "due_at": iso(dialog.due_at),
        "warned_at": iso(dialog.warned_at),
        "breached_at": iso(dialog.breached_at),
        "answer_message": dialog.answer_message_id,
        "answered_by": person(dialog.answered_by),
        "answered_at": iso(dialog.answered_at),
        "response_seconds": dialog.response_seconds,
        "response_working_seconds": dialog.response_working_seconds,
    }


def _subscribers(kind: str, *, internal: bool = False) -> list[WebhookSubscription]:
    return [
        sub
        for sub in WebhookSubscription.objects.filter(is_active=True)
        if sub.wants(kind) and (not internal or sub.scope == SubscriptionScope.STAFF)
    ]


def _write(
    subscriptions: list[WebhookSubscription], kind: str, key: str, at: datetime, actor: Any, body: dict[str, Any]
) -> None:
    rows = []
    for sub in subscriptions:
        row = WebhookDelivery(
            subscription=sub, event=None, source_key=key[:100], event_kind=kind, created_at=at, next_attempt_at=at
        )
        row.payload = {
            "version": PAYLOAD_VERSION,
            "delivery": str(row.uuid),
            "scope": sub.scope,
            "event": {"id": None, "kind": kind, "created_at": at.isoformat(), "actor": person(actor), "data": {}},
            "ticket": None,
            **body,
        }
        rows.append(row)
    created = WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(WebhookDelivery.objects.filter(source_key=key[:100], state="pending").values_list("pk", flat=True))
    if created:
        transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(ids: list[int]) -> None:
    from otklik.integrations.tasks import webhook_deliveries_send

    webhook_deliveries_send(ids)


def on_chat_message(sender: Any, message: ChatMessage, **kwargs: Any) -> None:
    subscriptions = _subscribers(kinds.CHAT_MESSAGE_CREATED, internal=message.is_internal)
    if not subscriptions:
        return  # one query per message when nobody listens
    full = (
        ChatMessage.objects.select_related("chat__team", "conversation__requester", "author", "ticket")
        .prefetch_related("attachments")
        .get(pk=message.pk)
    )
    body = {**_chat_part(full), "message": _message(full), "dialog": None}
    _write(
        subscriptions,
        kinds.CHAT_MESSAGE_CREATED,
        f"{kinds.CHAT_MESSAGE_CREATED}:{full.pk}",
        full.created_at,
        full.author,
        body,
    )


def on_chat_dialog(sender: Any, dialog: Dialog, change: str, at: datetime, **kwargs: Any) -> None:
    kind = DIALOG_KINDS.get(change)
    subscriptions = _subscribers(kind) if kind is not None else []
    if kind is None or not subscriptions:
        return
    full = Dialog.objects.select_related("chat__team", "conversation__requester", "answered_by").get(pk=dialog.pk)
    body = {**_chat_part(full), "message": None, "dialog": _dialog(full)}
    actor = full.answered_by if change == "answered" else None
    _write(subscriptions, kind, f"{kind}:{full.pk}", at, actor, body)
