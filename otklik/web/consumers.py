"""Who else is on a ticket right now: viewing or typing. One channel-layer group per ticket.

Messages from a browser: {"state": "viewing" | "typing"}. To a browser:
{"user_id": 7, "name": "Sam Second", "state": "viewing" | "typing" | "left"}.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from otklik.accounts.access import can_see_internal_on, tickets_visible_to
from otklik.accounts.models import User

STATES = {"viewing", "typing"}
CLOSE_FORBIDDEN = 4403


def _allowed(user: Any, ticket_id: int) -> bool:
    if not isinstance(user, User):
        return False
    ticket = tickets_visible_to(user).filter(pk=ticket_id).first()
    return ticket is not None and can_see_internal_on(user, ticket)


class TicketPresenceConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels has no types
    group = ""
    state = "viewing"
    user_id = 0
    name = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        # Only staff who handle the ticket take part; anyone else is refused without a hint why.
        if not await database_sync_to_async(_allowed)(user, ticket_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        assert isinstance(user, User)
        self.user_id, self.name = user.pk, str(user)
        self.group = f"ticket-presence-{ticket_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._announce(ask_back=True)

    async def disconnect(self, code: int) -> None:
        if self.group:
            self.state = "left"
            await self._announce(ask_back=False)
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        state = content.get("state") if isinstance(content, dict) else None
        if state in STATES and state != self.state:
            self.state = state
            await self._announce(ask_back=False)

    async def _announce(self, *, ask_back: bool) -> None:
        await self.channel_layer.group_send(self.group, {
            "type": "presence.update", "sender": self.channel_name, "user_id": self.user_id, "name": self.name,
            "state": self.state, "ask_back": ask_back,
        })

    async def presence_update(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name:
            return
        if event["user_id"] != self.user_id:  # the same agent in two tabs is not a collision
            await self.send_json({"user_id": event["user_id"], "name": event["name"], "state": event["state"]})
        if event["ask_back"] and self.state != "left":
            # A newcomer learns who was already here.
            await self.channel_layer.group_send(self.group, {
                "type": "presence.update", "sender": self.channel_name, "user_id": self.user_id,
                "name": self.name, "state": self.state, "ask_back": False,
            })
