"""The bell, the list of one's notifications and the preferences page. Everyone sees only their own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otklik.accounts.models import User
from otklik.core.errors import NotFound
from otklik.notifications import selectors, services


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_GET
def unread(request: HttpRequest) -> HttpResponse:
    """The bell partial: polled by HTMX, also usable as a plain link."""
    response = render(request, "notifications/bell.html", {"unread": selectors.unread_count(_user(request))})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_of(_user(request)), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and follow the notification's link (only ever a path on this site)."""
    try:
        notification = services.notification_open(
            user=_user(request), notification_id=notification_id, now=timezone.now()
        )
    except NotFound as exc:
        raise Http404 from exc
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notifications:list")
    return HttpResponseRedirect(target)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=_user(request), now=timezone.now())
    if request.headers.get("HX-Request"):
        return render(request, "notifications/bell.html", {"unread": 0})
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = selectors.preference_rows(user)
    if request.method == "POST":
        choices = {
            row.topic.code: (
                request.POST.get(f"email:{row.topic.code}") == "on",
                request.POST.get(f"in_app:{row.topic.code}") == "on",
            )
            for row in rows
        }
        services.preferences_save(user=user, choices=choices)
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"rows": rows})
