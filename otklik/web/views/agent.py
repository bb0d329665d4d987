"""The agent's lists: queues, filters, saved views, bulk actions, search, new tickets by phone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.decorators import staff_required
from otklik.accounts.selectors import organizations_search, people_search
from otklik.accounts.services import requester_for_email, user_set_phone
from otklik.automation.macros import macro_apply_bulk
from otklik.core.errors import DomainError, NotFound
from otklik.core.sql import key_in
from otklik.reports.drill import drill_tickets
from otklik.reports.exports import FORMATS, streamed, tickets_table
from otklik.search.filters import with_text_matches
from otklik.search.selectors import Found, SearchTooSlow, search_found
from otklik.sla.selectors import attach_clocks
from otklik.tickets import changes, services
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import Ticket
from otklik.tickets.selectors import TicketFilters
from otklik.tickets.uploads import upload_limit
from otklik.web import selectors
from otklik.web import services as web_services
from otklik.web.columns import column_choices, columns_for, columns_set
from otklik.web.forms import (
    BulkForm,
    OnBehalfForm,
    SavedViewForm,
    TicketFilterForm,
    add_service_field_errors,
    as_inbound,
)
from otklik.web.models import SavedView
from otklik.web.queues import default_queue, queue_counts, queues
from otklik.web.views.base import current_user, report_error

# People and organizations shown above the tickets a search finds; the People page has the rest.
DIRECTORY_HITS = 5
# The most tickets one search pages through; a search finding more says so and asks for more words.
SEARCH_LIMIT = 1000

LIST_PARAMS = ("q", "queue", "status", "priority", "category", "team", "assignee", "requester", "organization",
               "source", "request_type", "created_from", "created_to", "updated_from", "updated_to", "sort",
               "report", "tag")


def list_query(params: QueryDict) -> str:
    """The list-defining part of a query string (no cursor), as saved views and "next ticket" keep it."""
    kept = [(key, value) for key in LIST_PARAMS for value in params.getlist(key) if value]
    return urlencode(kept)


def _start(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def _list_context(request: HttpRequest) -> dict[str, Any]:
    viewer = current_user(request)
    counts = queue_counts(viewer)
    params: QueryDict = request.GET
    if not any(params.get(key) for key in LIST_PARAMS):
        # A bare address lands on work to do (never on closed tickets), chosen from the counts above.
        params = request.GET.copy()
        params["queue"] = default_queue(viewer, counts)
    form = TicketFilterForm(params, viewer=viewer)
    filters = with_text_matches(viewer, form.filters())
    report = _report_param(request)
    # A queue shown as it is: its count above is the list's total, no second count needed.
    known = counts.get(form.queue_key()) if filters == TicketFilters() and not report else None
    page = selectors.ticket_list_page(
        viewer, filters, sort=form.sort_key(), queue=form.queue_key(), cursor=params.get("cursor", ""),
        before=params.get("before", ""), start=_start(params.get("start", "")),
        size=int(getattr(settings, "OTKLIK_LIST_PAGE_SIZE", 50)), report=report,
        count=not request.htmx,  # type: ignore[attr-defined]  # the polling refresh shows no total
        total=known,
    )
    attach_clocks(page.rows)  # one query for the SLA badges of the whole page
    query = list_query(params)
    size = int(getattr(settings, "OTKLIK_LIST_PAGE_SIZE", 50))
    return {
        "columns": columns_for(viewer),
        "prev_start": max(page.start - size, 0),
        # The refresh keeps the list it shows, even when the landing queue was chosen for the agent.
        "poll_url": request.get_full_path() if params is request.GET else "?" + query,
        "form": form,
        "page": page,
        "queue_key": form.queue_key(),
        "sort": form.sort_key(),
        "queues": [(queue, counts.get(queue.key, 0)) for queue in queues()],
        "list_query": query,
        # Each row's links carry the list, so "next ticket" knows where to go.
        "row_suffix": "?" + urlencode({"list": query}) if query else "",
        "has_filters": any(params.get(key) for key in LIST_PARAMS if key not in {"queue", "sort"}),
        "filter_errors": form.error_list(),
        # Opened from a report's number: the list's total, which equals that number.
        "report_total": selectors.ticket_list_query(viewer, filters, sort=form.sort_key(), queue=form.queue_key(),
                                                    report=report).count() if report else None,
    }


def _report_param(request: HttpRequest) -> str:
    """The `report` parameter when it names a valid report number; a broken one is reported and ignored."""
    report = request.GET.get("report", "")
    if not report:
        return ""
    try:
        drill_tickets(current_user(request), report)
    except DomainError as error:
        report_error(request, error, report=report[:200])
        return ""
    return report


def _export(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    """The list with its filters as a streamed CSV/XLSX file: every row, not one page."""
    viewer = current_user(request)
    form = TicketFilterForm(request.GET, viewer=viewer)
    tickets = selectors.ticket_list_query(viewer, form.filters(), sort=form.sort_key(), queue=form.queue_key(),
                                          report=_report_param(request))
    return streamed(tickets_table(tickets), fmt, "tickets")


@staff_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponseBase:
    fmt = request.GET.get("format", "")
    if fmt in FORMATS:
        return _export(request, fmt)
    context = _list_context(request)
    if request.htmx:  # type: ignore[attr-defined]
        # The polling refresh: rows of the same page plus the queue counts, swapped out of band.
        return render(request, "web/agent/list.html#refresh", context)
    viewer = current_user(request)
    context["saved_views"] = list(SavedView.objects.filter(owner=viewer))
    context["bulk_form"] = BulkForm(viewer=viewer)
    context["saved_view_form"] = SavedViewForm(initial={"query": context["list_query"]})
    shown = context["columns"]
    context["column_rows"] = [(key, label, shown.index(key) + 1 if key in shown else None)
                              for key, label in column_choices()]
    return render(request, "web/agent/list.html", context)


@staff_required
@require_POST
def list_columns(request: HttpRequest) -> HttpResponse:
    """Save the agent's choice of list columns: the ticked ones, ordered by their numbers."""
    viewer = current_user(request)
    back = reverse("home") + ("?" + request.POST["back"] if request.POST.get("back") else "")
    shown = request.POST.getlist("show")

    def position(key: str) -> tuple[int, int]:
        raw = request.POST.get(f"order_{key}", "")
        return (int(raw) if raw.isdigit() and len(raw) < 4 else 999, shown.index(key))

    try:
        columns_set(agent=viewer, columns=None if request.POST.get("reset") else sorted(shown, key=position))
    except DomainError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The list's columns were saved."))
    return redirect(back)


