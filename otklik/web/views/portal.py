"""The requester portal: the catalogue, submitting a request, my requests, the conversation, rating."""

from __future__ import annotations

import time
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.models import User
from otklik.core.errors import DomainError, NotFound
from otklik.core.sql import key_in
from otklik.search.selectors import search
from otklik.sla.selectors import promised_reply_by
from otklik.tickets import changes, services, uploads
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import DONE_KINDS, StatusKind, Ticket, TicketRating
from otklik.web import selectors
from otklik.web.forms import (
    PortalRequestForm,
    RatingForm,
    ReplyForm,
    add_service_field_errors,
    as_inbound,
)
from otklik.web.links import SESSION_KEY
from otklik.web.views.base import current_user, report_error, report_form_errors
from otklik.web.views.ticket import custom_fields


def granted_user(request: HttpRequest, ticket_number: int) -> User | None:
    """The requester a password-less link let in for this one ticket, while the grant lasts."""
    grants: dict[str, dict[str, Any]] = request.session.get(SESSION_KEY, {})
    grant = grants.get(str(ticket_number))
    if not grant or grant.get("exp", 0) < time.time() or not isinstance(grant.get("u"), int):
        return None
    return User.objects.filter(pk=grant["u"], is_active=True).first()


def portal_viewer(request: HttpRequest, number: int) -> tuple[User, Ticket]:
    """Who looks at this ticket in the portal (signed in, or through a link) and the ticket; else 404."""
    viewer: User | None = request.user if isinstance(request.user, User) else granted_user(request, number)
    if viewer is None:
        raise Http404()
    try:  # one read: visibility (remembered for the page's checks), the people, the configuration
        return viewer, ticket_selectors.ticket_read_by_number(viewer, number)
    except NotFound as error:
        raise Http404 from error


@login_required
@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    scope = "organization" if request.GET.get("scope") == "organization" else "mine"
    shares = bool(user.organization_id and user.organization and user.organization.shares_tickets)
    if scope == "organization" and not shares:
        scope = "mine"
    state = request.GET.get("state", "")
    state = state if state in {"open", "closed"} else ""
    text = request.GET.get("q", "").strip()[:200]
    tickets = selectors.portal_tickets(user, scope)
    if state:
        done = Q(status__kind__in=DONE_KINDS)
        tickets = tickets.filter(done if state == "closed" else ~done)
    if text:
        number = text.lstrip("#")
        # The subject, the number, or what the full-text index finds in the messages this person may read.
        matched = Q(subject__icontains=text) | key_in(Ticket, [hit.ticket_id for hit in search(user, text, limit=500)])
        if number.isdigit():
            matched |= Q(number=int(number))
        tickets = tickets.filter(matched)
    # Requests still in progress first, newest change first within each half.
    tickets = tickets.annotate(
        is_done=Case(When(status__kind__in=DONE_KINDS, then=Value(1)), default=Value(0), output_field=IntegerField()),
        # Rated for its latest resolution: the status then thanks instead of asking for a rating.
        is_rated=Exists(TicketRating.objects.filter(ticket_id=OuterRef("pk"), resolved_at=OuterRef("resolved_at"))),
    ).order_by("is_done", "-updated_at", "-id")
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(request, "web/portal/home.html", {"page": page, "scope": scope, "shares": shares,
                                                    "state": state, "q": text})


@login_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    text = request.GET.get("q", "")
    types = list(selectors.request_types_for(user, text))
    # Grouped by the stored (English) group; headed by its name in the reader's language.
    groups = [(items[0].group_label or _("Other"), items)
              for items in (list(group_items) for _group, group_items in groupby(types, key=lambda t: t.group))]
    return render(request, "web/portal/catalogue.html", {"groups": groups, "q": text})


