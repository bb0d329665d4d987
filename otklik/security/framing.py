"""Embeddable pages: the one way a response is opened to framing, and the one embed script.

Everywhere else the site stays unframeable (X-Frame-Options: DENY and CSP frame-ancestors 'none'). A page
meant for embedding (the chat widget, the intranet widget) is exempted from X-Frame-Options by its view
and passed through `framed_by_origins`, which sets frame-ancestors to the given origins only (or 'none').
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpResponse


def origins_from_lines(raw: str | Iterable[str]) -> list[str]:
    """Origins such as https://intranet.example.com, lower-cased, without a trailing slash; lines that are not
    an http(s) origin are dropped (the admin forms refuse them before they are stored)."""
    lines = raw.splitlines() if isinstance(raw, str) else list(raw)
    origins = []
    for line in lines:
        origin = line.strip().rstrip("/").lower()
        scheme, sep, rest = origin.partition("://")
        if scheme in {"http", "https"} and sep and rest and "/" not in rest and " " not in rest:
            origins.append(origin)
    return origins


def framed_by_origins(response: HttpResponse, origins: Iterable[str]) -> HttpResponse:
    """Open framing for this response only, and only to `origins`."""
    policy: dict[str, Any] = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = list(origins) or ["'none'"]
    response._csp_config = policy  # type: ignore[attr-defined]  # Django's per-response CSP override
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def embed_script(
    *, frame_url: str, title: str, marker: str, width: str = "360px", height: str = "520px"
) -> HttpResponse:
    """`<script src=".../embed.js">`: adds an iframe of `frame_url` where the script tag stands."""
    body = (
        "(function(){var f=document.createElement('iframe');"
        f"f.src={frame_url!r};f.title={title[:100]!r};"
        f"f.style.cssText='border:1px solid #ccc;border-radius:8px;width:{width};height:{height}';"
        f"f.setAttribute({marker!r},'');"
        "(document.currentScript&&document.currentScript.parentNode||document.body).appendChild(f);})();"
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