@staff_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the view a name."))
        return redirect("home")
    query = list_query(QueryDict(form.cleaned_data["query"]))
    _view, created = web_services.saved_view_save(owner=viewer, name=form.cleaned_data["name"], query=query)
    if created:
        messages.success(request, _("The view “%(name)s” was saved.") % {"name": form.cleaned_data["name"]})
    else:
        messages.success(request, _("The view “%(name)s” was updated.") % {"name": form.cleaned_data["name"]})
    return redirect(reverse("home") + ("?" + query if query else ""))


@staff_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        view = web_services.saved_view_delete(owner=current_user(request), view_id=pk)
    except NotFound as error:
        raise Http404() from error
    messages.success(request, _("The view “%(name)s” was deleted.") % {"name": view.name})
    return redirect("home")


@staff_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply one change to the chosen tickets; each ticket is its own transaction, refusals are counted."""
    viewer = current_user(request)
    form = BulkForm(request.POST, viewer=viewer)
    back = reverse("home") + ("?" + request.POST["back"] if request.POST.get("back") else "")
    if not form.is_valid() or not form.cleaned_data["tickets"]:
        messages.error(request, _("Choose tickets and an action."))
        return redirect(back)
    data = form.cleaned_data
    now = timezone.now()
    done, refused = 0, 0
    if data["action"] == "macro":
        try:
            outcome = macro_apply_bulk(actor=viewer, ticket_ids=data["tickets"], macro_id=data["macro"], now=now)
        except DomainError as error:
            report_error(request, error, macro=data["macro"])
            return redirect(back)
        done, refused = outcome.done, outcome.refused
    for ticket_id in data["tickets"] if data["action"] != "macro" else ():
        try:
            if data["action"] == "assign":
                changes.ticket_assign(actor=viewer, ticket_id=ticket_id, assignee=data["assignee"], now=now)
            elif data["action"] == "status":
                changes.ticket_change_status(actor=viewer, ticket_id=ticket_id, status=data["status"], now=now)
            elif data["action"] == "priority":
                changes.ticket_change_priority(actor=viewer, ticket_id=ticket_id, priority=data["priority"],
                                                now=now)
            elif data["action"] == "team":
                changes.ticket_change_team(actor=viewer, ticket_id=ticket_id, team=data["team"], now=now)
            done += 1
        except DomainError:
            refused += 1
    if done:
        messages.success(request, ngettext("%(count)s ticket updated.", "%(count)s tickets updated.", done)
                         % {"count": done})
    if refused:
        messages.warning(request, ngettext("%(count)s ticket could not be changed.",
                                           "%(count)s tickets could not be changed.", refused) % {"count": refused})
    return redirect(back)


@staff_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """A request taken by phone: the requester (looked up or new), the request type's fields, files, and it
    is in the queue. Filed through the one create service, like every channel."""
    viewer = current_user(request)
    language = get_language() or ""
    # "Show its fields" without JavaScript: the typed values come back with the chosen type's fields,
    # unvalidated (no errors yet) and nothing filed.
    refreshing = request.method == "POST" and "refresh" in request.POST
    if refreshing:
        form = OnBehalfForm(uploader=viewer, language=language, initial=request.POST.dict(),
                            request_type_id=request.POST.get("request_type", ""))
    else:
        form = OnBehalfForm(
            request.POST or None, request.FILES or None, uploader=viewer, language=language,
            request_type_id=request.GET.get("request_type", ""),
            initial={"requester_email": request.GET.get("requester", "")},
        )
    if request.method == "POST" and not refreshing and form.is_valid():
        ticket = _file_phone_call(request, form)
        if ticket is not None:
            messages.success(request, _("Ticket #%(number)s was created.") % {"number": ticket.number})
            return redirect("ticket", number=ticket.number)
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return render(request, "web/agent/new.html#type-fields", {"form": form})
    return render(request, "web/agent/new.html", {
        "form": form, "upload_limit_mb": round(upload_limit(viewer) / 1024 / 1024, 1),
    })


def _file_phone_call(request: HttpRequest, form: OnBehalfForm) -> Ticket | None:
    viewer = current_user(request)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            requester = requester_for_email(
                data["requester_email"], name=data["requester_name"], error_field="requester_email"
            )
            if data["requester_phone"] and not requester.phone:
                user_set_phone(actor=viewer, user=requester, phone=data["requester_phone"])
            options: dict[str, Any] = {"fields": form.field_values(),
                                       "attachments": as_inbound(data["attachments"])}
            for name in ("request_type", "category", "priority"):
                if data[name] is not None:
                    options[name] = data[name]
            ticket = services.ticket_create_on_behalf(
                actor=viewer, requester=requester, subject=data["subject"], body_text=data["body"],
                source=data["source"], now=timezone.now(), **options,
            )
            if data["assign_to_me"]:
                changes.ticket_assign(actor=viewer, ticket_id=ticket.pk, assignee=viewer, now=timezone.now())
    except DomainError as error:
        report_error(request, error)
        add_service_field_errors(form, getattr(error, "errors", {}))
        return None
    return ticket


@staff_required
@require_GET
def ticket_next(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket after this one in the list the agent came from."""
    viewer = current_user(request)
    try:
        current = ticket_selectors.ticket_get_by_number_for(viewer, number)
    except NotFound as error:
        raise Http404 from error
    params = QueryDict(request.GET.get("list", ""))
    form = TicketFilterForm(params, viewer=viewer)
    following = selectors.ticket_after(viewer, form.filters(), sort=form.sort_key(), queue=form.queue_key(),
                                       current=current)
    if following is None:
        messages.info(request, _("This was the last ticket of the list."))
        return redirect(reverse("home") + ("?" + params.urlencode() if params else ""))
    url = reverse("ticket", kwargs={"number": following.number})
    return redirect(url + ("?" + urlencode({"list": params.urlencode()}) if params else ""))


