"""Tracker screens: the trackers' webhook endpoint, the agent's link and create forms, the customer profile.
Thin: parse, call one selector or service, redirect or render."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.decorators import staff_required
from otklik.core.errors import DomainError, NotFound, PermissionDenied
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import Ticket
from otklik.trackers import profiles, selectors, services
from otklik.web.views.base import current_user, report_error

logger = logging.getLogger(__name__)

MAX_HOOK_BYTES = 1024 * 1024


@csrf_exempt
@require_POST
def hook(request: HttpRequest, connection_id: int, token: str = "") -> HttpResponse:
    """Where a tracker calls in. 202 for a new call (processed by a job), 200 for a replay."""
    body = request.body
    if len(body) > MAX_HOOK_BYTES:
        logger.warning("tracker webhook for connection %s too large: %s bytes", connection_id, len(body))
        return JsonResponse({"error": {"code": "too_large", "message": "Payload too large."}}, status=413)
    try:
        stored, created = services.hook_receive(
            connection_id=connection_id, headers=request.headers, body=body, url_token=token, now=timezone.now())
    except NotFound:
        return JsonResponse({"error": {"code": "not_found", "message": "Unknown connection."}}, status=404)
    except PermissionDenied:
        return JsonResponse({"error": {"code": "bad_signature", "message": "Signature or secret mismatch."}},
                            status=403)
    return JsonResponse({"id": stored.pk, "replay": not created}, status=202 if created else 200)


def _ticket(request: HttpRequest, number: int) -> Ticket:
    try:
        return ticket_selectors.ticket_get_by_number_for(current_user(request), number)
    except NotFound as error:
        raise Http404 from error


def _back(number: int) -> HttpResponse:
    return redirect(reverse("ticket", kwargs={"number": number}) + "#issues-title")


@staff_required
@require_POST
def link_issue(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    try:
        link = services.issue_link(
            actor=current_user(request), ticket_id=ticket.pk, connection_id=int(request.POST.get("connection") or 0),
            reference=request.POST.get("reference", ""), now=timezone.now(),
        )
    except DomainError as error:
        report_error(request, error, ticket=number)
    else:
        messages.success(request, _("Linked to %(issue)s.") % {"issue": link.issue.key})
    return _back(number)


@staff_required
@require_POST
def unlink_issue(request: HttpRequest, number: int, link_id: int) -> HttpResponse:
    ticket = _ticket(request, number)
    try:
        services.issue_unlink(actor=current_user(request), ticket_id=ticket.pk, link_id=link_id, now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=number)
    return _back(number)


@staff_required
@require_GET
def create_form(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    viewer = current_user(request)
    try:
        panel = selectors.issue_panel(viewer, ticket)
    except DomainError as error:
        raise Http404 from error
    include_notes = request.GET.get("notes") == "1"
    subject, description = selectors.issue_draft(viewer, ticket, include_notes=include_notes)
    return render(request, "trackers/create.html", {
        "ticket": ticket, "panel": panel, "subject": subject, "description": description,
        "include_notes": include_notes, "chosen": request.GET.get("connection", ""),
    })


@staff_required
@require_POST
def create_issue(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    try:
        services.issue_request_create(
            actor=current_user(request), ticket_id=ticket.pk, connection_id=int(request.POST.get("connection") or 0),
            project=request.POST.get("project", ""), subject=request.POST.get("subject", ""),
            description=request.POST.get("description", ""), now=timezone.now(),
        )
    except DomainError as error:
        report_error(request, error, ticket=number)
    else:
        messages.success(request, _("The issue is being created in the tracker."))
    return _back(number)


@staff_required
@require_POST
def retry_create(request: HttpRequest, number: int, request_id: int) -> HttpResponse:
    ticket = _ticket(request, number)
    try:
        selectors.issue_request_for(current_user(request), ticket, request_id)
        services.issue_request_retry(actor=current_user(request), request_id=request_id, now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=number)
    return _back(number)


@staff_required
@require_GET
def customer_profile(request: HttpRequest, number: int) -> HttpResponse:
    """The requester card's profile panel, loaded separately so a slow source never holds the page."""
    ticket = _ticket(request, number)
    viewer = current_user(request)
    if not selectors.sees_issues(viewer, ticket):
        raise Http404
    return render(request, "trackers/profile.html", {"profiles": profiles.profiles_for(ticket.requester)})
