"""Two-factor sign-in for staff: who must use it, enrolment, verification and recovery codes.

TOTP (an authenticator app) is the factor; one-time recovery codes are the way back in when the phone is
lost. Whether a person must verify is decided in one query, so every request pays the same small price.
"""

from __future__ import annotations

from dataclasses import dataclass

import django_otp
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import User
from otklik.security.models import POLICY_ID, SecurityPolicy, UserSecurity

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


def applies_to(user: User) -> bool:
    """Two-factor sign-in is for the people who can read other people's requests: staff."""
    return bool(user.is_authenticated and (user.is_staff_member or user.is_superuser or user.is_staff))


@dataclass(frozen=True)
class TwoFactorState:
    enrolled: bool
    required: bool

    @property
    def must_verify(self) -> bool:
        return self.enrolled or self.required


def state_for(user: User) -> TwoFactorState:
    """Whether the person has an authenticator and whether the policy demands one: one query."""
    if not applies_to(user):
        return TwoFactorState(enrolled=False, required=False)
    role_field = SecurityPolicy.field_for_role("admin" if user.is_superuser else user.role)
    policy_requires = (
        Exists(SecurityPolicy.objects.filter(pk=POLICY_ID, **{role_field: True})) if role_field else Q(pk__in=[])
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_totp=Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)),
            personally_required=Exists(UserSecurity.objects.filter(user_id=OuterRef("pk"), two_factor_required=True)),
            policy_required=policy_requires,
        )
        .values_list("has_totp", "personally_required", "policy_required")
        .first()
    )
    if row is None:
        return TwoFactorState(enrolled=False, required=False)
    has_totp, personally, by_policy = row
    roles_by_setting: list[str] = getattr(settings, "OTKLIK_2FA_REQUIRED_ROLES", [])
    by_setting = user.role in roles_by_setting or (user.is_superuser and "admin" in roles_by_setting)
    return TwoFactorState(enrolled=bool(has_totp), required=bool(personally or by_policy or by_setting))


# Set at sign-in when a company identity provider asserted its own multi-factor sign-in and is trusted to.
PROVIDER_MFA_SESSION_KEY = "otklik_mfa_by_provider"


def is_verified(request: HttpRequest) -> bool:
    user = request.user
    check = getattr(user, "is_verified", None)
    if check is not None and check():
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and user.is_authenticated and session.get(PROVIDER_MFA_SESSION_KEY))


def mark_verified_by_provider(request: HttpRequest, provider: str) -> None:
    """The provider's second factor counts as ours for this session (sign-in through that provider only)."""
    request.session[PROVIDER_MFA_SESSION_KEY] = provider


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_totp(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up; one per person, reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


@transaction.atomic
def recovery_codes_create(user: User) -> list[str]:
    """New one-time recovery codes, replacing the old ones; shown to the person once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def enrol_confirm(user: User, code: str) -> TOTPDevice | None:
    """Confirm the pending authenticator with a code from the app; None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
    if device is None or not device.verify_token(_clean_code(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return device


def verify(user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts the code: the authenticator, or one recovery code (used up)."""
    cleaned = _clean_code(code)
    if not cleaned:
        return None
    for device in [*TOTPDevice.objects.filter(user=user, confirmed=True),
                   *StaticDevice.objects.filter(user=user, confirmed=True)]:
        accepted = django_otp.verify_token(user, device.persistent_id, cleaned)
        if accepted is not None:
            return accepted
    return None


def mark_verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    # A new session key at the moment of elevation: a key planted before sign-in is worth nothing after.
    request.session.cycle_key()
    django_otp.login(request, device)


@transaction.atomic
def disable(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _clean_code(code: str) -> str:
    return "".join(str(code or "").split())[:32]
