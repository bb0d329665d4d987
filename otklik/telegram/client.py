"""A small synchronous Bot API client for the jobs (sending the outbox, downloading files).

Receiving runs through python-telegram-bot (runner.py); sending is plain HTTP here, so the outbox job and
the services run without an event loop. Errors are sorted into the three cases the outbox needs:
flood control (429 with retry_after), a temporary outage (network, 5xx), and a permanent refusal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from otklik.telegram import conf
from otklik.telegram.models import Bot


class BotApiError(Exception):
    """Telegram refused the call for good (bad request, blocked by the user, ...)."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.code = code


class BotApiUnavailable(Exception):
    """The call may succeed later: network trouble, a 5xx, or flood control (retry_after seconds)."""

    def __init__(self, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.retry_after = retry_after


def api_base(bot: Bot) -> str:
    return (bot.api_url or conf.api_url()).rstrip("/")


@dataclass
class BotApi:
    bot: Bot
    timeout: float = 30.0

    def _url(self, method: str) -> str:
        return f"{api_base(self.bot)}/bot{self.bot.token}/{method}"

    def call(self, method: str, params: dict[str, Any] | None = None,
             files: dict[str, tuple[str, bytes, str]] | None = None) -> Any:
        import httpx  # imported when the Bot API is called: web processes never call it

        try:
            with httpx.Client(timeout=self.timeout) as http:
                if files:
                    form = {key: value if isinstance(value, str) else json.dumps(value)
                            for key, value in (params or {}).items()}
                    response = http.post(self._url(method), data=form, files=files)
                else:
                    response = http.post(self._url(method), json=params or {})
        except httpx.HTTPError as exc:
            # The token is part of the URL: never put the exception's URL text into logs or rows.
            raise BotApiUnavailable(f"{method}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 429 or body.get("error_code") == 429:
            retry_after = int((body.get("parameters") or {}).get("retry_after") or 5)
            raise BotApiUnavailable(f"{method}: flood control, retry after {retry_after}s", retry_after=retry_after)
        if response.status_code >= 500:
            raise BotApiUnavailable(f"{method}: HTTP {response.status_code}")
        if not body.get("ok"):
            raise BotApiError(f"{method}: {body.get('description') or response.status_code}"[:1000],
                              code=int(body.get("error_code") or response.status_code))
        return body.get("result")

    def download(self, file_id: str, *, max_bytes: int) -> bytes:
        """getFile, then the bytes; refuses a file over max_bytes before and while downloading."""
        info = self.call("getFile", {"file_id": file_id})
        size = int(info.get("file_size") or 0)
        if size > max_bytes:
            raise BotApiError("file too large", code=413)
        path = info.get("file_path") or ""
        url = f"{api_base(self.bot)}/file/bot{self.bot.token}/{path}"
        import httpx

        try:
            with httpx.Client(timeout=self.timeout) as http, http.stream("GET", url) as response:
                if response.status_code >= 500:
                    raise BotApiUnavailable(f"file download: HTTP {response.status_code}")
                if response.status_code != 200:
                    raise BotApiError(f"file download: HTTP {response.status_code}", code=response.status_code)
                chunks: list[bytes] = []
                total = 0
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        raise BotApiError("file too large", code=413)
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError:
            raise BotApiUnavailable("file download failed") from None
