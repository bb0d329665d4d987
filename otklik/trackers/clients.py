"""One small HTTP client per tracker: fetch an issue, create one, test the connection.

Only the endpoints Otklik uses: Redmine's JSON API, Jira's REST API v2 (Cloud and Data Center alike;
v3 wants rich-text documents for descriptions), GitLab's v4 API and GitHub's REST API. Timeouts are
short and failures are retried with backoff; whoever calls a client runs in a job, never in a request.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

from otklik.core.errors import InvalidInput
from otklik.trackers.models import TrackerConnection, TrackerKind

# httpx is imported where a request is sent: most web processes never send one, and the import (with rich,
# click and pygments for its command line where those are installed) costs every process resident memory.
if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS, CONNECT_SECONDS = 10.0, 5.0


class TrackerError(Exception):
    """The tracker did not answer as hoped: down, refused, or answered nonsense."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@dataclass
class IssueData:
    key: str
    title: str = ""
    status: str = ""
    is_closed: bool = False
    labels: list[str] = field(default_factory=list)
    assignee: str = ""
    url: str = ""

    def signals(self) -> set[str]:
        """What status mappings may match: "status:resolved", "state:closed", "label:needs-info"."""
        found = {f"state:{'closed' if self.is_closed else 'open'}"}
        if self.status:
            found.add(f"status:{self.status.strip().lower()}")
        found.update(f"label:{label.strip().lower()}" for label in self.labels)
        return found


@dataclass
class TestResult:
    ok: bool
    status: int | None
    summary: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class Client:
    kind = ""

    def __init__(self, connection: TrackerConnection, *, transport: httpx.BaseTransport | None = None) -> None:
        self.connection = connection
        self.base = connection.base_url.rstrip("/")
        self._transport = transport

    # ------------------------------------------------------------ plumbing

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def auth(self) -> httpx.Auth | None:
        return None

    def request(self, method: str, path: str, *, json: Any = None) -> Any:
        """JSON from the tracker; connection errors, 429 and 5xx are retried with exponential backoff."""
        attempts = int(getattr(settings, "OTKLIK_TRACKER_ATTEMPTS", 3))
        delay = float(getattr(settings, "OTKLIK_TRACKER_BACKOFF_SECONDS", 0.5))
        last: TrackerError | None = None
        import httpx

        timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_SECONDS)
        with httpx.Client(timeout=timeout, headers=self.headers(), auth=self.auth(), transport=self._transport,
                          follow_redirects=False) as http:
            for attempt in range(attempts):
                if attempt:
                    time.sleep(delay * (2 ** (attempt - 1)))
                try:
                    response = http.request(method, self.base + path, json=json)
                except httpx.HTTPError as exc:
                    last = TrackerError(_("The tracker did not answer: %(error)s") % {"error": exc.__class__.__name__})
                    continue
                if response.status_code == 429 or response.status_code >= 500:
                    last = TrackerError(_("The tracker answered %(status)s.") % {"status": response.status_code},
                                        status=response.status_code)
                    continue
                if response.status_code >= 400:
                    raise TrackerError(
                        _("The tracker refused (%(status)s): %(body)s")
                        % {"status": response.status_code, "body": response.text[:300]},
                        status=response.status_code, retryable=False,
                    )
                if not response.content:
                    return {}
                try:
                    return response.json()
                except ValueError as exc:
                    raise TrackerError(_("The tracker answered something that is not JSON."),
                                       status=response.status_code, retryable=False) from exc
        assert last is not None
        raise last

    # ------------------------------------------------------------ the three operations

    def parse_reference(self, text: str) -> str:
        """An issue key from what an agent typed: a number, a key or the issue's URL."""
        raise NotImplementedError

    def fetch_issue(self, key: str) -> IssueData:
        raise NotImplementedError

    def create_issue(self, *, project: str, subject: str, description: str) -> IssueData:
        raise NotImplementedError

    def whoami(self) -> tuple[str, Any]:
        raise NotImplementedError

    def test(self) -> TestResult:
        try:
            path, answer = self.whoami()
        except TrackerError as exc:
            return TestResult(ok=False, status=exc.status, summary=str(exc))
        return TestResult(ok=True, status=200, summary=f"GET {path}: {str(answer)[:500]}")

    def _project_key(self, text: str, pattern: str) -> str:
        """"owner/repo#12" from a URL, "#12", "12" (with the default project) or the key itself."""
        text = text.strip()
        match = re.search(pattern, text)
        if match:
            return f"{match.group('project')}#{match.group('number')}"
        match = re.fullmatch(r"(?:(?P<project>[\w.\-/]+)#)?#?(?P<number>\d+)", text)
        if match:
            project = match.group("project") or self.connection.default_project
            if project:
                return f"{project.strip('/')}#{match.group('number')}"
        raise InvalidInput(_("Enter the issue's number or its address."))


