"""Request-scoped memory for the access module's answers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from otklik.accounts.access import remembered_for_request
from otklik.core.lookups import answers_for_request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AccessMemoMiddleware:
    """Lets one read-only request ask the same access question many times for the price of one query.

    Writes are left alone: a POST that reassigns a ticket must see its own change when it checks access
    again afterwards. The same holds for the remembered configuration (`core.lookups.answers_for_request`):
    a read-only request takes each answer from the cache once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in SAFE_METHODS:
            return self.get_response(request)
        with remembered_for_request(), answers_for_request():
            return self.get_response(request)
