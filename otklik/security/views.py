"""Two-factor enrolment and verification, the security overview, and attachment downloads."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.audit.models import AuditKind
from otklik.audit.services import audit_record
from otklik.core.errors import NotFound
from otklik.security import two_factor
from otklik.security.downloads import attachment_file_response, wants_preview
from otklik.security.forms import CodeForm

logger = logging.getLogger(__name__)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _qr_svg(data: str) -> str:
    import qrcode  # imported on the enrolment page only, not in every web process at start
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=12, border=2)
    svg: bytes | str = image.to_string(encoding="unicode")
    return svg.decode() if isinstance(svg, bytes) else svg


@never_cache
@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = two_factor.state_for(user)
    return render(request, "security/overview.html", {
        "applies": two_factor.applies_to(user),
        "state": state,
        "verified": two_factor.is_verified(request),
        "recovery_codes_left": two_factor.recovery_codes_left(user) if state.enrolled else 0,
    })


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not two_factor.applies_to(user):
        raise Http404
    state = two_factor.state_for(user)
    if state.enrolled and not two_factor.is_verified(request):
        # Whoever holds only the password must not be able to add their own authenticator.
        return redirect(f"{reverse('security:two_factor_verify')}?next={reverse('security:overview')}")
    if state.enrolled:
        return redirect("security:overview")
    device = two_factor.pending_totp(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = two_factor.enrol_confirm(user, form.cleaned_data["code"])
        if confirmed is not None:
            two_factor.mark_verified(request, confirmed)
            codes = two_factor.recovery_codes_create(user)
            audit_record(AuditKind.TWO_FACTOR_ENABLED, request=request, actor=user)
            return render(request, "security/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", _("This code is not right. Check the time on your phone and try the newest code."))
    return render(request, "security/setup.html", {
        "form": form,
        "required": state.required,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - generated here from our own data
        "secret": _spaced(_base32(device)),
        "next": request.GET.get("next", ""),
    })


def _base32(device: object) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()  # type: ignore[attr-defined]


def _spaced(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = two_factor.state_for(user)
    if not state.enrolled:
        return redirect(f"{reverse('security:two_factor_setup')}?next={_next_url(request)}")
    if two_factor.is_verified(request):
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user, form.cleaned_data["code"])
        if device is not None:
            two_factor.mark_verified(request, device)
            audit_record(AuditKind.TWO_FACTOR_VERIFIED, request=request, actor=user,
                         changes={"device": device.__class__.__name__})
            return HttpResponseRedirect(_next_url(request))
        audit_record(AuditKind.TWO_FACTOR_FAILED, request=request, actor=user)
        form.add_error("code", _(
            "This code is not right. After several wrong codes each new try has to wait a little longer."
        ))
    return render(request, "security/verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = two_factor.state_for(user)
    if not state.enrolled:
        return redirect("security:overview")
    if state.required:
        return render(request, "security/overview.html", {
            "applies": True, "state": state, "verified": two_factor.is_verified(request),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
            "error": _("Two-factor sign-in is required for your account and cannot be switched off."),
        }, status=409)
    if not two_factor.is_verified(request):
        return redirect(f"{reverse('security:two_factor_verify')}?next={reverse('security:overview')}")
    two_factor.disable(user)
    audit_record(AuditKind.TWO_FACTOR_DISABLED, request=request, actor=user)
    return redirect("security:overview")


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not two_factor.state_for(user).enrolled or not two_factor.is_verified(request):
        return redirect("security:overview")
    codes = two_factor.recovery_codes_create(user)
    audit_record(AuditKind.RECOVERY_CODES_CREATED, request=request, actor=user)
    return render(request, "security/recovery_codes.html", {"codes": codes, "next": reverse("security:overview")})


@login_required
@require_GET
def attachment_download(request: HttpRequest, token: str) -> FileResponse:
    """A ticket file, only to those who may see it, always as a download with a content type that the
    file's own bytes justify; absent and forbidden are the same 404."""
    try:
        attachment = access.attachment_get_for(_user(request), token)
    except NotFound as exc:
        raise Http404 from exc
    return attachment_file_response(attachment, preview=wants_preview(request))
