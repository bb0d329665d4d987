from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from otklik.notifications.defaults import DEFAULT_TEMPLATES
from otklik.notifications.models import (
    Notification,
    NotificationPreference,
    NotificationTemplate,
    OutboxCursor,
    OutboxReceipt,
    ReceiptState,
)
from otklik.notifications.rendering import template_check


class NotificationTemplateForm(forms.ModelForm[NotificationTemplate]):
    class Meta:
        model = NotificationTemplate
        fields = ["topic", "language", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14, "cols": 90})}
        help_texts = {
            "body": _(
                "Django template syntax. Available: recipient_name, ticket_number, ticket_subject, ticket_url, "
                "rating_url, status, status_kind, previous_status, priority, team, assignee_name, actor_name, "
                "message_text, event_kind, sla_target, due_at, minutes, custom_subject, custom_body, site_name."
            )
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("subject", "body"):
            problem = template_check(cleaned.get(name) or "")
            if problem:
                self.add_error(name, _("This template does not compile: %(problem)s") % {"problem": problem})
        return cleaned


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin[NotificationTemplate]):
    form = NotificationTemplateForm
    list_display = ("topic", "language", "subject", "is_active", "updated_at")
    list_filter = ("language", "is_active", "topic")
    search_fields = ("subject", "body")
    actions = ["restore_shipped_text"]

    @admin.action(description=_("Restore the shipped text"))
    def restore_shipped_text(self, request: HttpRequest, queryset: QuerySet[NotificationTemplate]) -> None:
        restored = 0
        for row in queryset:
            shipped = DEFAULT_TEMPLATES.get(row.topic, {}).get(row.language)
            if shipped:
                row.subject, row.body = shipped
                row.save(update_fields=["subject", "body", "updated_at"])
                restored += 1
        self.message_user(request, _("%(count)d templates restored.") % {"count": restored}, messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ("user", "topic", "email", "in_app")
    list_filter = ("topic", "email", "in_app")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("created_at", "recipient", "topic", "title", "read_at")
    list_filter = ("topic",)
    search_fields = ("recipient__email", "title")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "ticket", "event")
    date_hierarchy = "created_at"


@admin.register(OutboxCursor)
class OutboxCursorAdmin(admin.ModelAdmin[OutboxCursor]):
    list_display = ("consumer", "position", "updated_at")


@admin.register(OutboxReceipt)
class OutboxReceiptAdmin(admin.ModelAdmin[OutboxReceipt]):
    """Events a consumer could not handle stay here, with the reason, until retried."""

    list_display = ("consumer", "event", "state", "processed_at", "error")
    list_filter = ("consumer", "state")
    raw_id_fields = ("event",)
    actions = ["retry"]

    @admin.action(description=_("Retry the selected failed events"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxReceipt]) -> None:
        # The cursor never passes a failed event, so dropping its receipt makes it pending again.
        count, _deleted = queryset.filter(state=ReceiptState.FAILED).delete()
        self.message_user(request, _("%(count)d events will be handled again.") % {"count": count})
