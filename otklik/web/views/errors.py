"""Error pages that need a view of their own: a refused form (CSRF) rendered with the request, so the
page is in the person's language, with their navigation, instead of Django's plain English page."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("otklik.web")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.info("form refused (CSRF): %s %s", request.path, reason)
    return render(request, "403_csrf.html", status=403)
