from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import User
from otklik.security.models import SecurityPolicy, UserSecurity, UserSession
from otklik.security.sessions import sessions_end_all


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


@admin.action(description=gettext_lazy("Sign out everywhere"))
def sign_out_everywhere(model_admin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]) -> None:
    ended = sum(sessions_end_all(person) for person in queryset)
    model_admin.message_user(request, _("%(count)s sessions signed out.") % {"count": ended})


# The user admin belongs to `accounts`, which must not import this app; the action is attached from here.
_user_admin = admin.site.get_model_admin(User)
_user_admin.actions = [*(_user_admin.actions or ()), sign_out_everywhere]


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin[UserSession]):
    """Who is signed in where; read-only, ended with the action (or the user admin's)."""

    list_display = ("user", "user_agent", "ip_address", "last_seen_at", "created_at")
    search_fields = ("user__email", "ip_address")
    list_select_related = ("user",)
    actions = ["end_sessions"]
    readonly_fields = ("user", "user_agent", "ip_address", "created_at", "last_seen_at")
    exclude = ("session_key",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: UserSession | None = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Sign these sessions out"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[UserSession]) -> None:
        from otklik.security.sessions import session_end

        ended = sum(session_end(row.user, row.pk) for row in queryset.select_related("user"))
        self.message_user(request, _("%(count)s sessions signed out.") % {"count": ended})
