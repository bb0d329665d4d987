"""How django-axes reads the sign-in name and the address, and what a locked-out visitor sees."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from otklik.security.network import client_ip as _client_ip


def login_name(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Emails are stored lower-case: 'Alice@…' and 'alice@…' count as one name, so case games don't reset."""
    name = (credentials or {}).get("username")
    if not name and request is not None and request.method == "POST":
        name = request.POST.get("username", "")
    return str(name or "").strip().lower()[:254]


def client_ip(request: HttpRequest) -> str:
    return _client_ip(request) or ""


def lockout_minutes(request: HttpRequest | None) -> int:
    cool_off = get_cool_off(request)
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message(request: HttpRequest | None) -> str:
    minutes = lockout_minutes(request)
    if minutes:
        return _(
            "Too many failed sign-in attempts. Sign-in from this address is blocked for %(minutes)s minutes; "
            "try again later, or ask an administrator to unlock your account."
        ) % {"minutes": minutes}
    return _("Too many failed sign-in attempts. Ask an administrator to unlock your account.")


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    status = int(getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))
    message = lockout_message(request)
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        return JsonResponse({"error": {"code": "locked_out", "message": message}}, status=status)
    response = render(request, "security/locked_out.html", {"message": message}, status=status)
    minutes = lockout_minutes(request)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
