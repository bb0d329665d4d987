from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from otklik.tickets.models import (
    Category,
    CustomField,
    Message,
    Priority,
    RequestType,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)
from otklik.tickets.tags import tag_normalise


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin[Status]):
    list_display = ("name", "name_ru", "code", "kind", "pauses_sla", "order", "is_active")
    list_editable = ("order", "is_active", "pauses_sla")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("path", "name_ru", "order", "is_active")
    search_fields = ("path", "name_ru")


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin[Priority]):
    list_display = ("name", "name_ru", "code", "rank", "color", "is_default")


class CustomFieldInline(admin.TabularInline[CustomField, RequestType]):
    model = CustomField
    extra = 0


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin[RequestType]):
    list_display = ("name", "group", "category", "team", "submit_rule", "is_active")
    list_filter = ("group", "submit_rule", "is_active")
    filter_horizontal = ("allowed_organizations",)
    inlines = [CustomFieldInline]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    """Read-only here: ticket changes go through the services, so history is never skipped."""

    list_display = ("number", "subject", "status", "priority", "team", "assignee", "requester", "updated_at")
    list_filter = ("status", "priority", "team", "source")
    search_fields = ("=number", "subject")
    list_select_related = ("status", "priority", "team", "assignee", "requester")
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ("ticket", "author", "is_internal", "channel", "created_at")
    list_select_related = ("ticket", "author")
    raw_id_fields = ("ticket", "author")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        # The conversation is the ticket's full history: not even an admin deletes a message.
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin[TicketEvent]):
    list_display = ("ticket", "kind", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


class TagForm(forms.ModelForm[Tag]):
    class Meta:
        model = Tag
        fields = ("name",)

    def clean_name(self) -> str:
        name = tag_normalise(self.cleaned_data.get("name") or "")
        if not name:
            raise forms.ValidationError(_("Enter a tag."))
        return name


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    """Tags are made by writing them on tickets; here they are renamed, merged away or found for rules."""

    form = TagForm
    list_display = ("name",)
    search_fields = ("name",)
