"""Admin actions on people: export their data, anonymise them. Both lead to the privacy views, which
check the administrator role themselves; the actions only pick the person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import Role, User
from otklik.privacy.models import RetentionPolicy, RetentionRun
from otklik.privacy.retention import retention_apply
from otklik.privacy.tasks import retention_job

# A real run needs a dry run this recent, so the administrator has seen what it will remove.
DRY_RUN_FRESH = timedelta(hours=1)


def _single(model_admin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]) -> User | None:
    people = list(queryset[:2])
    if len(people) != 1:
        model_admin.message_user(request, _("Choose exactly one person."), level=messages.WARNING)
        return None
    return people[0]


@admin.action(description=gettext_lazy("Export personal data (ZIP)"))
def export_personal_data(
    model_admin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    person = _single(model_admin, request, queryset)
    if person is None:
        return None
    return HttpResponseRedirect(reverse("privacy:user_export", args=[person.pk]))


@admin.action(description=gettext_lazy("Anonymise (irreversible, asks to confirm)"))
def anonymise_person(
    model_admin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    person = _single(model_admin, request, queryset)
    if person is None:
        return None
    return HttpResponseRedirect(reverse("privacy:user_anonymise", args=[person.pk]))


# The user admin belongs to `accounts`, which must not import this app; the actions are attached from here.
_user_admin = admin.site.get_model_admin(User)
_user_admin.actions = [*(_user_admin.actions or ()), export_personal_data, anonymise_person]


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN))


@admin.action(description=gettext_lazy("Count what would be removed (dry run)"))
def retention_dry_run(model_admin: Any, request: HttpRequest, queryset: QuerySet[RetentionPolicy]) -> None:
    run = retention_apply(actor=_actor(request), now=timezone.now(), dry_run=True)
    model_admin.message_user(request, _("Dry run: %(counts)s. Run the policy now to remove them.") % {
        "counts": _describe(run.counts)})


@admin.action(description=gettext_lazy("Run now, in the background"))
def retention_run_now(model_admin: Any, request: HttpRequest, queryset: QuerySet[RetentionPolicy]) -> None:
    since = timezone.now() - DRY_RUN_FRESH
    if not RetentionRun.objects.filter(dry_run=True, started_at__gte=since).exists():
        model_admin.message_user(request, _("Make a dry run first: it shows what this run will remove."),
                                 level=messages.WARNING)
        return
    retention_job(_actor(request).pk, False)
    model_admin.message_user(request, _("The retention run is started; its result appears under retention runs."))


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _describe(counts: dict[str, int]) -> str:
    labels = {"closed_tickets": _("closed tickets"), "quarantined_mail": _("quarantined messages"),
              "telegram_updates": _("Telegram updates"), "files": _("files")}
    return ", ".join(f"{labels.get(key, key)}: {value}" for key, value in counts.items())


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin[RetentionPolicy]):
    list_display = ("__str__", "closed_ticket_months", "closed_ticket_action", "quarantined_mail_days",
                    "telegram_update_days")
    actions = [retention_dry_run, retention_run_now]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request) and not RetentionPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin[RetentionRun]):
    list_display = ("started_at", "dry_run", "requested_by", "counts", "finished_at")
    readonly_fields = ("started_at", "dry_run", "requested_by", "counts", "finished_at", "error")
    fields = readonly_fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
