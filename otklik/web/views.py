from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from otklik.accounts.models import User
from otklik.core.errors import NotFound
from otklik.core.models import PeriodicRun
from otklik.tickets import selectors


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    viewer = _user(request)
    tickets = selectors.ticket_list(viewer, sort=request.GET.get("sort", "updated"))
    page = Paginator(tickets, 50, allow_empty_first_page=True).get_page(request.GET.get("page"))
    counts = selectors.queue_counts(viewer)
    return render(request, "web/home.html", {"page": page, "counts": counts})


@login_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    viewer = _user(request)
    try:
        ticket = selectors.ticket_get_by_number_for(viewer, number)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "web/ticket.html", {
        "ticket": ticket,
        "messages_list": selectors.ticket_messages(viewer, ticket),
        "events": selectors.ticket_events(viewer, ticket),
    })


def health(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and of the job scheduler (its last heartbeat)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    last = PeriodicRun.objects.filter(job="scheduler_heartbeat").order_by("-period_start").first()
    scheduler_ok = last is not None and timezone.now() - last.period_start < timedelta(minutes=3)
    return JsonResponse({
        "database": "ok",
        "scheduler": "ok" if scheduler_ok else "stale",
        "last_heartbeat": last.period_start.isoformat() if last else None,
    })
