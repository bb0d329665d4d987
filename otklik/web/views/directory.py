"""The people and organization directory of the agent workspace, and the phone form's requester look-up.

Who may see whom is `access.people_visible_to` / `organizations_visible_to`; a person's or organization's
tickets are only those the viewer may see (`tickets_visible_to`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from otklik.accounts import selectors
from otklik.accounts.access import people_visible_to, tickets_visible_to
from otklik.accounts.decorators import staff_required
from otklik.core.errors import NotFound
from otklik.tickets.models import Ticket
from otklik.web.views.base import current_user

# The most people the phone form's look-up offers at once: the agent types more to narrow it down.
LOOKUP_LIMIT = 10
# Organizations shown above the people that match a search.
ORGANIZATION_HITS = 10


@dataclass(frozen=True)
class Page:
    """One page of a list by offset, with the numbers for "1–50 of N"."""

    rows: list[Any]
    total: int
    start: int
    size: int

    @property
    def first_number(self) -> int:
        return self.start + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        return self.start + len(self.rows)

    @property
    def prev_start(self) -> int | None:
        return max(self.start - self.size, 0) if self.start > 0 else None

    @property
    def next_start(self) -> int | None:
        return self.start + self.size if self.start + self.size < self.total else None


def _page(rows: QuerySet[Any], raw_start: str, size: int | None = None) -> Page:
    """A page of rows (one query) and their count (one query), whatever the page's length."""
    size = size or int(getattr(settings, "OTKLIK_LIST_PAGE_SIZE", 50))
    start = int(raw_start) if raw_start.isdigit() and len(raw_start) < 10 else 0
    total = rows.count()
    if start >= total:
        start = max((total - 1) // size * size, 0)
    return Page(rows=list(rows[start:start + size]), total=total, start=start, size=size)


def _tickets(viewer: Any) -> QuerySet[Ticket]:
    return tickets_visible_to(viewer).select_related("status", "priority", "assignee", "team").order_by(
        "-updated_at", "-pk"
    )


@staff_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    """Search people by name, email, phone or organization; organizations that match are listed too."""
    viewer = current_user(request)
    text = request.GET.get("q", "").strip()[:200]
    page = _page(selectors.people_search(viewer, text), request.GET.get("start", ""))
    organizations = list(selectors.organizations_search(viewer, text)[:ORGANIZATION_HITS]) if text else []
    return render(request, "web/agent/people.html", {
        "q": text, "page": page, "organizations": organizations,
    })


@staff_required
@require_GET
def person(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = current_user(request)
    try:
        someone = selectors.person_get_for(viewer, pk)
    except NotFound as error:
        raise Http404 from error
    page = _page(_tickets(viewer).filter(requester_id=someone.pk), request.GET.get("start", ""))
    return render(request, "web/agent/person.html", {
        "someone": someone, "page": page,
        "new_ticket_url": reverse("ticket_new") + "?" + urlencode({"requester": someone.email}),
        "all_tickets_url": reverse("home") + "?" + urlencode({"requester": someone.email}),
    })


@staff_required
@require_GET
def organization(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = current_user(request)
    try:
        found = selectors.organization_get_for(viewer, pk)
    except NotFound as error:
        raise Http404 from error
    members = _page(
        people_visible_to(viewer).filter(organization_id=found.pk).order_by("last_name", "first_name", "pk"),
        request.GET.get("people_start", ""),
    )
    tickets = _page(_tickets(viewer).filter(organization_id=found.pk).select_related("requester"),
                    request.GET.get("start", ""))
    return render(request, "web/agent/organization.html", {
        "organization": found, "members": members, "page": tickets,
        "all_tickets_url": reverse("home") + "?" + urlencode({"organization": found.pk}),
    })


@staff_required
@require_GET
def people_lookup(request: HttpRequest) -> JsonResponse:
    """The phone form's look-up: people matching what the agent typed (at least two characters), as JSON."""
    viewer = current_user(request)
    text = request.GET.get("q", "").strip()[:200]
    if len(text) < 2:
        return JsonResponse({"results": []})
    found = selectors.people_search(viewer, text).filter(is_active=True)[:LOOKUP_LIMIT]
    return JsonResponse({"results": [
        {
            "id": someone.pk, "name": someone.get_full_name().strip(), "email": someone.email,
            "phone": someone.phone, "organization": someone.organization.name if someone.organization else "",
        }
        for someone in found
    ]})