@staff_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search; a ticket number goes straight to its ticket."""
    viewer = current_user(request)
    text = request.GET.get("q", "").strip()
    number = text.lstrip("#").strip()
    if number.isdigit():
        found = (ticket_selectors.ticket_list(viewer).filter(number=int(number)).values_list("number", flat=True)
                 .first())
        if found is not None:
            return redirect("ticket", number=found)
    # Every hit's id (cheap), one page of tickets read: the count is the number of tickets found.
    try:
        matches = search_found(viewer, text, limit=SEARCH_LIMIT) if text else Found([], more=False)
    except SearchTooSlow as error:
        matches, stopped = Found([], more=False), error.message
    else:
        stopped = ""
    hits = matches.hits
    size = int(getattr(settings, "OTKLIK_LIST_PAGE_SIZE", 50))
    pages = max((len(hits) + size - 1) // size, 1)
    raw_page = request.GET.get("page", "1")
    page_number = min(max(int(raw_page), 1), pages) if raw_page.isdigit() and len(raw_page) < 6 else 1
    shown = hits[(page_number - 1) * size: page_number * size]
    # `search_found` answers only with tickets the viewer may see (and notes only where they handle the ticket),
    # so the shown page is read by key with what its rows print, not through the scope again.
    shown_tickets = Ticket.objects.filter(key_in(Ticket, [hit.ticket_id for hit in shown]))
    tickets = {ticket.pk: ticket for ticket in shown_tickets.select_related("status", "priority", "requester")
               } if shown else {}
    results = [(hit, tickets[hit.ticket_id]) for hit in shown if hit.ticket_id in tickets]
    # The same box finds people and organizations (the directory's own rule decides whom the viewer sees).
    people = list(people_search(viewer, text)[:DIRECTORY_HITS]) if text else []
    organizations = list(organizations_search(viewer, text)[:DIRECTORY_HITS]) if text else []
    return render(request, "web/agent/search.html", {
        "people": people, "organizations": organizations,
        "q": text, "results": results, "total": len(hits), "page_number": page_number, "pages": pages,
        "first_number": (page_number - 1) * size + 1, "last_number": (page_number - 1) * size + len(shown),
        "at_limit": matches.more, "stopped": stopped,
    })
