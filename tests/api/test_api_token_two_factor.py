"""An API token while the two-factor policy requires enrolment (issue 11): refused until the owner enrols,
whether the token was made on the page or at the console."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from otklik.security.models import SecurityPolicy
from otklik.testing.personas import Personas


def _console_token(email: str, *scopes: str) -> str:
    out = StringIO()
    arguments = [part for scope in (scopes or ("read",)) for part in ("--scope", scope)]
    call_command("apitoken", "create", "--user", email, *arguments, stdout=out)
    return next(word for word in out.getvalue().split() if word.startswith("otk_"))


def _me(secret: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get("/api/v1/me/")
    if response.status_code != 200:
        assert response.json()["error"]["code"] == "authentication_failed"
    return response.status_code


def test_admin_token_is_refused_while_the_policy_requires_an_authenticator(people: Personas) -> None:
    secret = _console_token(people.adam.email, "read", "admin")
    assert _me(secret) == 200
    policy = SecurityPolicy.current()
    policy.require_two_factor_admins = True
    policy.save()
    assert _me(secret) == 401
    TOTPDevice.objects.create(user=people.adam, name="authenticator", confirmed=True)
    assert _me(secret) == 200


def test_the_policy_for_one_role_leaves_other_roles_tokens_alone(people: Personas) -> None:
    agent_secret = _console_token(people.fiona.email)
    requester_secret = _console_token(people.alice.email)
    policy = SecurityPolicy.current()
    policy.require_two_factor_admins = True
    policy.save()
    assert (_me(agent_secret), _me(requester_secret)) == (200, 200)
