"""The "Your sessions" page: every browser signed in as you, and signing them out."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.models import User
from otklik.security import sessions

_BROWSERS = (
    ("Edg/", "Edge"),
    ("YaBrowser/", "Yandex Browser"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """A short "Browser on System" label; the full string stays in the row's title for the curious."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or (re.split(r"[\s/]", user_agent, maxsplit=1)[0] if user_agent else _("Unknown"))


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@never_cache
@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    current = request.session.session_key
    rows = [
        {"row": row, "device": describe_agent(row.user_agent), "current": row.session_key == current}
        for row in sessions.sessions_of(_user(request), now=timezone.now())
    ]
    return render(request, "security/sessions.html", {"rows": rows})


@never_cache
@login_required
@require_POST
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    if sessions.session_end(_user(request), session_id):
        messages.success(request, _("That session is signed out."))
    else:
        messages.warning(request, _("That session was already signed out."))
    return redirect("security:sessions")


@never_cache
@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    count = sessions.sessions_end_others(_user(request), current_key=request.session.session_key)
    messages.success(request, _("Signed out everywhere else (%(count)s sessions).") % {"count": count})
    return redirect("security:sessions")
