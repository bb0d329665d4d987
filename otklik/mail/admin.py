from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from otklik.accounts.models import User
from otklik.core.errors import DomainError
from otklik.mail import services
from otklik.mail.models import InboundMail, InboundStatus, Mailbox, MailSettings, OutboundMail, UndeliverableAddress
from otklik.mail.outgoing import mail_settings_send_test


class MailboxForm(forms.ModelForm[Mailbox]):
    # Never echoed back into the page; an empty field keeps the stored password.
    imap_password = forms.CharField(
        label=_("IMAP password"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Mailbox
        fields = "__all__"

    def clean_imap_password(self) -> str:
        value = self.cleaned_data.get("imap_password") or ""
        if not value and self.instance.pk:
            return self.instance.imap_password
        return value


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = ("name", "email_address", "imap_host", "imap_folder", "team", "is_active", "last_polled_at",
                    "last_error")
    list_filter = ("is_active",)
    readonly_fields = ("uidvalidity", "last_uid", "last_polled_at", "last_error", "error_count")
    fieldsets = (
        (None, {"fields": ("name", "email_address", "is_active")}),
        (_("Fetching (IMAP)"), {"fields": ("imap_host", "imap_port", "imap_security", "imap_login", "imap_password",
                                           "imap_folder", "post_action", "processed_folder")}),
        (_("Routing"), {"fields": ("team", "category", "request_type")}),
        (_("Answers and protection"), {"fields": ("send_acknowledgement", "acknowledgement_window_minutes",
                                                  "reply_to_token", "spam_header", "spam_value",
                                                  "allow_remote_images")}),
        (_("State"), {"fields": ("uidvalidity", "last_uid", "last_polled_at", "last_error", "error_count")}),
    )


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin[InboundMail]):
    """Every received message; the "quarantined" filter is the list of failures to look at."""

    list_display = ("pk", "received_at", "status", "outcome", "sender", "subject", "ticket_link", "reason_short")
    list_filter = ("status", "outcome", "source", "mailbox")
    search_fields = ("subject", "sender", "message_id", "reason")
    date_hierarchy = "received_at"
    actions = ("reprocess", "reprocess_as_person")
    exclude = ("raw",)
    readonly_fields = ("mailbox", "address", "source", "uidvalidity", "uid", "filename", "size", "received_at",
                       "status", "outcome", "reason", "attempts", "message_id", "fingerprint", "subject", "sender",
                       "ticket", "ticket_message", "thread_rule", "details", "processed_at", "original")
    list_select_related = ("ticket",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("ticket"))
    def ticket_link(self, row: InboundMail) -> str:
        return f"#{row.ticket.number}" if row.ticket else "—"

    @admin.display(description=_("reason"))
    def reason_short(self, row: InboundMail) -> str:
        return row.reason[:120]

    @admin.display(description=_("original message"))
    def original(self, row: InboundMail) -> str:
        if row.ticket_id is None:
            return format_html("{} bytes", row.size)
        return format_html('<a href="{}">{}</a>', reverse("mail:original", args=[row.pk]), _("Download .eml"))

    @admin.action(description=_("Process again (after a fix)"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundMail]) -> None:
        self._reprocess(request, queryset, as_human=False)

    @admin.action(description=_("Process as a person's message (the classifier was wrong)"))
    def reprocess_as_person(self, request: HttpRequest, queryset: QuerySet[InboundMail]) -> None:
        self._reprocess(request, queryset, as_human=True)

    def _reprocess(self, request: HttpRequest, queryset: QuerySet[InboundMail], *, as_human: bool) -> None:
        now = timezone.now()
        done = failed = 0
        for inbound_id in queryset.values_list("pk", flat=True):
            row = services.inbound_reprocess(inbound_id=inbound_id, now=now, as_human=as_human)
            if row.status == InboundStatus.QUARANTINED:
                failed += 1
            else:
                done += 1
        self.message_user(request, ngettext("%(count)d message processed.", "%(count)d messages processed.",
                                            done) % {"count": done}, messages.SUCCESS)
        if failed:
            self.message_user(request, ngettext("%(count)d message is still quarantined.",
                                                "%(count)d messages are still quarantined.", failed)
                              % {"count": failed}, messages.WARNING)


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin[OutboundMail]):
    list_display = ("pk", "created_at", "kind", "status", "recipient_key", "subject", "attempts", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("recipient_key", "subject", "message_id")
    readonly_fields = [field.name for field in OutboundMail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(UndeliverableAddress)
class UndeliverableAddressAdmin(admin.ModelAdmin[UndeliverableAddress]):
    list_display = ("email", "status", "diagnostic", "bounced_at")
    search_fields = ("email",)


class MailSettingsForm(forms.ModelForm[MailSettings]):
    # Never echoed back into the page; an empty field keeps the stored password.
    password = forms.CharField(
        label=_("password"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current password."),
    )
    clear_password = forms.BooleanField(label=_("remove the stored password"), required=False)

    class Meta:
        model = MailSettings
        fields = ("is_active", "host", "port", "security", "username", "from_address", "timeout")

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("is_active") and not (cleaned.get("host") or "").strip():
            self.add_error("host", _("Enter the SMTP host, or switch these settings off."))
        return cleaned

    def save(self, commit: bool = True) -> MailSettings:
        row = super().save(commit=False)
        if self.cleaned_data.get("clear_password"):
            row.password = ""
        elif self.cleaned_data.get("password"):
            row.password = self.cleaned_data["password"]
        if commit:
            row.save()
        return row


@admin.register(MailSettings)
class MailSettingsAdmin(admin.ModelAdmin[MailSettings]):
    """One row; "Send a test mail" sends to the administrator through exactly these settings."""

    form = MailSettingsForm
    list_display = ("__str__", "is_active", "host", "port", "security", "username", "from_address", "updated_at")
    actions = ("send_test_mail",)
    fieldsets = (
        (None, {"fields": ("is_active",), "description": _(
            "Switched on, these settings replace the EMAIL_* environment for outgoing mail. Save, then use the "
            "action “Send a test mail” on the list.")}),
        (_("Server"), {"fields": ("host", "port", "security", "timeout")}),
        (_("Sign-in"), {"fields": ("username", "password", "clear_password")}),
        (_("Sender"), {"fields": ("from_address",)}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not MailSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Send a test mail to me"))
    def send_test_mail(self, request: HttpRequest, queryset: QuerySet[MailSettings]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        for row in queryset:
            try:
                mail_settings_send_test(actor=actor, row=row, to=actor.email)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, _("A test mail was sent to %(email)s through %(host)s.")
                                  % {"email": actor.email, "host": row.host}, messages.SUCCESS)
