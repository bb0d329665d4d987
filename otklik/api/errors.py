"""Every API error has one JSON shape: {"error": {"code", "message", "fields"}}.

Domain errors are mapped here once; DRF's own errors (validation, authentication, throttling) are
reshaped into the same envelope, so clients parse one format.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from otklik.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied

logger = logging.getLogger(__name__)

DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, status.HTTP_404_NOT_FOUND),
    (PermissionDenied, status.HTTP_403_FORBIDDEN),
    (InvalidInput, status.HTTP_400_BAD_REQUEST),
    (Conflict, status.HTTP_409_CONFLICT),
)

DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid_input",
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, str]:
    """DRF's nested error lists become {"field.sub": "message; message"}."""
    if isinstance(detail, dict):
        flat: dict[str, str] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": " ".join(str(item) for item in detail)}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": str(detail)}


def _domain_response(exc: DomainError) -> Response:
    status_code = next(code for kind, code in DOMAIN_STATUS if isinstance(exc, kind))
    fields = dict(exc.errors) if isinstance(exc, InvalidInput) else {}
    return Response(error_body(exc.code, str(exc.message), fields), status=status_code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError) and any(isinstance(exc, kind) for kind, _status in DOMAIN_STATUS):
        set_rollback()
        return _domain_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((value for kind, value in DRF_CODES.items() if isinstance(exc, kind)), None)
    if code is None:
        code = exc.default_code if isinstance(exc.default_code, str) else "error"
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = _("Some fields are not valid.")
        if set(fields) == {"non_field_errors"}:
            message = fields.pop("non_field_errors")
        response.data = error_body(code, message, fields)
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else " ".join(_flatten(detail).values())
        response.data = error_body(code, message)
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's 404 (handler404): under /api/v1/ a path that matches no route (e.g. a non-integer
    ticket number, `/api/v1/tickets/null%2Cnull/`) answers the documented JSON error, like every other API
    error; everything else gets Django's page."""
    if request.path.startswith("/api/v1/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception or Http404())
