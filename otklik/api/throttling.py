"""Rate limits per token (each token its own budget), per user for sessions, per address otherwise.

A budget of N requests a minute is a bucket of N requests that refills evenly, one request every 60/N
seconds (the generic cell rate algorithm): a burst of N is served at once, then one request per 60/N
seconds; a caller that waits a minute has its whole budget back. Each caller's state is one number in
the cache (when its bucket is next full), read and written once per request whatever the rate, where
DRF's `SimpleRateThrottle` kept (and pickled) the time of every request of the last minute.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache as default_cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from otklik.api.models import ApiToken

WINDOW_SECONDS = 60.0
# Float sums of 60/N: a request that fits exactly is not refused for a rounding error.
_SLACK = 1e-6


class ApiRateThrottle(BaseThrottle):
    cache = default_cache
    timer = staticmethod(time.time)

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        # The limit can differ per token, so it is read per request rather than once per class.
        token = request.auth
        per_minute = (
            token.requests_per_minute
            if isinstance(token, ApiToken) and token.requests_per_minute
            else int(getattr(settings, "OTKLIK_API_REQUESTS_PER_MINUTE", 120))
        )
        if per_minute <= 0:
            return False
        key = self.get_cache_key(request, view)
        now = self.timer()
        interval = WINDOW_SECONDS / per_minute
        # `full_at`: when the caller's bucket is full again (each served request pushes it one interval on).
        full_at = max(float(self.cache.get(key) or 0.0), now)
        fits_from = full_at + interval - WINDOW_SECONDS
        if fits_from - now > _SLACK:
            self.wait_seconds = fits_from - now
            return False
        full_at += interval
        self.cache.set(key, full_at, timeout=int(full_at - now) + 1)
        return True

    def wait(self) -> float | None:
        """Seconds until the refused caller's next request is served (Retry-After)."""
        return self.wait_seconds

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = request.auth
        if isinstance(token, ApiToken):
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"otklik-api-rate:{ident}"