class RedmineClient(Client):
    kind = TrackerKind.REDMINE

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "X-Redmine-API-Key": self.connection.token}

    def parse_reference(self, text: str) -> str:
        match = re.fullmatch(r"\s*(?:.*/issues/)?#?(\d+)(?:[/?#].*)?\s*", text)
        if not match:
            raise InvalidInput(_("Enter the issue's number or its address."))
        return match.group(1)

    def issue(self, data: dict[str, Any]) -> IssueData:
        status = data.get("status") or {}
        key = str(data.get("id", ""))
        return IssueData(
            key=key, title=_text(data.get("subject")), status=_text(status.get("name")),
            is_closed=bool(status.get("is_closed", False)) or data.get("closed_on") is not None,
            assignee=_text((data.get("assigned_to") or {}).get("name")), url=f"{self.base}/issues/{key}",
        )

    def fetch_issue(self, key: str) -> IssueData:
        return self.issue(self.request("GET", f"/issues/{quote(key)}.json").get("issue") or {})

    def create_issue(self, *, project: str, subject: str, description: str) -> IssueData:
        answer = self.request("POST", "/issues.json", json={
            "issue": {"project_id": project, "subject": subject, "description": description},
        })
        return self.issue(answer.get("issue") or {})

    def whoami(self) -> tuple[str, Any]:
        return "/users/current.json", self.request("GET", "/users/current.json")


class JiraClient(Client):
    kind = TrackerKind.JIRA

    def auth(self) -> httpx.Auth | None:
        import httpx

        # Jira Cloud: email + API token over basic auth; Data Center: a personal access token as bearer.
        if self.connection.username:
            return httpx.BasicAuth(self.connection.username, self.connection.token)
        return None

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if not self.connection.username:
            headers["Authorization"] = f"Bearer {self.connection.token}"
        return headers

    def parse_reference(self, text: str) -> str:
        match = re.search(r"(?:^|/browse/|\s)([A-Za-z][A-Za-z0-9_]+-\d+)\b", text.strip())
        if match:
            return match.group(1).upper()
        number = re.fullmatch(r"\s*#?(\d+)\s*", text)
        if number and self.connection.default_project:
            return f"{self.connection.default_project.upper()}-{number.group(1)}"
        raise InvalidInput(_("Enter the issue's key (PROJ-123) or its address."))

    def issue(self, data: dict[str, Any]) -> IssueData:
        fields = data.get("fields") or {}
        status = fields.get("status") or {}
        key = _text(data.get("key"))
        return IssueData(
            key=key, title=_text(fields.get("summary")), status=_text(status.get("name")),
            is_closed=(status.get("statusCategory") or {}).get("key") == "done",
            labels=[label for label in fields.get("labels") or [] if isinstance(label, str)],
            assignee=_text((fields.get("assignee") or {}).get("displayName")), url=f"{self.base}/browse/{key}",
        )

    def fetch_issue(self, key: str) -> IssueData:
        return self.issue(self.request("GET", f"/rest/api/2/issue/{quote(key)}?fields=summary,status,assignee,labels"))

    def create_issue(self, *, project: str, subject: str, description: str) -> IssueData:
        answer = self.request("POST", "/rest/api/2/issue", json={"fields": {
            "project": {"key": project}, "summary": subject, "description": description,
            "issuetype": {"name": "Task"},
        }})
        return self.fetch_issue(_text(answer.get("key")))

    def whoami(self) -> tuple[str, Any]:
        return "/rest/api/2/myself", self.request("GET", "/rest/api/2/myself")


