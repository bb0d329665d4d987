"""A small websocket test client over asgiref (channels.testing needs daphne, which Otklik does not use)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import Any

from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter

from otklik.chat.routing import websocket_urlpatterns


def in_own_loop(function: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Run a coroutine on a fresh event loop in another thread (a browser test may own this thread's loop)."""

    @wraps(function)
    def run(*args: Any) -> Any:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, function(*args)).result(timeout=300)

    return run


class Socket(ApplicationCommunicator):
    def __init__(self, user: Any, chat_id: int, query: str = "") -> None:
        super().__init__(URLRouter(websocket_urlpatterns), {
            "type": "websocket", "path": f"/ws/chats/{chat_id}/", "query_string": query.encode(), "headers": [],
            "subprotocols": [], "user": user,
        })

    async def connect(self, timeout: float = 15) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def send(self, data: dict[str, Any]) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive(self, timeout: float = 15) -> dict[str, Any]:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return dict(json.loads(response["text"]))

    async def receive_until(self, kind: str, timeout: float = 15) -> list[dict[str, Any]]:
        """Everything received up to and including the first frame of `kind`."""
        frames = []
        while True:
            frame = await self.receive(timeout)
            frames.append(frame)
            if frame["kind"] == kind:
                return frames

    async def close(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(15)
