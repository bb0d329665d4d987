from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from otklik.accounts.models import User
from otklik.integrations.delivery import delivery_redeliver
from otklik.integrations.models import DeliveryAttempt, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    list_display = ("name", "url", "scope", "event_kinds", "is_active", "created_at")
    list_filter = ("scope", "is_active")
    search_fields = ("name", "url")
    readonly_fields = ("created_at", "created_by")

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: object, change: bool) -> None:
        if not change and isinstance(request.user, User):
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class DeliveryAttemptInline(admin.TabularInline[DeliveryAttempt, WebhookDelivery]):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "response_status", "error", "response_excerpt", "worker")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = (
        "created_at",
        "subscription",
        "event_kind",
        "state",
        "attempts",
        "response_status",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("state", "event_kind", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("uuid",)
    readonly_fields = (
        "uuid",
        "subscription",
        "event",
        "event_kind",
        "state",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "payload",
        "response_status",
        "response_excerpt",
        "error",
        "created_at",
        "last_attempt_at",
        "delivered_at",
    )
    inlines = (DeliveryAttemptInline,)
    actions = ("redeliver",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Deliver again"))
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        assert isinstance(request.user, User)
        ids = list(queryset.values_list("pk", flat=True))
        count = delivery_redeliver(actor=request.user, delivery_ids=ids, now=timezone.now())
        from otklik.integrations.tasks import webhook_deliveries_send

        webhook_deliveries_send(ids)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
