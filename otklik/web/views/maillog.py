"""The mail log: every mail the desk sent, is retrying or gave up on, with the reason; for the people
who run the desk (managers and administrators), since it shows mail to every requester."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from otklik.accounts.decorators import staff_required
from otklik.accounts.models import Role, User
from otklik.mail.models import OutboundMail, OutboundStatus
from otklik.web.views.base import current_user

PAGE_SIZE = 50


def may_read_mail_log(user: User) -> bool:
    return bool(user.is_superuser or user.role in {Role.MANAGER, Role.ADMIN})


@staff_required
@require_GET
def mail_log(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    if not may_read_mail_log(viewer):
        raise Http404()
    status = request.GET.get("status", "")
    rows = OutboundMail.objects.select_related("ticket").order_by("-created_at", "-id")
    if status in OutboundStatus.values:
        rows = rows.filter(status=status)
    raw_page = request.GET.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 6 else 1
    page = max(page, 1)
    shown = list(rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])
    return render(request, "web/agent/mail_log.html", {
        "rows": shown[:PAGE_SIZE], "has_next": len(shown) > PAGE_SIZE, "page_number": page,
        "status": status, "statuses": OutboundStatus.choices,
        # Mail bodies carry password-reset and sign-in links: only administrators, who could reset any
        # password anyway, read them; managers see who got what, when, and whether it arrived.
        "show_bodies": bool(viewer.is_superuser or viewer.role == Role.ADMIN),
    })