@login_required
def submit(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    # From the cached configuration, with the rows a new ticket takes from its type (no query each while
    # creating), then the one submit rule: the same answer as finding it in `request_types_for(user)`.
    request_type = ticket_selectors.request_type_configured(code)
    if request_type is None or not ticket_selectors.request_type_may_submit(user, request_type):
        raise Http404()
    form = PortalRequestForm(request.POST or None, request.FILES or None, request_type=request_type,
                             requester=user, language=get_language() or "")
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(
                actor=user, requester=user, subject=form.cleaned_data["subject"],
                body_text=form.cleaned_data["body"], request_type=request_type,
                priority=form.cleaned_data.get("priority"), fields=form.field_values(),
                attachments=as_inbound(form.cleaned_data["attachments"]), now=timezone.now(),
            )
        except DomainError as error:
            report_error(request, error, request_type=request_type.code)
            add_service_field_errors(form, getattr(error, "errors", {}))
        else:
            return redirect("portal_created", number=ticket.number)
    return render(request, "web/portal/submit.html", {
        "form": form, "request_type": request_type,
        "upload_limit_mb": round(uploads.upload_limit(user) / 1024 / 1024, 1),
    })


@login_required
@require_GET
def created(request: HttpRequest, number: int) -> HttpResponse:
    _viewer, ticket = portal_viewer(request, number)
    return render(request, "web/portal/created.html", {"ticket": ticket})


def ticket_page(request: HttpRequest, viewer: User, ticket: Ticket) -> HttpResponse:
    """The requester's view of a ticket: never an internal note, never the internal history."""
    conversation = list(ticket_selectors.ticket_messages(viewer, ticket))
    done = ticket.status.kind in DONE_KINDS
    rating = ticket_selectors.rating_current(ticket)
    may_rate = ticket_selectors.may_rate(viewer, ticket, current=rating)
    return render(request, "web/portal/ticket.html", {
        "ticket": ticket,
        "viewer": viewer,
        "conversation": conversation,
        "reply_form": ReplyForm(uploader=viewer, allow_status=False),
        "rating_form": RatingForm() if may_rate else None,
        "rating": rating,
        "low_score": rating is not None and rating.is_low and done,
        "may_close": ticket.status.kind != StatusKind.CLOSED,
        "may_reopen": done and ticket.merged_into_id is None,
        "may_reply": ticket.status.kind != StatusKind.CLOSED,
        "via_link": not request.user.is_authenticated,
        "custom_fields": custom_fields(viewer, ticket),
        "reply_by": promised_reply_by(ticket, timezone.now()) if not done else None,
    })


@require_POST
def reply(request: HttpRequest, number: int) -> HttpResponse:
    viewer, ticket = portal_viewer(request, number)
    form = ReplyForm(request.POST, request.FILES, uploader=viewer, allow_status=False)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("ticket", number=number)
    try:
        services.ticket_reply(actor=viewer, ticket_id=ticket.pk, body_text=form.cleaned_data["body"],
                              attachments=as_inbound(form.cleaned_data["attachments"]), now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=number)
    else:
        messages.success(request, _("Your message was sent."))
    return redirect("ticket", number=number)


@require_POST
def close(request: HttpRequest, number: int) -> HttpResponse:
    viewer, ticket = portal_viewer(request, number)
    try:
        changes.ticket_close(actor=viewer, ticket_id=ticket.pk, now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=number)
    else:
        messages.success(request, _("The request is closed. Thank you!"))
    return redirect("ticket", number=number)


@require_POST
def reopen(request: HttpRequest, number: int) -> HttpResponse:
    viewer, ticket = portal_viewer(request, number)
    try:
        changes.ticket_reopen(actor=viewer, ticket_id=ticket.pk, now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=number)
    else:
        messages.success(request, _("The request is open again; support will get back to you."))
    return redirect("ticket", number=number)


@require_POST
def rate(request: HttpRequest, number: int) -> HttpResponse:
    viewer, ticket = portal_viewer(request, number)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a score from 1 to 5."))
        return redirect("ticket", number=number)
    try:
        rating = changes.ticket_rate(actor=viewer, ticket_id=ticket.pk, score=form.cleaned_data["score"],
                                      comment=form.cleaned_data["comment"], now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=number)
    else:
        if rating.is_low:
            messages.warning(request, _("We are sorry the answer did not help. You can reopen the request below."))
        else:
            messages.success(request, _("Thank you for your rating!"))
    return redirect("ticket", number=number)
