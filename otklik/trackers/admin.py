from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.trackers import services
from otklik.trackers.models import (
    ExternalIssue,
    HookState,
    InboundHook,
    IssueRequest,
    ProfileSource,
    StatusMapping,
    TicketIssueLink,
    TrackerConnection,
    TrackerKind,
)


class ConnectionForm(forms.ModelForm[TrackerConnection]):
    # Write-only: the stored token is never sent back to the browser.
    token = forms.CharField(
        label=_("API key or token"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current one."),
    )

    class Meta:
        model = TrackerConnection
        fields = ("name", "kind", "base_url", "username", "token", "webhook_secret", "default_project", "reply_as",
                  "poll", "is_active")

    def save(self, commit: bool = True) -> TrackerConnection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("token"):
            connection.set_token(self.cleaned_data["token"])
        if commit:
            connection.save()
        return connection


class StatusMappingInline(admin.TabularInline[StatusMapping, TrackerConnection]):
    model = StatusMapping
    extra = 1
    fields = ("order", "match_on", "tracker_value", "ticket_status", "answer_requester", "notify", "reply")


@admin.register(TrackerConnection)
class TrackerConnectionAdmin(admin.ModelAdmin[TrackerConnection]):
    form = ConnectionForm
    list_display = ("name", "kind", "base_url", "is_active", "last_sync_at", "last_error_at", "short_error")
    list_filter = ("kind", "is_active")
    readonly_fields = ("webhook_url", "has_token", "last_error", "last_error_at", "last_sync_at", "created_at")
    inlines = (StatusMappingInline,)
    raw_id_fields = ("reply_as",)
    actions = ("test_connection",)

    @admin.display(description=_("last error"))
    def short_error(self, obj: TrackerConnection) -> str:
        return obj.last_error[:80]

    @admin.display(description=_("token stored"), boolean=True)
    def has_token(self, obj: TrackerConnection) -> bool:
        return bool(obj.credentials_encrypted)

    @admin.display(description=_("webhook address for the tracker"))
    def webhook_url(self, obj: TrackerConnection) -> str:
        if obj.pk is None:
            return "—"
        if obj.kind in {TrackerKind.REDMINE, TrackerKind.JIRA}:
            path = reverse("trackers:hook_token", kwargs={"connection_id": obj.pk, "token": obj.webhook_secret})
        else:
            path = reverse("trackers:hook", kwargs={"connection_id": obj.pk})
        return str(settings.OTKLIK_BASE_URL) + path

    @admin.action(description=_("Test the connection"))
    def test_connection(self, request: HttpRequest, queryset: QuerySet[TrackerConnection]) -> None:
        assert isinstance(request.user, User)
        for connection in queryset:
            result = services.connection_test(actor=request.user, connection_id=connection.pk, now=timezone.now())
            level = messages.SUCCESS if result.ok else messages.ERROR
            self.message_user(request, _("%(name)s answered: %(summary)s") % {
                "name": connection.name, "summary": result.summary}, level)


@admin.register(ExternalIssue)
class ExternalIssueAdmin(admin.ModelAdmin[ExternalIssue]):
    list_display = ("key", "connection", "title", "status", "is_closed", "assignee", "fetched_at")
    list_filter = ("connection", "is_closed")
    search_fields = ("key", "title")
    readonly_fields = ("connection", "key", "title", "status", "is_closed", "labels", "assignee", "url", "fetched_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TicketIssueLink)
class TicketIssueLinkAdmin(admin.ModelAdmin[TicketIssueLink]):
    list_display = ("ticket", "issue", "created_by", "created_at", "applied_signal")
    list_select_related = ("ticket", "issue__connection", "created_by")
    readonly_fields = ("ticket", "issue", "created_by", "created_at", "applied_signal")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(InboundHook)
class InboundHookAdmin(admin.ModelAdmin[InboundHook]):
    list_display = ("received_at", "connection", "event", "state", "attempts", "reason")
    list_filter = ("state", "connection")
    search_fields = ("delivery_key",)
    readonly_fields = ("connection", "delivery_key", "event", "headers", "body_text", "received_at", "state",
                       "reason", "attempts", "processed_at")
    exclude = ("body",)
    actions = ("reprocess",)

    @admin.display(description=_("body"))
    def body_text(self, obj: InboundHook) -> str:
        return bytes(obj.body).decode("utf-8", "replace")[:20000]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Process again"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundHook]) -> None:
        assert isinstance(request.user, User)
        for hook_id in queryset.filter(state=HookState.FAILED).values_list("pk", flat=True):
            services.hook_reprocess(actor=request.user, hook_id=hook_id)
        self.message_user(request, _("Failed calls were queued again."), messages.SUCCESS)


@admin.register(IssueRequest)
class IssueRequestAdmin(admin.ModelAdmin[IssueRequest]):
    list_display = ("created_at", "connection", "ticket", "subject", "state", "attempts", "error")
    list_filter = ("state", "connection")
    readonly_fields = ("connection", "ticket", "project", "subject", "description", "state", "attempts",
                       "next_attempt_at", "error", "issue", "created_by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ProfileSource)
class ProfileSourceAdmin(admin.ModelAdmin[ProfileSource]):
    list_display = ("name", "url_template", "cache_seconds", "is_active")
