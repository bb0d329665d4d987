"""Each tracker's own webhook scheme: how it proves itself, how it names a delivery, what it sends.

- GitHub signs the body: X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body); X-GitHub-Delivery names it.
- GitLab sends the secret itself in X-Gitlab-Token; X-Gitlab-Event-UUID names the delivery.
- Jira Cloud admin webhooks sign like GitHub in X-Hub-Signature; Data Center (and Cloud without a secret)
  cannot, so the secret goes in the URL. X-Atlassian-Webhook-Identifier names the delivery.
- Redmine has no webhooks of its own; the common plugin (redmine_webhook) posts {"payload": {...}} to a
  URL, so the secret goes in the URL.
Without a delivery id, a hash of the body is the replay key: the same call twice is the same call.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from otklik.trackers.clients import GitHubClient, GitLabClient, IssueData, JiraClient, RedmineClient
from otklik.trackers.models import TrackerConnection, TrackerKind

DELIVERY_HEADERS = {
    TrackerKind.GITHUB: "X-GitHub-Delivery",
    TrackerKind.GITLAB: "X-Gitlab-Event-UUID",
    TrackerKind.JIRA: "X-Atlassian-Webhook-Identifier",
}
EVENT_HEADERS = {
    TrackerKind.GITHUB: "X-GitHub-Event",
    TrackerKind.GITLAB: "X-Gitlab-Event",
}
# Headers worth keeping with the raw call (never the secret-bearing ones).
KEPT_HEADERS = ("Content-Type", "User-Agent", *DELIVERY_HEADERS.values(), *EVENT_HEADERS.values())


def _hmac_matches(secret: str, header: str, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def verify(connection: TrackerConnection, headers: Mapping[str, str], body: bytes, url_token: str) -> bool:
    secret = connection.webhook_secret
    if not secret:
        return False
    if connection.kind == TrackerKind.GITHUB:
        return _hmac_matches(secret, headers.get("X-Hub-Signature-256", ""), body)
    if connection.kind == TrackerKind.GITLAB:
        return hmac.compare_digest(secret, headers.get("X-Gitlab-Token", ""))
    if connection.kind == TrackerKind.JIRA and headers.get("X-Hub-Signature"):
        return _hmac_matches(secret, headers.get("X-Hub-Signature", ""), body)
    return bool(url_token) and hmac.compare_digest(secret, url_token)


def delivery_key(connection: TrackerConnection, headers: Mapping[str, str], body: bytes) -> str:
    header = DELIVERY_HEADERS.get(connection.kind)  # type: ignore[call-overload]
    value = (headers.get(header, "") if header else "").strip()
    if value:
        return value[:200]
    return "sha256:" + hashlib.sha256(body).hexdigest()


def event_name(connection: TrackerConnection, headers: Mapping[str, str], payload: Any) -> str:
    header = EVENT_HEADERS.get(connection.kind)  # type: ignore[call-overload]
    if header and headers.get(header):
        return str(headers[header])[:100]
    if isinstance(payload, dict):
        if connection.kind == TrackerKind.JIRA:
            return str(payload.get("webhookEvent", ""))[:100]
        inner = payload.get("payload")
        if isinstance(inner, dict):
            return str(inner.get("action", ""))[:100]
    return ""


def issue_from_payload(connection: TrackerConnection, event: str, payload: Any) -> IssueData | None:
    """The issue a webhook speaks of, as the payload describes it; None when the call is about something
    else (a ping, a push, a comment on a merge request). Raises ValueError for a malformed payload."""
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    if connection.kind == TrackerKind.GITHUB:
        if event != "issues":
            return None
        repository = payload["repository"]["full_name"]
        return GitHubClient(connection).issue(payload["issue"], repository)
    if connection.kind == TrackerKind.GITLAB:
        if payload.get("object_kind") != "issue":
            return None
        attributes = dict(payload["object_attributes"])
        attributes.setdefault("labels", payload.get("labels") or [])
        attributes.setdefault("assignees", payload.get("assignees") or [])
        return GitLabClient(connection).issue(attributes, payload["project"]["path_with_namespace"])
    if connection.kind == TrackerKind.JIRA:
        if not str(payload.get("webhookEvent", "")).startswith("jira:issue_") or "issue" not in payload:
            return None
        return JiraClient(connection).issue(payload["issue"])
    inner = payload.get("payload")
    if not isinstance(inner, dict) or not isinstance(inner.get("issue"), dict):
        return None
    issue = RedmineClient(connection).issue(inner["issue"])
    if isinstance(inner.get("url"), str) and inner["url"]:
        issue.url = inner["url"]
    return issue
