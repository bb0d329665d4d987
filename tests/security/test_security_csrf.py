"""CSRF everywhere: every URL of the project, posted to by a signed-in person without a token, is refused.

The sweep walks the real URL configuration, so a new page is covered the day it is mounted. A view that
must accept cross-site posts (a bot webhook authenticated by its own secret) has to be listed in
CSRF_EXEMPT with the reason, which makes the exception visible in review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from otklik.testing.personas import Personas

# path prefix -> why it may skip Django's CSRF check
CSRF_EXEMPT: dict[str, str] = {
    "/api/": "DRF: token-authenticated calls carry no cookie; session calls are checked by SessionAuthentication",
    "/trackers/hooks/": "tracker webhooks: the tracker signs each call (HMAC, token header or secret in the URL)",
    "/telegram/webhook/": "Telegram webhooks: checked by the X-Telegram-Bot-Api-Secret-Token header",
}

_SAMPLE_ARGS = {"int": "1", "str": "sample", "slug": "sample", "uuid": "00000000-0000-0000-0000-000000000000",
                "path": "sample"}


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + route)
        else:
            yield prefix + route


def _concrete(route: str) -> str | None:
    if route.startswith("^") or "(?P" in route:
        return None  # regular-expression routes (the admin's catch-alls) are covered by named admin URLs below
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda match: _SAMPLE_ARGS.get(match.group(1) or "str", "sample"), route)
    return "/" + path


def all_paths() -> list[str]:
    paths = {p for p in (_concrete(route) for route in _walk(get_resolver().url_patterns)) if p is not None}
    paths |= {"/admin/login/", "/admin/logout/", "/admin/tickets/status/add/", "/admin/accounts/user/1/change/",
              "/admin/password_change/"}
    return sorted(paths)


def test_the_sweep_sees_the_pages_that_exist() -> None:
    paths = all_paths()
    assert "/login/" in paths
    assert "/account/2fa/verify/" in paths
    assert len(paths) >= 10


@pytest.mark.parametrize("path", all_paths())
def test_post_without_token_is_refused(people: Personas, path: str) -> None:
    exempt = next((reason for prefix, reason in CSRF_EXEMPT.items() if path.startswith(prefix)), None)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.adam)
    response = client.post(path, {"subject": "csrf", "body": "csrf", "code": "123456"})
    if exempt:
        # Even an exempt view must not accept a cookie-authenticated post without a token.
        assert response.status_code >= 400 or response.status_code in {301, 302}, f"{path}: {response.status_code}"
    else:
        assert response.status_code == 403, f"{path} answered {response.status_code} to a post without a CSRF token"


def test_login_form_refuses_a_post_without_token(people: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": people.alice.email, "password": "x"})
    assert response.status_code == 403


def test_a_post_with_the_token_passes_the_check(people: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/login/", {"username": people.alice.email, "password": "wrong",
                                       "csrfmiddlewaretoken": token})
    assert response.status_code == 200  # the form answered (wrong password), the CSRF check passed
