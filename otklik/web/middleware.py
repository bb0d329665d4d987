"""Per-user language and time zone, applied after authentication."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def supported_language(code: str) -> bool:
    return code in {lang for lang, _name in settings.LANGUAGES}


class UserPreferencesMiddleware:
    """A signed-in user's saved language beats the browser's; their time zone formats every date."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = None
        if user is not None and user.is_authenticated:
            language = getattr(user, "language", "")
            if language and supported_language(language):
                translation.activate(language)
                request.LANGUAGE_CODE = language
            zone = _zone(getattr(user, "time_zone", "") or "")
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
