"""Company sign-in through a real OpenID Connect provider (django-oauth-toolkit on loopback), in Chromium:
the login page's button, the provider's own sign-in page, the redirect back, and what Otklik made of it."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import Role, Team, User
from otklik.security.models import SecurityPolicy
from tests.sso import idp
from tests.sso.idp import IDP_PASSWORD, PROVIDER_NAME, make_provider

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

oidc_idp = idp.oidc_idp  # the provider subprocess, shared by the session


def _sso_sign_in(page: Any, email: str) -> None:
    page.goto("/login/")
    page.click(f"[data-sso='{PROVIDER_NAME}']")
    page.wait_for_selector("#idp-username")
    page.fill("#idp-username", email)
    page.fill("#idp-password", IDP_PASSWORD)
    page.click("#idp-submit")
    page.wait_for_load_state("domcontentloaded")


def _back_home(page: Any, server: str) -> bool:
    return bool(page.url.startswith(server) and "/login/" not in page.url and "/sso/" not in page.url)


def test_a_new_person_is_created_as_a_requester(oidc_idp: str, new_page: Any, server: str, screenshot: Any) -> None:
    make_provider(oidc_idp)
    page = new_page()
    page.goto("/login/")
    screenshot(page, "sso-login-page")
    _sso_sign_in(page, "newbie@corp.example")
    assert _back_home(page, server), page.url
    person = User.objects.get(email="newbie@corp.example")
    assert (person.role, person.first_name, person.last_name) == (Role.REQUESTER, "Nina", "Novak")
    assert not person.has_usable_password()
    assert SocialAccount.objects.filter(user=person, provider="corp").exists()
    assert page.errors == []


def test_an_existing_person_is_matched_by_verified_email(oidc_idp: str, new_page: Any, server: str) -> None:
    make_provider(oidc_idp)
    known = User.objects.create_user(email="known@corp.example", password="local-password-1")
    page = new_page()
    _sso_sign_in(page, "known@corp.example")
    assert _back_home(page, server), page.url
    assert User.objects.filter(email="known@corp.example").count() == 1
    assert SocialAccount.objects.get(provider="corp").user_id == known.pk
    known.refresh_from_db()
    assert known.check_password("local-password-1")  # Otklik's own accounts keep their password


def test_a_group_gives_the_agent_role_and_the_team(oidc_idp: str, new_page: Any, server: str) -> None:
    make_provider(oidc_idp)
    page = new_page()
    _sso_sign_in(page, "agent@corp.example")
    assert _back_home(page, server), page.url
    agent = User.objects.get(email="agent@corp.example")
    assert agent.role == Role.AGENT
    assert list(Team.objects.filter(members=agent).values_list("name", flat=True)) == ["Second line (SSO)"]


def test_an_unverified_email_is_not_matched(oidc_idp: str, new_page: Any, server: str, screenshot: Any) -> None:
    make_provider(oidc_idp)
    owner = User.objects.create_user(email="sneaky@corp.example", password="owner-password-1", role=Role.AGENT)
    page = new_page()
    _sso_sign_in(page, "sneaky@corp.example")
    assert "/login/" in page.url
    assert "did not confirm" in page.locator("#messages").inner_text()
    screenshot(page, "sso-unverified-refused")
    assert not SocialAccount.objects.filter(user=owner).exists()
    page.goto("/")
    assert "/login/" in page.url  # nobody is signed in


def test_staff_without_provider_mfa_are_asked_for_their_code(oidc_idp: str, new_page: Any, server: str) -> None:
    make_provider(oidc_idp, trust_mfa=True)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"require_two_factor_agents": True})
    staff = User.objects.create_user(email="staff@corp.example", role=Role.AGENT)
    TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    page = new_page()
    _sso_sign_in(page, "staff@corp.example")
    assert "/account/2fa/verify/" in page.url, page.url


def test_a_provider_trusted_for_mfa_stands_in_for_the_code(oidc_idp: str, new_page: Any, server: str) -> None:
    make_provider(oidc_idp, trust_mfa=True)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"require_two_factor_agents": True})
    page = new_page()
    _sso_sign_in(page, "mfa@corp.example")
    assert _back_home(page, server), page.url
    assert "/account/2fa/" not in page.url
    assert User.objects.get(email="mfa@corp.example").role == Role.AGENT