class GitLabClient(Client):
    kind = TrackerKind.GITLAB

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "PRIVATE-TOKEN": self.connection.token}

    def parse_reference(self, text: str) -> str:
        return self._project_key(text, r"https?://[^/]+/(?P<project>.+?)/-/issues/(?P<number>\d+)")

    def issue(self, data: dict[str, Any], project: str) -> IssueData:
        assignees = data.get("assignees") or ([data["assignee"]] if data.get("assignee") else [])
        labels = [label if isinstance(label, str) else _text(label.get("title")) for label in data.get("labels") or []]
        state = _text(data.get("state"))
        return IssueData(
            key=f"{project}#{data.get('iid')}", title=_text(data.get("title")), status=state,
            is_closed=state == "closed", labels=labels,
            assignee=", ".join(_text(person.get("name")) for person in assignees if isinstance(person, dict)),
            url=_text(data.get("web_url") or data.get("url")),
        )

    def fetch_issue(self, key: str) -> IssueData:
        project, _sep, number = key.rpartition("#")
        return self.issue(self.request("GET", f"/api/v4/projects/{quote(project, safe='')}/issues/{number}"), project)

    def create_issue(self, *, project: str, subject: str, description: str) -> IssueData:
        answer = self.request("POST", f"/api/v4/projects/{quote(project, safe='')}/issues",
                              json={"title": subject, "description": description})
        return self.issue(answer, project)

    def whoami(self) -> tuple[str, Any]:
        return "/api/v4/user", self.request("GET", "/api/v4/user")


class GitHubClient(Client):
    kind = TrackerKind.GITHUB

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/vnd.github+json", "Authorization": f"Bearer {self.connection.token}",
                "X-GitHub-Api-Version": "2022-11-28"}

    def parse_reference(self, text: str) -> str:
        return self._project_key(text, r"https?://[^/]+/(?P<project>[^/]+/[^/]+)/issues/(?P<number>\d+)")

    def issue(self, data: dict[str, Any], project: str) -> IssueData:
        state = _text(data.get("state"))
        return IssueData(
            key=f"{project}#{data.get('number')}", title=_text(data.get("title")), status=state,
            is_closed=state == "closed",
            labels=[_text(label.get("name")) for label in data.get("labels") or [] if isinstance(label, dict)],
            assignee=_text((data.get("assignee") or {}).get("login")), url=_text(data.get("html_url")),
        )

    def fetch_issue(self, key: str) -> IssueData:
        project, _sep, number = key.rpartition("#")
        return self.issue(self.request("GET", f"/repos/{project}/issues/{number}"), project)

    def create_issue(self, *, project: str, subject: str, description: str) -> IssueData:
        answer = self.request("POST", f"/repos/{project.strip('/')}/issues",
                              json={"title": subject, "body": description})
        return self.issue(answer, project.strip("/"))

    def whoami(self) -> tuple[str, Any]:
        return "/user", self.request("GET", "/user")


CLIENTS: dict[str, type[Client]] = {
    TrackerKind.REDMINE: RedmineClient, TrackerKind.JIRA: JiraClient,
    TrackerKind.GITLAB: GitLabClient, TrackerKind.GITHUB: GitHubClient,
}


def client_for(connection: TrackerConnection) -> Client:
    return CLIENTS[connection.kind](connection)
