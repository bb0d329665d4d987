"""Settings of the api part, applied to the settings namespace by base.py."""

import os
from typing import Any


def configure(settings: dict[str, Any]) -> None:
    """Add or adjust settings of this part; called once at the end of base.py."""
    # An API call that brings a token is not also signed in by a session cookie sent along (see the module).
    middleware: list[str] = settings["MIDDLEWARE"]
    sessions = "django.contrib.sessions.middleware.SessionMiddleware"
    without_session = "otklik.api.middleware.TokenRequestsWithoutSessionMiddleware"
    if without_session not in middleware:
        middleware.insert(middleware.index(sessions), without_session)
    settings["REST_FRAMEWORK"] = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "otklik.api.authentication.ApiTokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": [
            "rest_framework.permissions.IsAuthenticated",
            "otklik.api.permissions.TokenScopes",
        ],
        "DEFAULT_THROTTLE_CLASSES": ["otklik.api.throttling.ApiRateThrottle"],
        "DEFAULT_PAGINATION_CLASS": "otklik.api.pagination.KeysetPagination",
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": [
            "rest_framework.parsers.JSONParser",
            "rest_framework.parsers.MultiPartParser",
            "rest_framework.parsers.FormParser",
        ],
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        "EXCEPTION_HANDLER": "otklik.api.errors.api_exception_handler",
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
        "DATETIME_FORMAT": "iso-8601",
        "COERCE_DECIMAL_TO_STRING": True,
        "URL_FORMAT_OVERRIDE": None,
    }
    settings["SPECTACULAR_SETTINGS"] = {
        "TITLE": "Otklik API",
        "DESCRIPTION": (
            "The REST API of the Otklik service desk. Authenticate with a personal token: "
            '`Authorization: Bearer otk_…`. Errors are `{"error": {"code", "message", "fields"}}`. '
            "Lists are cursor-paginated: follow `next`."
        ),
        "VERSION": "1",
        "OAS_VERSION": "3.1.0",
        "SCHEMA_PATH_PREFIX": r"/api/v1",
        "SERVE_INCLUDE_SCHEMA": False,
        "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
        "SERVE_AUTHENTICATION": [],
        "COMPONENT_SPLIT_REQUEST": True,
        "ENUM_NAME_OVERRIDES": {
            "StatusKindEnum": "otklik.tickets.models.StatusKind",
            "TeamKindEnum": "otklik.accounts.models.TeamKind",
            "FieldKindEnum": "otklik.tickets.models.FieldKind",
            "LinkKindEnum": "otklik.tickets.models.LinkKind",
            "EventKindEnum": "otklik.tickets.models.EventKind",
            "SourceEnum": "otklik.tickets.models.Source",
            "RoleEnum": "otklik.accounts.models.Role",
        },
        "WEBHOOKS": ["otklik.api.schema_webhooks.ticket_event_webhook"],
    }
    # A token's own limit overrides this default; the counters live in the default cache, so several
    # web processes share them only when that cache is shared (Redis).
    settings["OTKLIK_API_REQUESTS_PER_MINUTE"] = int(os.environ.get("OTKLIK_API_REQUESTS_PER_MINUTE", "120"))
