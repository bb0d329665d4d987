from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Organization, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role", "organization", "is_active")
    list_filter = ("role", "is_active", "organization", "teams")
    search_fields = ("email", "first_name", "last_name", "phone")
    list_select_related = ("organization",)
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "phone", "organization", "is_department_head")}),
        (_("Role"), {"fields": ("role", "only_assigned_to_me", "is_active", "is_staff", "is_superuser")}),
        (_("Preferences"), {"fields": ("language", "time_zone", "signature")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "role", "password1", "password2")}),
    )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ("name", "domain", "shares_tickets")
    search_fields = ("name", "domain")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "kind", "lead")
    list_filter = ("kind",)
    filter_horizontal = ("members",)
    list_select_related = ("lead",)
