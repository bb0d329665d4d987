"""A request that brings an API token to an endpoint which authenticates tokens is answered as if it came
without the session cookie.

Such an endpoint (every DRF view with `ApiTokenAuthentication` first, i.e. the REST API) decides who is
calling from the token alone: a valid token is the caller, an invalid one is refused with 401, and the
session is never asked. A session cookie sent along (a script that also holds a browser session, a
benchmark client) still made every request load the session and its user, run that other person's
two-factor gate and language, and look the session up again for its activity row: 2–3 queries and ~1.5 ms
of CPU per API call, for nothing the answer depends on (issue #16). Dropping the cookie before
`SessionMiddleware` reads it makes the request exactly the same as one from a client without a browser
session. CSRF needs nothing here: DRF enforces it only when it authenticates by session, which a request
with a token never is; a session-authenticated write still needs its CSRF token (tests/api).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve
from rest_framework.authentication import get_authorization_header
from rest_framework.request import Request

from otklik.api.authentication import KEYWORDS, ApiTokenAuthentication

# Where otklik/urls.py mounts the API: a cheap first test, so pages elsewhere are not resolved twice. Were the
# API moved, the cookie would simply be kept again (the behaviour before this middleware), never dropped wrongly.
API_PREFIX = "/api/"


def authenticates_by_token_first(request: HttpRequest) -> bool:
    """Whether the view this request goes to reads an `Authorization: Bearer|Token …` header before, and
    instead of, the session (the token answers or the request is refused)."""
    if not request.path_info.startswith(API_PREFIX):
        return False
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    view_class = getattr(match.func, "cls", None)  # set by APIView.as_view()
    classes: Sequence[type] = getattr(view_class, "authentication_classes", None) or ()
    return bool(classes) and issubclass(classes[0], ApiTokenAuthentication)


def carries_api_token(request: HttpRequest) -> bool:
    # DRF's own reading of the header (it only looks at request.META), so both agree on what is a token.
    header = get_authorization_header(cast(Request, request)).split()
    return bool(header) and header[0].lower() in KEYWORDS


class TokenRequestsWithoutSessionMiddleware:
    """Placed before SessionMiddleware (settings/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        cookie = settings.SESSION_COOKIE_NAME
        if cookie in request.COOKIES and carries_api_token(request) and authenticates_by_token_first(request):
            # SessionMiddleware then gives the request an empty session: no session row read, no user,
            # and (the cookie not having been sent, as far as it knows) no deletion of the browser's cookie.
            del request.COOKIES[cookie]
        return self.get_response(request)
