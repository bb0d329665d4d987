"""LDAP sign-in and the directory sync against a real OpenLDAP (tests/sso/slapd.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from otklik.accounts.models import Role, Team, User
from otklik.security.models import UserSession
from otklik.settings.sso import configure_ldap
from otklik.sso.models import DirectoryAccount, GroupMapping, MappingSource
from tests.sso.slapd import AGENTS_GROUP, PEOPLE_BASE, SERVICE_DN, SERVICE_PASSWORD, Directory

pytestmark = pytest.mark.django_db

ACTIVE = "(!(employeeType=disabled))"


@pytest.fixture
def directory(slapd: Directory, settings: Any) -> Directory:
    values: dict[str, Any] = {}
    configure_ldap(
        values,
        {
            "OTKLIK_LDAP_URI": slapd.uri,
            "OTKLIK_LDAP_BIND_DN": SERVICE_DN,
            "OTKLIK_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "OTKLIK_LDAP_USER_BASE": PEOPLE_BASE,
            "OTKLIK_LDAP_USER_FILTER": f"(&(mail=%(user)s){ACTIVE})",
            "OTKLIK_LDAP_SYNC_FILTER": f"(&(objectClass=inetOrgPerson){ACTIVE})",
            "OTKLIK_LDAP_GROUP_BASE": "ou=groups,dc=corp,dc=example",
            "OTKLIK_LDAP_GROUP_TYPE": "groupOfNames",
        },
    )
    for name, value in values.items():
        setattr(settings, name, value)
    settings.OTKLIK_LDAP_ENABLED = True
    backends = list(settings.AUTHENTICATION_BACKENDS)
    backends.insert(
        backends.index("django.contrib.auth.backends.ModelBackend"), "otklik.sso.ldap_backend.DirectoryBackend"
    )
    settings.AUTHENTICATION_BACKENDS = backends
    team = Team.objects.create(name="Support (directory)")
    GroupMapping.objects.create(source=MappingSource.LDAP, value=AGENTS_GROUP.upper(), role=Role.AGENT, team=team)
    return slapd


def _sign_in(email: str, password: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": email, "password": password})
    client.response = response  # type: ignore[attr-defined]
    return client


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_new_person_gets_an_account_with_directory_attributes(directory: Directory) -> None:
    client = _sign_in("ivan@corp.example", "ivan-pass")
    assert _signed_in(client)
    ivan = User.objects.get(email="ivan@corp.example")
    assert (ivan.first_name, ivan.last_name, ivan.phone) == ("Ivan", "Petrov", "+7 495 123-45-67")
    assert ivan.organization is not None and ivan.organization.name == "Finance"
    assert ivan.role == Role.REQUESTER and ivan.username == "ivan@corp.example"
    assert not ivan.has_usable_password()
    assert DirectoryAccount.objects.get(user=ivan).dn == f"uid=ivan,{PEOPLE_BASE}"


def test_an_existing_person_is_found_and_mapped_to_agent_and_team(directory: Directory) -> None:
    olga = User.objects.create_user(email="olga@corp.example", role=Role.REQUESTER)
    client = _sign_in("OLGA@corp.example", "olga-pass")
    assert _signed_in(client)
    assert User.objects.filter(email__iexact="olga@corp.example").count() == 1
    olga.refresh_from_db()
    assert olga.role == Role.AGENT
    assert list(olga.teams.values_list("name", flat=True)) == ["Support (directory)"]


def test_a_wrong_password_is_refused(directory: Directory) -> None:
    client = _sign_in("ivan@corp.example", "not-his-password")
    assert not _signed_in(client)
    assert client.response.status_code == 200  # type: ignore[attr-defined]  # the form again, with its error
    assert not User.objects.filter(email="ivan@corp.example").exists()


def test_a_disabled_entry_cannot_sign_in(directory: Directory) -> None:
    directory.modify(f"dn: uid=dina,{PEOPLE_BASE}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n")
    try:
        assert not _signed_in(_sign_in("dina@corp.example", "dina-pass"))
    finally:
        directory.modify(f"dn: uid=dina,{PEOPLE_BASE}\nchangetype: modify\ndelete: employeeType\n")


def test_the_sync_switches_off_removed_and_disabled_people_and_signs_them_out(directory: Directory) -> None:
    from otklik.sso.directory import directory_sync

    petr_client = _sign_in("petr@corp.example", "petr-pass")
    gone_client = _sign_in("gone@corp.example", "gone-pass")
    olga_client = _sign_in("olga@corp.example", "olga-pass")
    assert _signed_in(petr_client) and _signed_in(gone_client) and _signed_in(olga_client)
    assert UserSession.objects.count() == 3

    directory.modify(f"dn: uid=petr,{PEOPLE_BASE}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n")
    directory.delete(f"uid=gone,{PEOPLE_BASE}")
    # Olga leaves the agents' group: the sync takes the role and the team back.
    directory.modify(f"dn: {AGENTS_GROUP}\nchangetype: modify\ndelete: member\nmember: uid=olga,{PEOPLE_BASE}\n")
    try:
        result = directory_sync(now=timezone.now())
    finally:
        directory.modify(f"dn: uid=petr,{PEOPLE_BASE}\nchangetype: modify\ndelete: employeeType\n")
        directory.modify(f"dn: {AGENTS_GROUP}\nchangetype: modify\nadd: member\nmember: uid=olga,{PEOPLE_BASE}\n")

    assert result.deactivated == 2
    petr, gone, olga = (User.objects.get(email=f"{uid}@corp.example") for uid in ("petr", "gone", "olga"))
    assert not petr.is_active and not gone.is_active and olga.is_active
    assert olga.role == Role.REQUESTER and not olga.teams.exists()
    assert "/login/" in petr_client.get("/")["Location"]  # signed out: back to the login page
    assert "/login/" in gone_client.get("/")["Location"]
    assert "/login/" not in olga_client.get("/")["Location"]
    assert set(UserSession.objects.values_list("user__email", flat=True)) == {"olga@corp.example"}

    # Back in the directory (Petr's flag was lifted above): the next sync switches him on again.
    second = directory_sync(now=timezone.now())
    assert second.reactivated == 1
    petr.refresh_from_db()
    assert petr.is_active


def test_the_sync_does_nothing_when_the_directory_answers_nobody(directory: Directory, settings: Any) -> None:
    from otklik.sso.directory import DirectoryUnavailable, directory_sync

    _sign_in("ivan@corp.example", "ivan-pass")
    settings.OTKLIK_LDAP_SYNC_FILTER = "(uid=nobody-at-all)"
    with pytest.raises(DirectoryUnavailable):
        directory_sync(now=timezone.now())
    assert User.objects.get(email="ivan@corp.example").is_active
