"""Support chats in the admin: administrators set up chats per desk; messages and dialogs are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils import timezone

from otklik.chat.models import SupportChat
from otklik.chat.services import origins_clean
from otklik.core.errors import InvalidInput


class SupportChatForm(forms.ModelForm[SupportChat]):
    class Meta:
        model = SupportChat
        exclude = ("created_at",)

    def clean_allowed_origins(self) -> str:
        # The same rule as the API and the service: one place decides what an origin is.
        try:
            return origins_clean(self.cleaned_data.get("allowed_origins", ""))
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from error


@admin.register(SupportChat)
class SupportChatAdmin(admin.ModelAdmin[SupportChat]):
    form = SupportChatForm
    list_display = ("name", "team", "membership", "allow_guests", "first_response_minutes", "is_active")
    list_filter = ("team", "membership", "is_active")
    filter_horizontal = ("organizations", "people")
    search_fields = ("name",)

    def save_model(self, request: Any, obj: SupportChat, form: Any, change: bool) -> None:
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)
