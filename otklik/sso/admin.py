"""Administrators add OpenID Connect providers (allauth's SocialApp, with Otklik's policy inline) and the
group mapping table; directory accounts are listed for the sync's record."""

from __future__ import annotations

from allauth.socialaccount import admin as allauth_admin  # registers allauth's own admin first
from allauth.socialaccount.models import SocialApp
from django.contrib import admin

from otklik.sso.models import DirectoryAccount, GroupMapping, ProviderPolicy


class ProviderPolicyInline(admin.StackedInline[ProviderPolicy, SocialApp]):
    model = ProviderPolicy
    can_delete = False
    extra = 1
    max_num = 1


class GroupMappingInline(admin.TabularInline[GroupMapping, SocialApp]):
    model = GroupMapping
    fk_name = "provider"
    fields = ("source", "value", "role", "team")
    extra = 1


admin.site.unregister(SocialApp)


@admin.register(SocialApp)
class ProviderAdmin(allauth_admin.SocialAppAdmin):  # type: ignore[misc]  # allauth's admin is untyped
    """Provider "openid_connect", a provider id (the address part), client id and secret, and in settings
    {"server_url": "https://idp.example.com/realms/company"}; docs/security.md shows a full example."""

    inlines = [ProviderPolicyInline, GroupMappingInline]


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin[GroupMapping]):
    list_display = ("source", "value", "provider", "role", "team")
    list_filter = ("source", "role", "team")
    search_fields = ("value",)
    list_select_related = ("provider", "team")


@admin.register(DirectoryAccount)
class DirectoryAccountAdmin(admin.ModelAdmin[DirectoryAccount]):
    list_display = ("user", "dn", "synced_at", "deactivated_at")
    search_fields = ("user__email", "dn")
    list_select_related = ("user",)
    readonly_fields = ("user", "dn", "synced_at", "deactivated_at")

    def has_add_permission(self, request: object) -> bool:
        return False
