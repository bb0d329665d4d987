"""Bearer tokens for integrations and scripts; the browser keeps using its session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from otklik.accounts.models import User
from otklik.api.models import ApiToken
from otklik.api.tokens import token_find_active, token_mark_used
from otklik.security import two_factor

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer otk_…`. A wrong token is refused outright, never treated as anonymous."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as 'Authorization: Bearer <token>'."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from exc
        now = timezone.now()
        token = token_find_active(secret, now=now)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid, revoked or expired."))
        second_factor = two_factor.state_for(token.user)
        if second_factor.required and not second_factor.enrolled:
            # A token stands in for a signed-in person; while the policy demands a second factor this
            # person has not set up, the token (even one made at the console) may not bypass it.
            raise exceptions.AuthenticationFailed(_(
                "Two-factor sign-in is required for this account: set up an authenticator in the web app "
                "before using API tokens."
            ))
        token_mark_used(token, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "otklik.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _("A personal API token (otk_…), created under /api/tokens/ or with `otklik apitoken create`.")
            ),
        }
