"""Automation screens beside the Django admin: trigger preview, forbidden-word report and reply check,
and the agent's own availability. Pages an account may not use answer 404, like absent ones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otklik.accounts.access import tickets_visible_to
from otklik.accounts.models import Role, User
from otklik.automation import availability, forbidden
from otklik.automation.conditions import CONDITION_PREFETCH
from otklik.automation.models import AgentAvailability, ForbiddenWordHit, Trigger
from otklik.automation.triggers import trigger_preview
from otklik.core.errors import InvalidInput


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _ensure(condition: bool) -> None:
    if not condition:
        raise Http404


def configures_automation(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in {Role.ADMIN, Role.MANAGER})


def reviews_quality(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in {Role.ADMIN, Role.MANAGER, Role.AUDITOR})


@login_required
@require_GET
def trigger_preview_view(request: HttpRequest, trigger_id: int) -> HttpResponse:
    viewer = _user(request)
    _ensure(configures_automation(viewer))
    trigger = get_object_or_404(
        Trigger.objects.prefetch_related(*CONDITION_PREFETCH, "statuses", "teams", "tags"), pk=trigger_id
    )
    preview = trigger_preview(viewer, trigger)
    return render(request, "automation/trigger_preview.html", {"trigger": trigger, "preview": preview})


def _day(value: str | None, fallback: date) -> date:
    try:
        return parse_date(value or "") or fallback
    except ValueError:
        return fallback


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@login_required
@require_GET
def forbidden_report(request: HttpRequest) -> HttpResponse:
    """Sent public replies that contained a forbidden word, among tickets the viewer may see."""
    viewer = _user(request)
    _ensure(reviews_quality(viewer))
    today = timezone.localdate()
    since = _day(request.GET.get("since"), today - timedelta(days=30))
    until = _day(request.GET.get("until"), today)
    hits = (
        ForbiddenWordHit.objects.filter(
            ticket__in=tickets_visible_to(viewer),
            sent_at__gte=_start_of(since), sent_at__lt=_start_of(until + timedelta(days=1)),
        )
        .select_related("ticket", "author", "message")
        .order_by("-sent_at", "-id")
    )
    author = request.GET.get("author", "")
    if author.isdigit():
        hits = hits.filter(author_id=int(author))
    page = Paginator(hits, 50).get_page(request.GET.get("page"))
    return render(request, "automation/forbidden_report.html", {
        "page": page, "since": since, "until": until, "may_rescan": configures_automation(viewer),
    })


@login_required
@require_POST
def forbidden_rescan(request: HttpRequest) -> HttpResponse:
    viewer = _user(request)
    _ensure(configures_automation(viewer))
    days = request.POST.get("days", "30")
    span = int(days) if days.isdigit() and 0 < int(days) <= 366 else 30
    now = timezone.now()
    found = forbidden.hits_rescan(since=now - timedelta(days=span), until=now)
    messages.success(request, _("%(count)d new matches found in the last %(days)d days.") % {
        "count": found, "days": span})
    return redirect("automation:forbidden_report")


@login_required
@require_POST
def reply_check(request: HttpRequest) -> HttpResponse:
    """For the reply form: an HTMX partial listing forbidden words in the draft (empty when clean)."""
    viewer = _user(request)
    _ensure(viewer.is_staff_member or viewer.is_superuser)
    matches = forbidden.reply_check_forbidden(
        "\n".join(part for part in (request.POST.get("body_text", ""), request.POST.get("body_html", "")) if part)
    )
    return render(request, "automation/reply_check.html", {"matches": matches})


@login_required
@require_http_methods(["GET", "POST"])
def my_availability(request: HttpRequest) -> HttpResponse:
    """An agent marks themselves away (until a moment, or until they come back)."""
    viewer = _user(request)
    _ensure(viewer.is_staff_member)
    if request.method == "POST":
        away = request.POST.get("away") == "on"
        until_text = request.POST.get("until", "").strip()
        until = parse_datetime(until_text) if until_text else None
        if until is not None and timezone.is_naive(until):
            until = timezone.make_aware(until)
        try:
            if until_text and until is None:
                raise InvalidInput(_("Enter the date and time as YYYY-MM-DD HH:MM."))
            availability.availability_set_away(actor=viewer, away=away, until=until, now=timezone.now())
        except InvalidInput as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("You are marked away.") if away else _("Welcome back."))
        return redirect("automation:availability")
    current = AgentAvailability.objects.filter(user=viewer).first()
    return render(request, "automation/availability.html", {"availability": current})
