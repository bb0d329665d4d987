"""Where a request comes from, honouring only the proxies the deployment says it has."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry that the N-th trusted proxy appended to
    X-Forwarded-For. Entries further left were written by the client and can be forged."""
    if request is None:
        return None
    proxies = int(getattr(settings, "OTKLIK_TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            found = _valid_ip(forwarded[-proxies])
            if found:
                return found
    return _valid_ip(str(request.META.get("REMOTE_ADDR", "")))
