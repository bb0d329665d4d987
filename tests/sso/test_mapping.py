"""The group mapping rule shared by OpenID Connect and LDAP, and what is read from a provider's claims."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin

from otklik.accounts.models import Role, Team, User
from otklik.sso.claims import facts
from otklik.sso.mapping import apply_group_mappings, claim_values
from otklik.sso.models import GroupMapping, MappingSource, ProviderPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams() -> dict[str, Team]:
    return {name: Team.objects.create(name=name) for name in ("Agents", "Managers", "Unmanaged")}


def _map(source: str, value: str, role: str = "", team: Team | None = None, provider: SocialApp | None = None) -> None:
    GroupMapping.objects.create(source=source, value=value, role=role, team=team, provider=provider)


def test_the_highest_role_wins_and_teams_follow_groups(teams: dict[str, Team]) -> None:
    _map(MappingSource.LDAP, "cn=agents", Role.AGENT, teams["Agents"])
    _map(MappingSource.LDAP, "cn=managers", Role.MANAGER, teams["Managers"])
    person = User.objects.create_user(email="p@example.com")
    teams["Unmanaged"].members.add(person)
    assert apply_group_mappings(user=person, source=MappingSource.LDAP, values={"cn=agents", "cn=managers"})
    person.refresh_from_db()
    assert person.role == Role.MANAGER
    assert set(person.teams.values_list("name", flat=True)) == {"Agents", "Managers", "Unmanaged"}

    # Out of every mapped group: back to requester, out of the mapped teams, other teams untouched.
    apply_group_mappings(user=person, source=MappingSource.LDAP, values=set())
    person.refresh_from_db()
    assert person.role == Role.REQUESTER
    assert list(person.teams.values_list("name", flat=True)) == ["Unmanaged"]


def test_nothing_changes_without_mappings_and_superusers_keep_their_role(teams: dict[str, Team]) -> None:
    admin = User.objects.create_superuser(email="adam@example.com", password="x" * 12)
    assert not apply_group_mappings(user=admin, source=MappingSource.LDAP, values={"cn=agents"})
    _map(MappingSource.LDAP, "cn=agents", Role.AGENT)
    apply_group_mappings(user=admin, source=MappingSource.LDAP, values=set())
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_oidc_rows_apply_to_their_provider_or_to_all(teams: dict[str, Team]) -> None:
    one = SocialApp.objects.create(provider="openid_connect", provider_id="one", name="One", client_id="1")
    other = SocialApp.objects.create(provider="openid_connect", provider_id="other", name="Other", client_id="2")
    _map(MappingSource.OIDC, "agents", Role.AGENT, provider=other)
    _map(MappingSource.OIDC, "helpers", Role.AUDITOR)
    person = User.objects.create_user(email="p@example.com")
    apply_group_mappings(user=person, source=MappingSource.OIDC, values={"agents", "helpers"}, provider_id=one.pk)
    person.refresh_from_db()
    assert person.role == Role.AUDITOR


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["A", " b "], {"a", "b"}),
        ("x, Y", {"x", "y"}),
        (None, set()),
        ("", set()),
    ],
)
def test_claim_values(raw: Any, expected: set[str]) -> None:
    assert claim_values(raw) == expected


def _login(app: SocialApp, claims: dict[str, Any], verified: bool) -> SocialLogin:
    account = SocialAccount(provider=app.provider_id, uid="1", extra_data={"id_token": claims, "userinfo": claims})
    login = SocialLogin(
        account=account, email_addresses=[EmailAddress(email=claims["email"], verified=verified, primary=True)]
    )
    login.user = User(email=claims["email"])
    return login


def test_facts_read_groups_amr_and_the_provider_policy(rf: Any) -> None:
    from allauth.core import context

    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="corp",
        name="Corp",
        client_id="c",
        settings={"server_url": "http://127.0.0.1:1"},
    )
    ProviderPolicy.objects.create(app=app, groups_claim="roles", trust_mfa=True, mfa_amr_values="mfa, hwk")
    claims = {"email": "Ann@Corp.Example", "roles": ["Agents"], "groups": ["ignored"], "amr": ["pwd", "hwk"]}
    with context.request_context(rf.get("/")):
        found = facts(_login(app, claims, verified=False))
        assert (found.email, found.email_verified, found.groups, found.mfa_asserted) == (
            "ann@corp.example",
            False,
            {"agents"},
            True,
        )
        ProviderPolicy.objects.filter(app=app).update(trust_unverified_email=True, trust_mfa=False)
        again = facts(_login(app, claims, verified=False))
        assert again.email_verified and not again.mfa_asserted
