"""SLA pages: the Overdue and Due soon queues and a ticket's SLA ledger (with the manual due time).

Staff only; anyone else gets the same 404 as for a missing page."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from otklik.accounts.decorators import staff_required
from otklik.accounts.models import User
from otklik.core.errors import DomainError, NotFound
from otklik.sla import selectors, services
from otklik.sla.models import Metric

logger = logging.getLogger(__name__)
PAGE_SIZE = 50

def _viewer(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _queue_page(request: HttpRequest, *, title: str, key: str, clocks: Any, now: datetime) -> HttpResponse:
    page = Paginator(clocks, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"clock": clock, "status": selectors.clock_status(clock, now),
             "countdown": selectors.countdown(clock.due_at, now)[0]} for clock in page.object_list]
    return render(request, "sla/queue.html", {
        "title": title, "queue_key": key, "page": page, "rows": rows, "now": now,
        "viewer_zone": selectors.viewer_zone(_viewer(request)),
    })


@staff_required
def overdue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return _queue_page(request, title=str(gettext_lazy("Overdue")), key="overdue", now=now,
                       clocks=selectors.overdue_clocks(_viewer(request), now))


@staff_required
def due_soon(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return _queue_page(request, title=str(gettext_lazy("Due soon")), key="due_soon", now=now,
                       clocks=selectors.due_soon_clocks(_viewer(request), now))


@staff_required
def ticket_ledger(request: HttpRequest, number: int) -> HttpResponse:
    now = timezone.now()
    try:
        ticket, details = selectors.ticket_sla_for(_viewer(request), number, now)
    except NotFound as exc:
        raise Http404() from exc
    return render(request, "sla/ticket.html", {
        "ticket": ticket, "details": details, "now": now, "viewer_zone": selectors.viewer_zone(_viewer(request)),
        "metrics": Metric.choices,
    })


def _parse_local(value: str, request: HttpRequest) -> datetime | None:
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return naive
    return timezone.make_aware(naive, selectors.viewer_zone(_viewer(request)))


@require_POST
@staff_required
def ticket_override(request: HttpRequest, number: int) -> HttpResponse:
    viewer = _viewer(request)
    now = timezone.now()
    try:
        ticket, _details = selectors.ticket_sla_for(viewer, number, now)
    except NotFound as exc:
        raise Http404() from exc
    metric = request.POST.get("metric", "")
    clear = "clear" in request.POST
    due_at = None if clear else _parse_local(request.POST.get("due_at", ""), request)
    if not clear and due_at is None:
        messages.error(request, _("Enter the new due time as date and time."))
        return redirect("sla:ticket", number=number)
    if metric not in Metric.values:
        messages.error(request, _("Unknown SLA clock."))
        return redirect("sla:ticket", number=number)
    try:
        services.clock_override_due(actor=viewer, ticket_id=ticket.pk, metric=metric, due_at=due_at,
                                    reason=request.POST.get("reason", ""), now=now)
    except DomainError as error:
        logger.info("SLA override refused: %s %s", error.code, error.message)
        messages.error(request, error.message)
    else:
        messages.success(request, _("The due time was cleared.") if clear else _("The due time was set."))
    return redirect("sla:ticket", number=number)


