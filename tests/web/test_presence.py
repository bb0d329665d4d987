"""Collision detection over websockets: who else views or types on a ticket (Channels, in-memory layer)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter

from otklik.testing import factories
from otklik.web.routing import websocket_urlpatterns

# The consumer reads the database from its own thread: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def in_own_loop(function: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Run a coroutine on a fresh event loop in another thread (a browser test may own this thread's loop)."""

    @wraps(function)
    def run(*args: Any) -> Any:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, function(*args)).result(timeout=30)

    return run


class WebsocketCommunicator(ApplicationCommunicator):
    """A small websocket test client (channels.testing needs daphne, which Otklik does not use)."""

    def __init__(self, application, path):
        super().__init__(application, {"type": "websocket", "path": path, "headers": [], "subprotocols": []})

    async def connect(self, timeout=2):
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def send_json_to(self, data):
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout=2):
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code=1000, timeout=2):
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def _communicator(user, ticket_id):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/tickets/{ticket_id}/presence/")
    communicator.scope["user"] = user
    return communicator


@in_own_loop
async def _two_agents_meet(fiona, mia, ticket_id):
    first = _communicator(fiona, ticket_id)
    assert (await first.connect())[0]
    second = _communicator(mia, ticket_id)
    assert (await second.connect())[0]
    seen = [await first.receive_json_from(timeout=2), await second.receive_json_from(timeout=2)]
    await second.send_json_to({"state": "typing"})
    typing = await first.receive_json_from(timeout=2)
    await second.send_json_to({"state": "nonsense"})
    await second.disconnect()
    left = await first.receive_json_from(timeout=2)
    assert await first.receive_nothing(timeout=0.2)
    await first.disconnect()
    return seen, typing, left


def test_each_agent_learns_about_the_other(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    seen, typing, left = _two_agents_meet(people.fiona, people.mia, ticket.pk)
    assert seen[0] == {"user_id": people.mia.pk, "name": "Mia", "state": "viewing"}
    assert seen[1] == {"user_id": people.fiona.pk, "name": "Fiona", "state": "viewing"}
    assert typing == {"user_id": people.mia.pk, "name": "Mia", "state": "typing"}
    assert left == {"user_id": people.mia.pk, "name": "Mia", "state": "left"}


@in_own_loop
async def _connects(user, ticket_id):
    communicator = _communicator(user, ticket_id)
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


def test_only_staff_handling_the_ticket_may_join(people, now):
    from django.contrib.auth.models import AnonymousUser

    ticket = factories.ticket(requester=people.alice, now=now)
    assert _connects(people.fiona, ticket.pk)[0] is True
    assert _connects(people.alice, ticket.pk) == (False, 4403)  # the requester herself
    assert _connects(people.sam, ticket.pk) == (False, 4403)  # staff outside the ticket's scope
    assert _connects(AnonymousUser(), ticket.pk) == (False, 4403)
    assert _connects(people.fiona, 999999) == (False, 4403)
