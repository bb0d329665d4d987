"""A fake Telegram Bot API server on loopback: the methods Otklik uses, real HTTP, in a thread.

Tests push updates as a Telegram user would produce them and read what the bot sent. It answers 429
with retry_after or 502 on demand, to test flood control and outages.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

JSON_KEYS = {"reply_markup", "allowed_updates", "entities"}


@dataclass
class Sent:
    method: str
    params: dict[str, Any]
    message_id: int | None = None
    document: tuple[str, bytes] | None = None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup") or {}
        return [(b.get("text", ""), b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
                for b in row]


@dataclass
class FakeBotApi:
    host: str = "127.0.0.1"
    port: int = 0
    username: str = "otklik_test_bot"
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Sent] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    flood: dict[str, int] = field(default_factory=dict)
    outage: dict[str, int] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    retry_after: int = 1
    max_long_poll: float = 1.0

    def __post_init__(self) -> None:
        self.lock = threading.Condition()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ what tests use

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            update = {"update_id": next(self._update_ids), **update}
            self.updates.append(update)
            self.lock.notify_all()
        return update

    def add_file(self, name: str, content: bytes) -> str:
        file_id = f"file-{next(self._file_ids)}"
        self.files[file_id] = (f"documents/{name}", content)
        return file_id

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Sent]:
        with self.lock:
            return [call for call in self.calls
                    if (method is None or call.method == method)
                    and (chat_id is None or int(call.params.get("chat_id", 0)) == chat_id)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [call.text for call in self.sent(chat_id, "sendMessage")]

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError("the fake Bot API did not see what the test waited for")

    # ------------------------------------------------------------ the API

    def handle(self, method: str, params: dict[str, Any], document: tuple[str, bytes] | None) -> tuple[int, Any]:
        if self.flood.get(method, 0) > 0:
            self.flood[method] -= 1
            return 429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after "
                         f"{self.retry_after}", "parameters": {"retry_after": self.retry_after}}
        if self.outage.get(method, 0) > 0:
            self.outage[method] -= 1
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self.lock:
            record = Sent(method, params, document=document)
            self.calls.append(record)
            if method == "getMe":
                return 200, {"ok": True, "result": {"id": 4242, "is_bot": True, "first_name": "Otklik",
                                                    "username": self.username, "can_join_groups": True,
                                                    "can_read_all_group_messages": False,
                                                    "supports_inline_queries": False}}
            if method in {"sendMessage", "sendDocument", "sendPhoto"}:
                if not params.get("chat_id"):
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
                record.message_id = next(self._message_ids)
                return 200, {"ok": True, "result": {
                    "message_id": record.message_id, "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": params.get("text", "")}}
            if method == "getFile":
                file_id = str(params.get("file_id"))
                if file_id not in self.files:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
                path, content = self.files[file_id]
                return 200, {"ok": True, "result": {"file_id": file_id, "file_unique_id": file_id,
                                                    "file_size": len(content), "file_path": path}}
            if method == "setWebhook":
                self.webhook = dict(params)
            if method in {"deleteWebhook", "setWebhook", "answerCallbackQuery", "setMyCommands", "close",
                          "logOut"}:
                return 200, {"ok": True, "result": True}
            if method == "editMessageText":
                return 200, {"ok": True, "result": {"message_id": int(params.get("message_id", 0)),
                                                    "date": int(time.time()),
                                                    "chat": {"id": int(params.get("chat_id", 0)), "type": "private"}}}
            if method == "getWebhookInfo":
                return 200, {"ok": True, "result": {"url": self.webhook.get("url", ""), "has_custom_certificate":
                                                    False, "pending_update_count": 0}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), self.max_long_poll)
        deadline = time.monotonic() + wait
        with self.lock:
            # An offset confirms every earlier update, as in the real API.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self.lock.wait(timeout=max(0.0, deadline - time.monotonic()))
            return list(self.updates[:100])


def _params(content_type: str, body: bytes) -> tuple[dict[str, Any], tuple[str, bytes] | None]:
    document = None
    if content_type.startswith("application/json"):
        return (json.loads(body or b"{}"), None)
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
            if part.get_filename():
                document = (str(part.get_filename()), payload)
            else:
                params[str(name)] = payload.decode()
    else:
        params = dict(parse_qsl(body.decode()))
    for key in list(params):
        if key in JSON_KEYS and isinstance(params[key], str):
            params[key] = json.loads(params[key])
    return params, document


@contextmanager
def fake_bot_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # The client may give up a long poll while stopping.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.startswith("/file/bot"):
                path = self.path.split("/", 3)[3]
                for stored_path, content in api.files.values():
                    if stored_path == path:
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(content)))
                        self.end_headers()
                        self.wfile.write(content)
                        return
                self._reply(404, {"ok": False})
                return
            self.do_POST()

        def do_POST(self) -> None:
            parts = self.path.split("?", 1)[0].strip("/").split("/")
            if len(parts) != 2 or not parts[0].startswith("bot"):
                self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            params, document = _params(self.headers.get("Content-Type", ""), body)
            status, answer = api.handle(parts[1], params, document)
            self._reply(status, answer)

    server = ThreadingHTTPServer((api.host, 0), Handler)
    server.daemon_threads = True
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class TelegramPerson:
    """Builds the updates a Telegram user produces in a private chat with the bot."""

    api: FakeBotApi
    id: int
    first_name: str = "Ivan"
    last_name: str = "Petrov"
    language_code: str = "en"
    _message_ids: Any = field(default_factory=lambda: itertools.count(5000))

    def _from(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "last_name": self.last_name,
                "language_code": self.language_code, "username": f"user{self.id}"}

    def _message(self, **content: Any) -> dict[str, Any]:
        return {"message": {"message_id": next(self._message_ids), "date": int(time.time()), "from": self._from(),
                            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                            **content}}

    def text(self, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            extra["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()),
                                         "chat": {"id": self.id, "type": "private"}}
        return self.api.push(self._message(text=text, **extra))

    def document(self, name: str, content: bytes, *, caption: str = "", reply_to: int | None = None,
                 mime: str = "application/pdf") -> dict[str, Any]:
        file_id = self.api.add_file(name, content)
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        if reply_to is not None:
            extra["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()),
                                         "chat": {"id": self.id, "type": "private"}}
        return self.api.push(self._message(document={"file_id": file_id, "file_unique_id": file_id,
                                                     "file_name": name, "mime_type": mime,
                                                     "file_size": len(content)}, **extra))

    def contact(self, phone: str, *, user_id: int | None = None) -> dict[str, Any]:
        return self.api.push(self._message(contact={"phone_number": phone, "first_name": self.first_name,
                                                    "user_id": self.id if user_id is None else user_id}))

    def press(self, data: str, *, message_id: int = 1) -> dict[str, Any]:
        return self.api.push({"callback_query": {
            "id": f"cb{next(self._message_ids)}", "from": self._from(), "chat_instance": "1", "data": data,
            "message": {"message_id": message_id, "date": int(time.time()),
                        "chat": {"id": self.id, "type": "private"}, "text": "..."}}})


_GROUP_MESSAGE_IDS = itertools.count(9000)


@dataclass
class GroupMember:
    """Builds the updates a Telegram user produces in a group the bot is in."""

    api: FakeBotApi
    id: int
    group_id: int = -100500
    title: str = "Office helpdesk"
    first_name: str = "Ivan"
    language_code: str = "en"
    # One numbering for everybody in the group, as in Telegram: two members never share a message id.
    _message_ids: Any = _GROUP_MESSAGE_IDS

    def _from(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code,
                "username": f"user{self.id}"}

    def _chat(self) -> dict[str, Any]:
        return {"id": self.group_id, "type": "supergroup", "title": self.title}

    def text(self, text: str, *, reply_to: int | None = None, message_id: int | None = None) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            content["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()), "chat": self._chat()}
        number = next(self._message_ids) if message_id is None else message_id
        return self.api.push({"message": {"message_id": number, "date": int(time.time()), "from": self._from(),
                                          "chat": self._chat(), **content}})

    def press(self, data: str, *, message_id: int = 1) -> dict[str, Any]:
        return self.api.push({"callback_query": {
            "id": f"cb{next(self._message_ids)}", "from": self._from(), "chat_instance": "2", "data": data,
            "message": {"message_id": message_id, "date": int(time.time()), "chat": self._chat(), "text": "..."}}})
