"""Request-wide protections: security headers, a request size ceiling, and the two-factor gate."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.security import two_factor
from otklik.security.sessions import session_touch

GetResponse = Callable[[HttpRequest], HttpResponse]


class SecurityHeadersMiddleware:
    """Headers Django does not set itself: Permissions-Policy, and a resource policy for our own files."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "OTKLIK_PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


class RequestSizeLimitMiddleware:
    """Refuses a body larger than OTKLIK_MAX_REQUEST_BYTES before reading it (413), so one huge upload
    cannot fill the disk or memory. Per-file limits, lower for requesters, are the services' job."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(getattr(settings, "OTKLIK_MAX_REQUEST_BYTES", 0))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            message = _("The request is too large.")
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "too_large", "message": message}}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# Reachable before the second factor is given: the two-factor pages themselves, signing out, static
# files and the health probe. Everything else, the Django admin included, waits behind the gate.
_OPEN_URL_NAMES = ("security:two_factor_verify", "security:two_factor_setup", "logout", "admin:logout")
_OPEN_PREFIXES = ("/static/", "/health/", "/i18n/", "/favicon.ico")


def _open_paths() -> tuple[str, ...]:
    paths = []
    for name in _OPEN_URL_NAMES:
        try:
            paths.append(reverse(name))
        except Exception:  # noqa: S112 - a URL that is not mounted simply is not open
            continue
    static_url = str(getattr(settings, "STATIC_URL", "/static/") or "/static/")
    return (*paths, *_OPEN_PREFIXES, static_url)


class TwoFactorMiddleware:
    """Staff who enrolled, or whom the policy obliges, give their second factor before anything else.

    Who has not enrolled yet but must is sent to enrolment; who has is sent to verification. A session
    authenticated API call gets a 403 with a code instead of a redirect.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not isinstance(user, User):
            return self.get_response(request)
        if not two_factor.applies_to(user) or two_factor.is_verified(request):
            return self.get_response(request)
        if request.path.startswith(_open_paths()):
            return self.get_response(request)
        state = two_factor.state_for(user)
        if not state.must_verify:
            return self.get_response(request)
        return self._gate(request, enrolled=state.enrolled)

    def _gate(self, request: HttpRequest, *, enrolled: bool) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": {"code": "two_factor_required",
                           "message": _("Confirm your sign-in with your second factor first.")}},
                status=403,
            )
        target = reverse("security:two_factor_verify" if enrolled else "security:two_factor_setup")
        target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


class SessionActivityMiddleware:
    """Keeps the "Your sessions" page current: at most one write a minute per session (after the view, so
    a session born or re-keyed by this request is recorded under its final key)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(_UNTRACKED_PREFIXES):
            session_touch(request, now=timezone.now())
        return response


_UNTRACKED_PREFIXES = ("/static/", "/health/", "/favicon.ico")
