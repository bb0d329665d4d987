"""The agent's ticket page's secondary panels, loaded by HTMX after the page (issue #16, fourth round).

The first response carries the header, the conversation (its latest messages), the reply box and the
requester's card; the panels that read their own rows (SLA clocks, macros, tags, tracker issues, the
reply box's canned replies and article picker, the requester's other tickets and ratings) come after it,
all in one request (`ticket_panels`, each swapped into its slot), so the page is not held by them and
the per-request cost (session, user, the access check) is paid once, not per panel. Each panel is also
its own GET (`ticket_panel`), and earlier messages come from `timeline_earlier`. Every one asks the
page's own question first (`web.selectors.ticket_handled_by_number`: visible, then `access.handles`) and
answers 404 where the page would not show its staff side.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from otklik.accounts.decorators import staff_required
from otklik.accounts.models import User
from otklik.core.errors import NotFound
from otklik.tickets.models import Ticket
from otklik.web import selectors
from otklik.web.canned import canned_replies_for
from otklik.web.views.base import current_user
from otklik.web.views.ticket import timeline_context


def _handled(request: HttpRequest, number: int) -> tuple[User, Ticket]:
    viewer = current_user(request)
    try:
        return viewer, selectors.ticket_handled_by_number(viewer, number)
    except NotFound as error:
        raise Http404 from error


# name -> the template of one panel; each renders inside a wrapper with a stable id (its slot on the page).
PANELS = {
    "sla": "web/agent/panels/sla.html",
    "macros": "web/agent/panels/macros.html",
    "tags": "web/agent/panels/tags.html",
    "trackers": "web/agent/panels/trackers.html",
    "reply_tools": "web/agent/panels/reply_tools.html",
    "requester": "web/agent/panels/requester.html",
}


def _context(request: HttpRequest, viewer: User, ticket: Ticket, names: set[str]) -> dict[str, Any]:
    """What the named panels read beyond their template tags (which read their own rows)."""
    context: dict[str, Any] = {
        "ticket": ticket, "list_param": request.GET.get("list", ""), "panels": [PANELS[name] for name in PANELS
                                                                              if name in names],
    }
    if "reply_tools" in names:  # in the agent's language, as the reply box offered them
        context["canned_replies"] = list(canned_replies_for(viewer, get_language() or ""))
    if "requester" in names:
        context["other_tickets"] = selectors.requester_other_tickets(viewer, ticket)
        context["ratings"] = list(ticket.ratings.all())
    return context


@staff_required
@require_GET
def ticket_panels(request: HttpRequest, number: int) -> HttpResponse:
    """Every panel at once, each swapped into its slot (out of band): what the page asks for after it
    loads. One request, so the access check and the request's own cost are paid once, not per panel."""
    viewer, ticket = _handled(request, number)
    context = _context(request, viewer, ticket, set(PANELS))
    return render(request, "web/agent/panels/all.html", {**context, "oob": True})


@staff_required
@require_GET
def ticket_panel(request: HttpRequest, number: int, name: str) -> HttpResponse:
    """One panel, for a refresh of it alone or a browser without JavaScript."""
    if name not in PANELS:
        raise Http404()
    viewer, ticket = _handled(request, number)
    return render(request, PANELS[name], _context(request, viewer, ticket, {name}))


@staff_required
@require_GET
def timeline_earlier(request: HttpRequest, number: int) -> HttpResponse:
    """The conversation before a message (`?before=<message id>`), a page at a time, oldest last loaded."""
    viewer, ticket = _handled(request, number)
    before = request.GET.get("before", "")
    context = timeline_context(viewer, ticket, before=int(before) if before.isdigit() else None)
    return render(request, "web/agent/ticket.html#timeline-items", {**context, "oob": False})
