"""Two-factor sign-in for staff: optional per person, enforceable per role or per person by the admin,
and in front of everything (the Django admin included) once it applies."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import User
from otklik.audit.models import AuditEntry, AuditKind
from otklik.security import two_factor
from otklik.security.models import SecurityPolicy, UserSecurity
from otklik.testing.personas import Personas


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def _forgive(device: TOTPDevice) -> None:
    """Skip the growing wait a wrong code starts (it is django-otp's throttling, tested there)."""
    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.throttling_failure_count = 0
    device.save()


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def _gated(response: Any) -> bool:
    return bool(response.status_code == 302 and response["Location"].startswith("/account/2fa/"))


def test_optional_by_default_staff_without_an_authenticator_go_straight_in(people: Personas) -> None:
    client = _signed_in(people.fiona)
    response = client.get("/")
    assert response.status_code == 200
    assert not _gated(client.get("/admin/"))


def test_role_policy_sends_staff_to_enrolment_before_anything_else(people: Personas) -> None:
    policy = SecurityPolicy.current()
    policy.require_two_factor_agents = True
    policy.save()
    client = _signed_in(people.fiona)
    for path in ("/", "/tickets/1/", "/admin/", "/account/security/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/2fa/setup/?next="), path
    # Managers are not agents: the policy is per role.
    assert not _gated(_signed_in(people.mia).get("/"))
    # Requesters never use two-factor sign-in.
    assert not _gated(_signed_in(people.alice).get("/"))


def test_enrolment_confirms_with_a_real_code_and_hands_out_recovery_codes(people: Personas) -> None:
    UserSecurity.objects.create(user=people.fiona, two_factor_required=True)
    client = _signed_in(people.fiona)
    page = client.get("/account/2fa/setup/?next=/tickets/")
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=people.fiona, confirmed=False)
    wrong = client.post("/account/2fa/setup/", {"code": "000000", "next": "/"})
    assert wrong.status_code == 200 and b"not right" in wrong.content
    assert not TOTPDevice.objects.filter(user=people.fiona, confirmed=True).exists()
    _forgive(device)
    done = client.post("/account/2fa/setup/", {"code": _code(device), "next": "/"})
    assert done.status_code == 200
    assert len(done.context["codes"]) == two_factor.RECOVERY_CODE_COUNT
    assert TOTPDevice.objects.get(user=people.fiona).confirmed
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(kind=AuditKind.TWO_FACTOR_ENABLED, actor=people.fiona).exists()


def test_enrolled_staff_verify_in_each_new_session(people: Personas) -> None:
    device = _enrolled(people.sam)
    client = _signed_in(people.sam)
    response = client.get("/tickets/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/2fa/verify/?next=")
    refused = client.post("/account/2fa/verify/", {"code": "123456", "next": "/"})
    assert refused.status_code == 200 and b"not right" in refused.content
    assert AuditEntry.objects.filter(kind=AuditKind.TWO_FACTOR_FAILED, actor=people.sam).exists()
    _forgive(device)
    session_before = client.session.session_key
    accepted = client.post("/account/2fa/verify/", {"code": _code(device), "next": "/account/security/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/account/security/"
    assert client.session.session_key != session_before  # a fresh session key after elevation
    assert client.get("/account/security/").status_code == 200
    assert AuditEntry.objects.filter(kind=AuditKind.TWO_FACTOR_VERIFIED, actor=people.sam).exists()


def test_a_recovery_code_works_once(people: Personas) -> None:
    _enrolled(people.sam)
    codes = two_factor.recovery_codes_create(people.sam)
    first = _signed_in(people.sam)
    assert first.post("/account/2fa/verify/", {"code": codes[0], "next": "/"}).status_code == 302
    assert two_factor.recovery_codes_left(people.sam) == len(codes) - 1
    second = _signed_in(people.sam)
    assert second.post("/account/2fa/verify/", {"code": codes[0], "next": "/"}).status_code == 200


def test_the_admin_is_behind_the_gate_too(people: Personas) -> None:
    _enrolled(people.adam)
    client = _signed_in(people.adam)
    for path in ("/admin/", "/admin/accounts/user/", "/admin/audit/auditentry/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/account/2fa/verify/"), path


def test_password_alone_cannot_add_or_remove_an_authenticator(people: Personas) -> None:
    _enrolled(people.sam)
    client = _signed_in(people.sam)
    setup = client.get("/account/2fa/setup/")
    assert setup.status_code == 302 and setup["Location"].startswith("/account/2fa/verify/")
    client.post("/account/2fa/disable/")
    assert TOTPDevice.objects.filter(user=people.sam, confirmed=True).exists()
    assert TOTPDevice.objects.filter(user=people.sam).count() == 1


def test_required_two_factor_cannot_be_switched_off(people: Personas) -> None:
    device = _enrolled(people.sam)
    UserSecurity.objects.create(user=people.sam, two_factor_required=True)
    client = _signed_in(people.sam)
    client.post("/account/2fa/verify/", {"code": _code(device), "next": "/"})
    response = client.post("/account/2fa/disable/")
    assert response.status_code == 409
    assert TOTPDevice.objects.filter(user=people.sam).exists()


def test_optional_two_factor_can_be_switched_off_after_verifying(people: Personas) -> None:
    device = _enrolled(people.sam)
    client = _signed_in(people.sam)
    client.post("/account/2fa/verify/", {"code": _code(device), "next": "/"})
    assert client.post("/account/2fa/disable/").status_code == 302
    assert not TOTPDevice.objects.filter(user=people.sam).exists()
    assert AuditEntry.objects.filter(kind=AuditKind.TWO_FACTOR_DISABLED, actor=people.sam).exists()


def test_setting_can_require_it_for_roles(people: Personas, settings: Any) -> None:
    settings.OTKLIK_2FA_REQUIRED_ROLES = ["admin"]
    assert two_factor.state_for(people.adam).required
    assert not two_factor.state_for(people.fiona).required


def test_session_api_calls_get_a_coded_403(people: Personas) -> None:
    _enrolled(people.sam)
    response = _signed_in(people.sam).get("/api/v1/tickets/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"


def test_next_never_leaves_the_site(people: Personas) -> None:
    device = _enrolled(people.sam)
    client = _signed_in(people.sam)
    response = client.post("/account/2fa/verify/", {"code": _code(device), "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_who_must_verify_is_decided_once_then_remembered(people: Personas, django_assert_num_queries: Any) -> None:
    # The policy row and the person's devices/rule, each remembered (otklik.core.lookups) until they change:
    # two queries the first time, none on the next requests (tests/core/test_lookups.py: the invalidation).
    with django_assert_num_queries(2):
        state = two_factor.state_for(people.fiona)
    assert not state.must_verify
    with django_assert_num_queries(0):
        assert not two_factor.state_for(people.fiona).must_verify
    with django_assert_num_queries(0):
        assert not two_factor.state_for(people.alice).must_verify


def test_time_drift_of_one_step_is_accepted(people: Personas) -> None:
    device = _enrolled(people.sam)
    client = _signed_in(people.sam)
    previous = _code(device, offset=-1)
    response = client.post("/account/2fa/verify/", {"code": previous, "next": "/"})
    assert response.status_code == 302
