"""The login page's CSP lets its "Sign in with …" forms lead to the configured providers.

The page's policy allows forms to post to this site only, and browsers apply that to the redirects that
follow a form too; the provider's start URL redirects to the provider, so its origin is added, on the
login page alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.http import HttpRequest, HttpResponse

_SSO_FORM_PAGES = frozenset({"login"})


def provider_origins() -> list[str]:
    origins: list[str] = []
    for app_settings in SocialApp.objects.filter(provider="openid_connect").values_list("settings", flat=True):
        parts = urlsplit(str((app_settings or {}).get("server_url", "")))
        if parts.scheme in {"http", "https"} and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins


class ProviderFormActionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if match is None or match.url_name not in _SSO_FORM_PAGES or match.namespace:
            return response
        origins = provider_origins()
        if origins:
            config: dict[str, Any] = dict(getattr(response, "_csp_config", None) or settings.SECURE_CSP)
            config["form-action"] = [*config.get("form-action", []), *origins]
            response._csp_config = config  # type: ignore[attr-defined]  # read by Django's CSP middleware
        return response
