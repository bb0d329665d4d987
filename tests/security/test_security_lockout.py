"""Sign-in throttling: after N wrong passwords from one address for one name, even the right password is
refused for a while, with a clear message; every failure and the lockout land in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from otklik.audit.models import AuditEntry, AuditKind
from otklik.testing.personas import PASSWORD, Personas


def _login(client: Client, username: str, password: str, *, path: str = "/login/", ip: str = "203.0.113.7") -> Any:
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip,
                       HTTP_USER_AGENT="pytest-browser")


def test_lockout_after_the_limit_with_a_clear_message(people: Personas, settings: Any) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    client = Client()
    for attempt in range(limit - 1):
        response = _login(client, people.fiona.email, "wrong-password")
        assert response.status_code == 200, attempt  # the form again, with an error
    response = _login(client, people.fiona.email, "wrong-password")
    assert response.status_code == 429
    response = _login(client, people.fiona.email, PASSWORD)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed sign-in attempts" in text
    assert "15 minutes" in text
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session
    failures = AuditEntry.objects.filter(kind=AuditKind.LOGIN_FAILED, login_name=people.fiona.email)
    assert failures.count() >= limit
    assert failures.first().ip_address == "203.0.113.7"  # type: ignore[union-attr]
    assert failures.first().user_agent == "pytest-browser"  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(kind=AuditKind.LOCKED_OUT, login_name=people.fiona.email).exists()
    assert not AuditEntry.objects.filter(kind=AuditKind.LOGIN, actor=people.fiona).exists()


def test_changing_the_case_of_the_email_does_not_reset_the_count(people: Personas, settings: Any) -> None:
    client = Client()
    variants = [people.fiona.email.upper(), people.fiona.email.title(), people.fiona.email]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, variants[attempt % len(variants)], "wrong-password")
    assert _login(client, people.fiona.email, PASSWORD).status_code == 429


def test_a_lockout_does_not_lock_the_person_out_from_elsewhere(people: Personas, settings: Any) -> None:
    attacker = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, people.fiona.email, "wrong-password", ip="198.51.100.9")
    assert _login(attacker, people.fiona.email, PASSWORD, ip="198.51.100.9").status_code == 429
    office = Client()
    assert _login(office, people.fiona.email, PASSWORD, ip="203.0.113.50").status_code == 302


def test_success_resets_the_count_and_is_audited(people: Personas, settings: Any) -> None:
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, people.alice.email, "wrong-password")
    assert _login(client, people.alice.email, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, people.alice.email, "wrong-password")
    assert _login(client, people.alice.email, PASSWORD).status_code == 302
    login = AuditEntry.objects.filter(kind=AuditKind.LOGIN, actor=people.alice).first()
    assert login is not None and login.ip_address == "203.0.113.7"
    assert AuditEntry.objects.filter(kind=AuditKind.LOGOUT, actor=people.alice).exists()


def test_the_admin_sign_in_is_throttled_too(people: Personas, settings: Any) -> None:
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, people.adam.email, "wrong-password", path="/admin/login/")
    response = _login(client, people.adam.email, PASSWORD, path="/admin/login/")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_api_clients_get_the_lockout_as_json(people: Personas, settings: Any) -> None:
    from django.test import RequestFactory

    from otklik.security.lockout import lockout_response

    request = RequestFactory().post("/api/v1/auth/", HTTP_ACCEPT="application/json")
    response = lockout_response(request, None, {"username": "x"})
    assert response.status_code == 429
    assert b'"locked_out"' in response.content


@pytest.mark.parametrize(("forwarded", "proxies", "expected"), [
    ("", 0, "10.0.0.1"),
    ("203.0.113.9", 0, "10.0.0.1"),  # without a trusted proxy the header is the client's own claim
    ("198.51.100.1, 203.0.113.9", 1, "203.0.113.9"),  # the entry our proxy appended
    ("spoofed, 203.0.113.9", 2, "10.0.0.1"),  # garbage where the second proxy's entry should be
])
def test_client_address_trusts_only_configured_proxies(settings: Any, forwarded: str, proxies: int,
                                                       expected: str) -> None:
    from django.test import RequestFactory

    from otklik.security.network import client_ip

    settings.OTKLIK_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
