"""Rate limits per token (each token its own budget), per user for sessions, per address otherwise."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from otklik.api.models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return f"{int(getattr(settings, 'OTKLIK_API_REQUESTS_PER_MINUTE', 120))}/min"

    def allow_request(self, request: Request, view: Any) -> bool:
        # The limit can differ per token, so it is read per request rather than once per class.
        token = request.auth
        per_minute = (
            token.requests_per_minute
            if isinstance(token, ApiToken) and token.requests_per_minute
            else int(getattr(settings, "OTKLIK_API_REQUESTS_PER_MINUTE", 120))
        )
        self.rate = f"{per_minute}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = request.auth
        if isinstance(token, ApiToken):
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"otklik-api-throttle:{ident}"
