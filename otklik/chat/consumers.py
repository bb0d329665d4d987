"""The live chat socket, one per open chat page: `ws/chats/<chat_id>/` (`?guest=<key>` for widget guests).

Who connects decides what flows: staff who serve the chat join its staff group (every conversation, remarks
included); a requester or guest joins their own conversation's group only. From a browser:
  {"type": "resume", "after": <last message id or 0>}    -> the missed messages, oldest first
  {"type": "message", "text": ..., "conversation": id, "internal": bool}
  {"type": "typing", "conversation": id}
  {"type": "ticket", "message": id}                       -> staff: make a ticket from a message
  {"type": "history", "before": id, "conversation": id}   -> an older page
Text starting with /ticket or /my is a command answered to the caller alone, never posted.
To a browser: {"kind": "message" | "message_changed" | "typing" | "history" | "command" | "ticket" | "error"}.
The server joins the group before it reads the backlog and the client drops ids it already has, so a
reconnect misses nothing and doubles nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.access import chats as chat_access
from otklik.accounts.models import User
from otklik.chat import live, selectors, services
from otklik.chat.models import ChatMessage, Conversation, SupportChat
from otklik.chat.payloads import message_payload
from otklik.core.errors import DomainError

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
PAGE = 50


def _in_pool(function: Any) -> Any:
    """Run a chat write in the thread pool, not on the one shared "thread-sensitive" thread that
    `database_sync_to_async` uses by default: there every post of every socket queued behind the others
    (measured: 1.3 s average, 9 s p95 waiting at 50 clients, docs/chat.md). Each pool thread has its own
    connection; the conversation's row lock keeps writes to one conversation in order."""
    return database_sync_to_async(function, thread_sensitive=False)


class _Seat:
    """Who sits at this socket, resolved once on connect."""

    def __init__(self, chat: SupportChat, user: User | None, conversation: Conversation | None, staff: bool):
        self.chat = chat
        self.user = user
        self.conversation = conversation
        self.staff = staff

    @property
    def name(self) -> str:
        if self.user is not None:
            return str(self.user) if self.staff else (self.user.get_full_name() or str(self.user))
        return self.conversation.guest_name if self.conversation else ""


def _seat_for(user: Any, chat_id: int, guest_key: str) -> _Seat | None:
    chat = SupportChat.objects.select_related("team").filter(pk=chat_id).first()
    if chat is None:
        return None
    if isinstance(user, User) and user.is_active:
        if chat_access.chat_serves(user, chat.pk):
            return _Seat(chat, user, None, staff=True)
        if chat_access.chats_askable_by(user).filter(pk=chat.pk).exists():
            conversation = services.conversation_of(chat=chat, requester=user, now=timezone.now())
            return _Seat(chat, user, conversation, staff=False)
    if guest_key:
        try:
            conversation = services.guest_conversation_get(chat_id=chat.pk, key=guest_key)
        except DomainError:
            return None
        return _Seat(chat, None, conversation, staff=False)
    return None


class ChatConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels has no types
    seat: _Seat | None = None
    groups_joined: tuple[str, ...] = ()
    # Writes wait for the database; run them beside the receive loop so the socket keeps draining its
    # group inbox meanwhile (a busy agent would otherwise overflow it and the layer would drop messages).
    BACKGROUND = frozenset({"message", "ticket"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: set[asyncio.Task[None]] = set()

    async def connect(self) -> None:
        chat_id = int(self.scope["url_route"]["kwargs"]["chat_id"])
        query = dict(
            part.split("=", 1) for part in self.scope.get("query_string", b"").decode().split("&") if "=" in part
        )
        self.seat = await database_sync_to_async(_seat_for)(self.scope.get("user"), chat_id, query.get("guest", ""))
        if self.seat is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if self.seat.staff:
            groups: tuple[str, ...] = (live.staff_group(chat_id),)
        else:
            assert self.seat.conversation is not None
            groups = (live.conversation_group(chat_id, self.seat.conversation.pk),)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.seat is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        handler = {
            "resume": self._resume, "message": self._message, "typing": self._typing, "ticket": self._ticket,
            "history": self._history,
        }.get(str(kind))
        if handler is None:
            await self.send_json({"kind": "error", "message": _("Unknown request.")})
            return
        if kind in self.BACKGROUND:
            task = asyncio.create_task(self._guarded(handler, content, str(kind)))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            return
        await self._guarded(handler, content, str(kind))

    async def _guarded(self, handler: Any, content: dict[str, Any], kind: str) -> None:
        try:
            await handler(content)
        except DomainError as error:
            await self.send_json({"kind": "error", "code": error.code, "message": error.message})
        except (TypeError, ValueError):
            logger.info("chat socket: malformed %s request kept out: %r", kind, str(content)[:500])
            await self.send_json({"kind": "error", "message": _("The request is not valid.")})

    # ---------------------------------------------------------------- reads

    def _visible(self) -> Any:
        seat = self.seat
        assert seat is not None
        if seat.user is not None:
            return selectors.messages_visible_to(seat.user, seat.chat.pk)
        assert seat.conversation is not None
        return selectors.guest_messages(seat.conversation)

    def _payloads(self, rows: list[ChatMessage]) -> list[dict[str, Any]]:
        seat = self.seat
        assert seat is not None
        viewer_id = seat.user.pk if seat.user else None
        return [message_payload(row, for_staff=seat.staff, viewer_id=viewer_id) for row in rows]

    async def _resume(self, content: dict[str, Any]) -> None:
        after = int(content.get("after") or 0)

        def load() -> list[dict[str, Any]]:
            rows = selectors.messages_after(self._visible(), after) if after else selectors.messages_before(
                self._visible(), None, PAGE)
            return self._payloads(rows)

        for payload in await database_sync_to_async(load)():
            await self.send_json({"kind": "message", "message": payload})
        await self.send_json({"kind": "resumed"})

    async def _history(self, content: dict[str, Any]) -> None:
        before = int(content["before"])
        conversation = content.get("conversation")

        def load() -> list[dict[str, Any]]:
            rows = self._visible()
            if conversation:
                rows = rows.filter(conversation_id=int(conversation))
            return self._payloads(selectors.messages_before(rows, before, PAGE))

        await self.send_json({"kind": "history", "messages": await database_sync_to_async(load)()})

    # ---------------------------------------------------------------- writes and commands

    async def _message(self, content: dict[str, Any]) -> None:
        text = str(content.get("text") or "")
        if text.strip().startswith("/") and self.seat and self.seat.user is not None:
            command = text.strip().split()[0].lower()
            if command in {"/ticket", "/my"}:
                await self.send_json({"kind": "command", **await database_sync_to_async(self._command)(command)})
                return
        seat = self.seat
        assert seat is not None

        def post() -> None:
            conversation = seat.conversation
            if seat.staff:
                conversation = Conversation.objects.filter(
                    pk=int(content.get("conversation") or 0), chat_id=seat.chat.pk
                ).first()
            services.chat_message_post(
                chat=seat.chat, author=seat.user, text=text, conversation=conversation,
                is_internal=bool(content.get("internal")), now=timezone.now(),
            )

        await _in_pool(post)()

    def _command(self, command: str) -> dict[str, Any]:
        seat = self.seat
        assert seat is not None and seat.user is not None
        if command == "/ticket":
            if not chat_access.chat_may_make_tickets(seat.user, seat.chat.pk, seat.chat.team_id):
                return {"command": "ticket", "error": _("Only a member of both this chat and its team may do this.")}
            rows = selectors.last_messages_for_ticket(seat.user, seat.chat.pk)
            return {"command": "ticket", "messages": self._payloads(rows)}
        groups = selectors.my_open_tickets(seat.user)
        return {
            "command": "my",
            "groups": {
                name: [
                    {"number": ticket.number, "subject": ticket.subject, "status": str(ticket.status),
                     "url": f"/tickets/{ticket.number}/"}
                    for ticket in tickets
                ]
                for name, tickets in groups.items()
            },
        }

    async def _ticket(self, content: dict[str, Any]) -> None:
        seat = self.seat
        assert seat is not None
        if seat.user is None:
            await self.send_json({"kind": "error", "message": _("You may not do this.")})
            return
        user = seat.user

        def make() -> dict[str, Any]:
            ticket = services.chat_ticket_from_message(
                actor=user, message_id=int(content["message"]), now=timezone.now()
            )
            return {"kind": "ticket", "number": ticket.number, "url": f"/tickets/{ticket.number}/"}

        await self.send_json(await _in_pool(make)())

    async def _typing(self, content: dict[str, Any]) -> None:
        seat = self.seat
        assert seat is not None
        event = {"type": "chat.typing", "sender": self.channel_name, "name": seat.name, "staff": seat.staff}
        chat_id = seat.chat.pk
        if seat.staff:
            conversation_id = int(content.get("conversation") or 0)
            if not conversation_id:
                return
            await self.channel_layer.group_send(live.conversation_group(chat_id, conversation_id),
                                                {**event, "conversation": conversation_id})
            await self.channel_layer.group_send(live.staff_group(chat_id), {**event, "conversation": conversation_id})
        else:
            assert seat.conversation is not None
            await self.channel_layer.group_send(live.staff_group(chat_id),
                                                {**event, "conversation": seat.conversation.pk})

    # ---------------------------------------------------------------- group events

    async def chat_event(self, event: dict[str, Any]) -> None:
        await self.send_json({"kind": event["kind"], "message": event["message"], "dialog": event.get("dialog")})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            await self.send_json({
                "kind": "typing", "name": event["name"], "staff": event["staff"],
                "conversation": event["conversation"],
            })
