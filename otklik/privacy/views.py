"""The person's own export (portal), and the administrators' export and anonymisation of anyone."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from otklik.accounts.models import Role, User
from otklik.audit.models import AuditKind
from otklik.audit.services import audit_record
from otklik.core.errors import InvalidInput
from otklik.privacy.anonymise import is_anonymised, person_anonymise
from otklik.privacy.export import zip_stream


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _ensure_admin(request: HttpRequest) -> User:
    user = _user(request)
    # Not an administrator: the same 404 as for a person who does not exist, so ids cannot be probed.
    if not (user.is_active and (user.is_superuser or user.role == Role.ADMIN)):
        raise Http404()
    return user


def _export_response(request: HttpRequest, person: User) -> StreamingHttpResponse:
    audit_record(AuditKind.DATA_EXPORTED, request=request, obj=person, changes={"person": person.pk})
    response = StreamingHttpResponse(zip_stream(person), content_type="application/zip")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="otklik-personal-data-{person.pk}-{stamp}.zip"'
    return response


@never_cache
@login_required
@require_GET
def my_export(request: HttpRequest) -> StreamingHttpResponse:
    return _export_response(request, _user(request))


@never_cache
@login_required
@require_GET
def user_export(request: HttpRequest, user_id: int) -> StreamingHttpResponse:
    _ensure_admin(request)
    return _export_response(request, get_object_or_404(User, pk=user_id))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def user_anonymise(request: HttpRequest, user_id: int) -> HttpResponse:
    admin = _ensure_admin(request)
    person = get_object_or_404(User, pk=user_id)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm_email", "").strip().lower() != person.email.lower():
            error = _("Type the person's email address exactly to confirm.")
        else:
            try:
                outcome = person_anonymise(actor=admin, person=person)
            except InvalidInput as exc:
                error = exc.message
            else:
                messages.success(request, _("The person is anonymised as %(name)s.") % {"name": outcome.pseudonym})
                return redirect("admin:accounts_user_change", person.pk)
    return render(request, "privacy/anonymise_confirm.html", {
        "person": person, "error": error, "already": is_anonymised(person),
        "tickets": person.requested_tickets.count(),
    }, status=400 if error else 200)
