"""Zammad's REST API with an access token: organizations, users, tickets and each ticket's articles
(with their attachments), read page by page (`page`, `per_page`) until a short page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.utils.translation import gettext as _

from otklik.imports.readers.base import ReaderError, Row
from otklik.imports.readers.values import ValueProblem, parse_datetime, text
from otklik.imports.records import (
    AttachmentRecord,
    MessageRecord,
    OrgRecord,
    PersonRecord,
    RowProblem,
    TicketRecord,
)

STATUS_GUESSES = {
    "new": "new",
    "open": "open",
    "pending reminder": "on_hold",
    "pending close": "waiting_customer",
    "closed": "closed",
    "merged": "closed",
    "removed": "closed",
}
STAFF_ROLE_IDS = {1, 2}  # Zammad's built-in Admin and Agent roles
SYSTEM_USER_ID = 1  # "-": the owner of unassigned tickets
CHANNELS = {
    "email": "email",
    "phone": "phone",
    "web": "web",
    "twitter": "web",
    "telegram": "telegram",
    "chat": "chat",
    "note": "web",
}


class ZammadReader:
    source = "zammad"
    status_guesses = STATUS_GUESSES

    def __init__(self, *, url: str, token: str, tz: ZoneInfo, per_page: int = 100, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ReaderError(_("The Zammad address must start with http:// or https://."))
        if not token:
            raise ReaderError(_("A Zammad access token is required."))
        self.tz = tz
        self.per_page = max(1, per_page)
        self.client = httpx.Client(
            base_url=url.rstrip("/"), timeout=timeout, headers={"Authorization": f"Token token={token}"}
        )
        self.orgs: dict[int, OrgRecord] = {}
        self.users: dict[int, PersonRecord] = {}

    def _get(self, path: str, **params: Any) -> Any:
        try:
            response = self.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise ReaderError(_("Zammad cannot be reached: %(error)s") % {"error": exc}) from exc
        if response.status_code in (401, 403):
            raise ReaderError(_("Zammad refused the token (HTTP %(status)s).") % {"status": response.status_code})
        if response.status_code >= 400:
            raise ReaderError(
                _("Zammad answered HTTP %(status)s for %(path)s.") % {"status": response.status_code, "path": path}
            )
        return response.json() if "json" in response.headers.get("content-type", "") else response.content

    def _paged(self, path: str) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            items = self._get(path, page=page, per_page=self.per_page, expand="true")
            if not isinstance(items, list):
                raise ReaderError(_("Zammad answered %(path)s with something other than a list.") % {"path": path})
            yield from items
            if len(items) < self.per_page:
                return
            page += 1

    def total(self) -> int | None:
        return None  # Zammad's lists carry no totals; progress shows rows read

    def rows(self, skip: int) -> Iterator[Row]:
        count = 0
        for org in self._paged("/api/v1/organizations"):
            record = OrgRecord(external_id=str(org["id"]), name=text(org.get("name")), domain=text(org.get("domain")))
            self.orgs[int(org["id"])] = record
            count += 1
            if count > skip:
                yield Row(record, org)
        for user in self._paged("/api/v1/users"):
            if int(user["id"]) == SYSTEM_USER_ID:
                continue  # Zammad's placeholder "-", nobody to import
            roles = set(user.get("role_ids") or [])
            person = PersonRecord(
                external_id=str(user["id"]),
                email=text(user.get("email")),
                name=f"{text(user.get('firstname'))} {text(user.get('lastname'))}".strip(),
                organization=self.orgs.get(int(user.get("organization_id") or 0)),
                is_staff=bool(roles & STAFF_ROLE_IDS),
                phone=text(user.get("phone")),
            )
            self.users[int(user["id"])] = person
            count += 1
            if count > skip:
                yield Row(person, user)
        try:
            for ticket in self._paged("/api/v1/tickets"):
                count += 1
                if count <= skip:
                    continue
                try:
                    yield Row(self._ticket(ticket), ticket)
                except ValueProblem as problem:
                    yield Row(RowProblem("ticket", str(ticket.get("id")), str(problem)), ticket)
        finally:
            self.client.close()

    def _when(self, value: object, column: str) -> datetime | None:
        return parse_datetime(value, self.tz, column)

    def _ticket(self, data: dict[str, Any]) -> TicketRecord:
        created = self._when(data.get("created_at"), "created_at")
        if created is None:
            raise ValueProblem(_("The ticket has no creation time."))
        requester = self.users.get(int(data.get("customer_id") or 0))
        if requester is None:
            raise ValueProblem(_("The ticket's customer %(id)s does not exist.") % {"id": data.get("customer_id")})
        messages = []
        for article in self._get(f"/api/v1/ticket_articles/by_ticket/{int(data['id'])}"):
            body = text(article.get("body"))
            is_html = "html" in text(article.get("content_type"))
            author = self.users.get(int(article.get("created_by_id") or 0))
            files = [
                AttachmentRecord(
                    external_id=str(item["id"]),
                    filename=text(item.get("filename")),
                    content=self._get(
                        f"/api/v1/ticket_attachment/{int(data['id'])}/{int(article['id'])}/{int(item['id'])}"
                    ),
                    content_type=text((item.get("preferences") or {}).get("Content-Type")),
                )
                for item in article.get("attachments") or []
            ]
            messages.append(
                MessageRecord(
                    external_id=str(article["id"]),
                    author=author,
                    body_text="" if is_html else body,
                    body_html=body if is_html else "",
                    is_internal=bool(article.get("internal")),
                    created_at=self._when(article.get("created_at"), "article.created_at") or created,
                    attachments=files,
                )
            )
        owner = int(data.get("owner_id") or 0)
        state = text(data.get("state")) or str(data.get("state_id") or "")
        priority = text(data.get("priority")).split(" ", 1)[-1]  # "2 normal" -> "normal"
        closed = self._when(data.get("close_at"), "close_at")
        number = text(data.get("number"))
        return TicketRecord(
            external_id=str(data["id"]),
            number=int(number) if number.isdigit() else None,
            subject=text(data.get("title")),
            requester=requester,
            status=state,
            created_at=created,
            updated_at=self._when(data.get("updated_at"), "updated_at"),
            resolved_at=closed,
            closed_at=closed,
            priority=priority,
            assignee=self.users.get(owner) if owner != SYSTEM_USER_ID else None,
            team=text(data.get("group")),
            channel=CHANNELS.get(text(data.get("create_article_type")), "web"),
            organization=self.orgs.get(int(data.get("organization_id") or 0)),
            messages=messages,
        )
