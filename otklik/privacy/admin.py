"""Admin actions on people: export their data, anonymise them. Both lead to the privacy views, which
check the administrator role themselves; the actions only pick the person."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.admin import UserAdmin
from otklik.accounts.models import User


def _single(model_admin: UserAdmin, request: HttpRequest, queryset: QuerySet[User]) -> User | None:
    people = list(queryset[:2])
    if len(people) != 1:
        model_admin.message_user(request, _("Choose exactly one person."), level=messages.WARNING)
        return None
    return people[0]


@admin.action(description=gettext_lazy("Export personal data (ZIP)"))
def export_personal_data(model_admin: UserAdmin, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
    person = _single(model_admin, request, queryset)
    if person is None:
        return None
    return HttpResponseRedirect(reverse("privacy:user_export", args=[person.pk]))


@admin.action(description=gettext_lazy("Anonymise (irreversible, asks to confirm)"))
def anonymise_person(model_admin: UserAdmin, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
    person = _single(model_admin, request, queryset)
    if person is None:
        return None
    return HttpResponseRedirect(reverse("privacy:user_anonymise", args=[person.pk]))


# The user admin belongs to `accounts`, which must not import this app; the actions are attached from here.
UserAdmin.actions = [*(UserAdmin.actions or ()), export_personal_data, anonymise_person]
