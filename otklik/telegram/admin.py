from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from otklik.telegram import groups, inbox
from otklik.telegram.models import (
    Bot,
    GroupChat,
    InboundUpdate,
    OutboundMessage,
    TelegramAccount,
    UpdateStatus,
)


class BotForm(forms.ModelForm[Bot]):
    # Secrets are never echoed back into the page; an empty field keeps the stored value.
    token = forms.CharField(label=_("bot token"), required=False, widget=forms.PasswordInput(render_value=False),
                            help_text=_("From @BotFather. Leave empty to keep the current token."))
    webhook_secret = forms.CharField(label=_("webhook secret token"), required=False,
                                     widget=forms.PasswordInput(render_value=False),
                                     help_text=_("Leave empty to keep the current secret."))

    class Meta:
        model = Bot
        fields = ("name", "token", "api_url", "is_active", "unknown_users", "conversation_idle_minutes",
                  "webhook_secret")

    def clean_token(self) -> str:
        value = (self.cleaned_data.get("token") or "").strip()
        if not value and self.instance.pk:
            return self.instance.token
        if not value:
            raise forms.ValidationError(_("This field is required."))
        return value

    def clean_webhook_secret(self) -> str:
        value = (self.cleaned_data.get("webhook_secret") or "").strip()
        if not value and self.instance.pk:
            return self.instance.webhook_secret
        return value


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin[Bot]):
    form = BotForm
    list_display = ("name", "username", "is_active", "unknown_users", "conversation_idle_minutes")
    readonly_fields = ("username",)


@admin.register(TelegramAccount)
class TelegramAccountAdmin(admin.ModelAdmin[TelegramAccount]):
    list_display = ("user", "telegram_user_id", "username", "linked_by", "linked_at")
    search_fields = ("user__email", "username", "telegram_user_id")
    readonly_fields = ("telegram_user_id", "username", "language_code", "chat_id", "bot", "linked_by", "linked_at")
    list_select_related = ("user",)


@admin.register(InboundUpdate)
class InboundUpdateAdmin(admin.ModelAdmin[InboundUpdate]):
    """Every received update; the "failed" filter is the list of problems to look at."""

    list_display = ("pk", "received_at", "bot", "update_id", "status", "outcome", "reason_short")
    list_filter = ("status", "outcome", "bot")
    search_fields = ("reason", "outcome")
    actions = ("reprocess",)
    readonly_fields = [field.name for field in InboundUpdate._meta.fields]
    list_select_related = ("bot",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("reason"))
    def reason_short(self, row: InboundUpdate) -> str:
        return row.reason[:120]

    @admin.action(description=_("Process again (after a fix)"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundUpdate]) -> None:
        now = timezone.now()
        failed = 0
        ids = list(queryset.values_list("pk", flat=True))
        for row_id in ids:
            if inbox.update_reprocess(row_id=row_id, now=now).status == UpdateStatus.FAILED:
                failed += 1
        done = len(ids) - failed
        self.message_user(request, ngettext("%(count)d update processed.", "%(count)d updates processed.", done)
                          % {"count": done}, messages.SUCCESS)
        if failed:
            self.message_user(request, ngettext("%(count)d update failed again.", "%(count)d updates failed again.",
                                                failed) % {"count": failed}, messages.WARNING)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin[OutboundMessage]):
    list_display = ("pk", "created_at", "bot", "chat_id", "method", "status", "attempts", "last_error")
    list_filter = ("status", "method", "bot")
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]
    list_select_related = ("bot",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(GroupChat)
class GroupChatAdmin(admin.ModelAdmin[GroupChat]):
    """Groups the bot is in; choosing a support chat binds the group and processes what waited for it."""

    list_display = ("title", "telegram_chat_id", "bot", "support_chat", "bound_at")
    list_filter = ("bot",)
    search_fields = ("title", "telegram_chat_id")
    fields = ("bot", "telegram_chat_id", "title", "support_chat", "created_at", "bound_at")
    readonly_fields = ("created_at", "bound_at")
    list_select_related = ("bot", "support_chat")

    def save_model(self, request: HttpRequest, obj: GroupChat, form: forms.ModelForm[GroupChat],
                   change: bool) -> None:
        now = timezone.now()
        if obj.created_at is None:
            obj.created_at = now
        if not change or "support_chat" in form.changed_data:
            picked = groups.group_bind(group=obj, support_chat=obj.support_chat, now=now)
            if picked:
                self.message_user(request, ngettext("%(count)d waiting message was processed.",
                                                    "%(count)d waiting messages were processed.", picked)
                                  % {"count": picked}, messages.SUCCESS)
            return
        super().save_model(request, obj, form, change)
