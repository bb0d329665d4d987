"""A token acts with the smaller of its scopes and its owner's role; the role itself is checked by the
services and the access module, so these classes only ever narrow."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from otklik.accounts.models import Role
from otklik.api.models import ApiToken, Scope


def required_scope(request: Request, view: Any) -> str:
    if getattr(view, "admin_only", False):
        return Scope.ADMIN
    return Scope.READ if request.method in SAFE_METHODS else Scope.WRITE


class TokenScopes(BasePermission):
    message = "This token does not have the scope needed here."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True  # session: the role alone decides
        scope = required_scope(request, view)
        self.message = f"This token lacks the '{scope}' scope."
        return token.has_scope(scope)


class AdminRole(BasePermission):
    """Installation-wide configuration (webhooks): administrators only."""

    message = "Only administrators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or getattr(user, "role", "") == Role.ADMIN))
