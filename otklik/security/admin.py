from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from otklik.security.models import SecurityPolicy, UserSecurity


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(admin.ModelAdmin[SecurityPolicy]):
    """One row: which roles must use two-factor sign-in. Every change lands in the audit log."""

    list_display = (
        "__str__", "require_two_factor_agents", "require_two_factor_auditors", "require_two_factor_managers",
        "require_two_factor_admins",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SecurityPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: SecurityPolicy | None = None) -> bool:
        return False


@admin.register(UserSecurity)
class UserSecurityAdmin(admin.ModelAdmin[UserSecurity]):
    list_display = ("user", "two_factor_required", "note")
    list_filter = ("two_factor_required",)
    search_fields = ("user__email", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
