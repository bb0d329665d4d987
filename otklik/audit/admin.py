from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from otklik.accounts.models import Role
from otklik.audit.models import AuditEntry


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only for admins; nobody can add, edit or delete entries."""

    list_display = ("created_at", "kind", "actor_email", "login_name", "ip_address", "object_type", "object_repr")
    list_filter = ("kind", "object_type")
    search_fields = ("actor_email", "login_name", "ip_address", "object_repr")
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = (
        "created_at", "kind", "actor", "actor_email", "login_name", "ip_address", "user_agent", "path",
        "object_type", "object_id", "object_repr", "changes",
    )
    fields = readonly_fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
