"""Two-factor sign-in for staff: who must use it, enrolment, verification and recovery codes.

TOTP (an authenticator app) is the factor; one-time recovery codes are the way back in when the phone is
lost. Whether a person must verify is remembered between requests (`state_for`), so a request pays no query
for it until the person's devices or rule, or the policy, change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_otp
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import User
from otklik.core import lookups
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


def _state_key(user_id: int | None) -> str:
    return f"security.two_factor:{user_id}"


def _forget_state(sender: Any, instance: TOTPDevice | UserSecurity, **kwargs: Any) -> None:
    lookups.forget(_state_key(instance.user_id))


def state_watch() -> None:
    """Connected at start-up (SecurityConfig.ready): a device or a personal rule changed drops that person's
    remembered state; a policy change drops every one (the key carries the policy's fields)."""
    for model in (TOTPDevice, UserSecurity):
        post_save.connect(_forget_state, sender=model, dispatch_uid=f"two_factor_state:{model.__name__}:save")
        post_delete.connect(_forget_state, sender=model, dispatch_uid=f"two_factor_state:{model.__name__}:delete")
    lookups.depends_on("security.policy", SecurityPolicy)


def _policy_fields() -> frozenset[str]:
    """The SecurityPolicy fields switched on (e.g. require_two_factor_agents), remembered until it changes."""
    def read() -> frozenset[str]:
        names = [field.name for field in SecurityPolicy._meta.concrete_fields if field.name.startswith("require_")]
        row = SecurityPolicy.objects.filter(pk=POLICY_ID).values(*names).first() or {}
        return frozenset(name for name, value in row.items() if value)

    return lookups.remembered("security.policy", read)


def state_for(user: User) -> TwoFactorState:
    """Whether the person has an authenticator and whether the policy demands one.

    Asked by the middleware on every request of staff who have not given a second factor, so the answer is
    remembered (otklik.core.lookups) and dropped when the person's devices or rule, or the policy, change:
    one query when it is not remembered, none when it is."""
    if not applies_to(user):
        return TwoFactorState(enrolled=False, required=False)
    role_field = SecurityPolicy.field_for_role("admin" if user.is_superuser else user.role)
    by_policy = bool(role_field and role_field in _policy_fields())

    def read() -> tuple[bool, bool] | None:
        row = (
            User.objects.filter(pk=user.pk)
            .annotate(
                has_totp=Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)),
                personally_required=Exists(UserSecurity.objects.filter(user_id=OuterRef("pk"),
                                                                       two_factor_required=True)),
            )
            .values_list("has_totp", "personally_required")
            .first()
        )
        return (bool(row[0]), bool(row[1])) if row is not None else None

    personal = lookups.remembered(_state_key(user.pk), read)
    if personal is None:
        return TwoFactorState(enrolled=False, required=False)
    has_totp, personally = personal
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
