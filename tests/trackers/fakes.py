"""Fake issue trackers on loopback: real HTTP servers speaking the parts of Redmine's JSON API, Jira's
REST API v2, GitLab's v4 API and GitHub's REST API that Otklik uses, and building each one's webhook
payloads (and signatures) the way the real tracker does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

TOKEN = "secret-api-token"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeTracker:
    kind: str
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    down: bool = False  # answer 503 to everything, like a tracker under maintenance
    next_number: int = 100
    server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ running

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def _answer(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.seen.append(Seen(method, self.path, dict(self.headers.items()), body))
                if fake.down:
                    self._answer(503, {"error": "maintenance"})
                    return
                if not fake.authorised(dict(self.headers.items())):
                    self._answer(401, {"error": "unauthorised"})
                    return
                status, payload = fake.route(method, self.path, body)
                self._answer(status, payload)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}" + ("/jira" if self.kind == "jira" else "")

    def authorised(self, headers: dict[str, str]) -> bool:
        if self.kind == "redmine":
            return headers.get("X-Redmine-API-Key") == TOKEN
        if self.kind == "gitlab":
            return headers.get("PRIVATE-TOKEN") == TOKEN
        auth = headers.get("Authorization", "")
        if self.kind == "jira" and auth.startswith("Basic "):
            return base64.b64decode(auth[6:]).decode().split(":", 1)[1] == TOKEN
        return auth == f"Bearer {TOKEN}"

    # ------------------------------------------------------------ issues in each tracker's own shape

    def add(self, key: str, title: str, status: str = "New", *, closed: bool = False,
            labels: tuple[str, ...] = (), assignee: str = "Dev Lee") -> dict[str, Any]:
        if self.kind == "redmine":
            issue = {"id": int(key), "project": {"id": 1, "name": "Shop"}, "subject": title,
                     "status": {"id": 1, "name": status, "is_closed": closed},
                     "assigned_to": {"id": 7, "name": assignee}, "closed_on": None}
        elif self.kind == "jira":
            issue = {"id": "10001", "key": key, "self": f"{self.base_url}/rest/api/2/issue/10001", "fields": {
                "summary": title, "labels": list(labels), "assignee": {"displayName": assignee},
                "status": {"name": status, "statusCategory": {"key": "done" if closed else "indeterminate"}}}}
        elif self.kind == "gitlab":
            project, _sep, iid = key.rpartition("#")
            issue = {"id": 5000 + int(iid), "iid": int(iid), "title": title, "state": "closed" if closed else "opened",
                     "labels": list(labels), "assignees": [{"name": assignee}], "assignee": {"name": assignee},
                     "web_url": f"{self.base_url}/{project}/-/issues/{iid}"}
        else:
            repo, _sep, number = key.rpartition("#")
            issue = {"number": int(number), "title": title, "state": "closed" if closed else "open",
                     "labels": [{"name": label} for label in labels], "assignee": {"login": assignee},
                     "html_url": f"https://github.com/{repo}/issues/{number}"}
        self.issues[key] = issue
        return issue

    def change(self, key: str, status: str = "", *, closed: bool = False, labels: tuple[str, ...] = ()) -> None:
        issue = self.issues[key]
        if self.kind == "redmine":
            issue["status"] = {"id": 3, "name": status, "is_closed": closed}
        elif self.kind == "jira":
            category = "done" if closed else "indeterminate"
            issue["fields"]["status"] = {"name": status, "statusCategory": {"key": category}}
        elif self.kind == "gitlab":
            issue["state"] = "closed" if closed else "opened"
            issue["labels"] = list(labels)
        else:
            issue["state"] = "closed" if closed else "open"
            issue["labels"] = [{"name": label} for label in labels]

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        path = path.removeprefix("/jira")
        if self.kind == "redmine":
            if path == "/users/current.json":
                return 200, {"user": {"id": 7, "login": "otklik", "firstname": "Otklik"}}
            if method == "POST" and path == "/issues.json":
                key = str(self.next_number)
                self.next_number += 1
                return 201, {"issue": self.add(key, body["issue"]["subject"])}
            match = re.fullmatch(r"/issues/(\d+)\.json", path)
            if match and match.group(1) in self.issues:
                return 200, {"issue": self.issues[match.group(1)]}
        elif self.kind == "jira":
            if path == "/rest/api/2/myself":
                return 200, {"displayName": "Otklik bot", "accountId": "abc"}
            if method == "POST" and path == "/rest/api/2/issue":
                key = f"{body['fields']['project']['key']}-{self.next_number}"
                self.next_number += 1
                self.add(key, body["fields"]["summary"])
                return 201, {"id": "10001", "key": key, "self": "x"}
            match = re.fullmatch(r"/rest/api/2/issue/([A-Z]+-\d+)(\?.*)?", path)
            if match and match.group(1) in self.issues:
                return 200, self.issues[match.group(1)]
        elif self.kind == "gitlab":
            if path == "/api/v4/user":
                return 200, {"id": 1, "username": "otklik"}
            match = re.fullmatch(r"/api/v4/projects/([^/]+)/issues(?:/(\d+))?", path)
            if match:
                project = unquote(match.group(1))
                if method == "POST":
                    key = f"{project}#{self.next_number}"
                    self.next_number += 1
                    return 201, self.add(key, body["title"])
                key = f"{project}#{match.group(2)}"
                if key in self.issues:
                    return 200, self.issues[key]
        else:
            if path == "/user":
                return 200, {"login": "otklik-bot", "id": 1}
            match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues(?:/(\d+))?", path)
            if match:
                if method == "POST":
                    key = f"{match.group(1)}#{self.next_number}"
                    self.next_number += 1
                    return 201, self.add(key, body["title"])
                key = f"{match.group(1)}#{match.group(2)}"
                if key in self.issues:
                    return 200, self.issues[key]
        return 404, {"errors": ["not found"]}

    # ------------------------------------------------------------ webhooks as each tracker sends them

    def webhook(self, key: str, secret: str, *, delivery: str | None = None) -> tuple[dict[str, str], bytes]:
        """Headers and body of the tracker's call after the issue changed."""
        issue = self.issues[key]
        delivery = delivery or str(uuid.uuid4())
        payload: dict[str, Any]
        if self.kind == "redmine":  # the redmine_webhook plugin's shape
            payload = {"payload": {"action": "updated", "issue": issue,
                                   "journal": {"id": 1, "notes": "", "details": []},
                                   "url": f"{self.base_url}/issues/{key}"}}
            return {"Content-Type": "application/json"}, json.dumps(payload).encode()
        if self.kind == "jira":
            payload = {"timestamp": 1700000000000, "webhookEvent": "jira:issue_updated",
                       "issue_event_type_name": "issue_generic", "user": {"displayName": "Dev Lee"},
                       "issue": issue, "changelog": {"id": "1", "items": [{"field": "status"}]}}
            body = json.dumps(payload).encode()
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            return {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": delivery,
                    "X-Hub-Signature": signature}, body
        if self.kind == "gitlab":
            project, _sep, _iid = key.rpartition("#")
            left_out = {"labels", "assignees", "web_url"}  # sent beside object_attributes, not inside
            attributes = {key_: value for key_, value in issue.items() if key_ not in left_out}
            attributes |= {"url": issue["web_url"], "action": "close" if issue["state"] == "closed" else "update"}
            payload = {"object_kind": "issue", "event_type": "issue", "user": {"name": "Dev Lee"},
                       "project": {"id": 1, "path_with_namespace": project},
                       "object_attributes": attributes,
                       "labels": [{"id": 1, "title": label} for label in issue["labels"]],
                       "assignees": issue["assignees"], "changes": {}}
            return {"Content-Type": "application/json", "X-Gitlab-Event": "Issue Hook", "X-Gitlab-Token": secret,
                    "X-Gitlab-Event-UUID": delivery}, json.dumps(payload).encode()
        repo, _sep, _number = key.rpartition("#")
        payload = {"action": "closed" if issue["state"] == "closed" else "labeled", "issue": issue,
                   "repository": {"full_name": repo}, "sender": {"login": "dev-lee"}}
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-GitHub-Event": "issues", "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": signature}, body
