"""The request being served, so signal receivers far from the view know who is acting and from where."""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

current_request: ContextVar[HttpRequest | None] = ContextVar("otklik_audit_request", default=None)


def request_now() -> HttpRequest | None:
    return current_request.get()
