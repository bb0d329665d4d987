"""Personal API tokens: scopes, revocation, rate limits, the console command and the token page."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.test import APIClient

from otklik.api.models import ApiToken
from otklik.api.tokens import token_create, token_digest, token_revoke
from otklik.core.errors import InvalidInput
from otklik.testing.personas import PASSWORD


def _bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_token_is_stored_only_as_a_digest(people, now):
    issued = token_create(actor=people.fiona, user=people.fiona, name="CRM", scopes=["read"], now=now)

    stored = ApiToken.objects.get()
    assert issued.secret.startswith("otk_")
    assert stored.digest == token_digest(issued.secret)
    assert issued.secret not in {stored.digest, stored.prefix, stored.name}
    assert issued.secret.startswith(stored.prefix)


def test_read_token_cannot_write_and_write_token_can(people, now):
    reader = token_create(actor=people.alice, user=people.alice, name="r", scopes=["read"], now=now).secret
    writer = token_create(actor=people.alice, user=people.alice, name="w", scopes=["write"], now=now).secret

    refused = _bearer(reader).post("/api/v1/tickets/", {"subject": "x"}, format="json")
    created = _bearer(writer).post("/api/v1/tickets/", {"subject": "x"}, format="json")
    me = _bearer(reader).get("/api/v1/me/")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert created.status_code == 201
    assert me.json()["token_scopes"] == ["read"]
    assert me.json()["email"] == "alice@a.example"


def test_admin_scope_only_for_administrators(people, now):
    with pytest.raises(InvalidInput):
        token_create(actor=people.mia, user=people.mia, name="x", scopes=["admin"], now=now)
    admin_token = token_create(actor=people.adam, user=people.adam, name="x", scopes=["admin"], now=now)
    read_token = token_create(actor=people.adam, user=people.adam, name="x", scopes=["read"], now=now)

    assert _bearer(admin_token.secret).get("/api/v1/webhooks/").status_code == 200
    assert _bearer(read_token.secret).get("/api/v1/webhooks/").status_code == 403


def test_revoked_expired_unknown_and_malformed_tokens_are_401(people, now):
    from django.utils import timezone

    revoked = token_create(actor=people.alice, user=people.alice, name="x", scopes=["read"], now=now)
    token_revoke(actor=people.alice, token_id=revoked.token.pk, now=now)
    expired = token_create(
        actor=people.alice, user=people.alice, name="x", scopes=["read"], now=now, expires_at=now + timedelta(days=1)
    )
    assert expired.token.expires_at is not None and expired.token.expires_at < timezone.now()

    for header in (f"Bearer {revoked.secret}", f"Bearer {expired.secret}", "Bearer otk_nope", "Bearer", "Bearer a b"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get("/api/v1/me/")
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "authentication_failed"
    anonymous = APIClient().get("/api/v1/me/")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_inactive_users_tokens_stop_working(people, now):
    issued = token_create(actor=people.bob, user=people.bob, name="x", scopes=["read"], now=now)
    people.bob.is_active = False
    people.bob.save()

    assert _bearer(issued.secret).get("/api/v1/me/").status_code == 401


@override_settings(OTKLIK_API_REQUESTS_PER_MINUTE=3)
def test_rate_limit_is_per_token(people, now):
    first = token_create(actor=people.fiona, user=people.fiona, name="a", scopes=["read"], now=now).secret
    second = token_create(actor=people.fiona, user=people.fiona, name="b", scopes=["read"], now=now).secret
    generous = token_create(
        actor=people.fiona, user=people.fiona, name="c", scopes=["read"], now=now, requests_per_minute=10
    ).secret

    statuses = [_bearer(first).get("/api/v1/statuses/").status_code for _ in range(4)]
    other = _bearer(second).get("/api/v1/statuses/")
    generous_statuses = [_bearer(generous).get("/api/v1/statuses/").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200
    assert generous_statuses == [200] * 5
    limited = _bearer(first).get("/api/v1/statuses/")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited


def test_apitoken_command_prints_a_working_token(people):
    out, err = StringIO(), StringIO()

    call_command(
        "apitoken",
        "create",
        "--user",
        "Fiona@otklik.test",
        "--scope",
        "read",
        "--scope",
        "write",
        stdout=out,
        stderr=err,
    )

    secret = out.getvalue().strip()
    assert secret.startswith("otk_")
    assert ApiToken.objects.get().scopes == ["read", "write"]
    assert _bearer(secret).get("/api/v1/me/").json()["email"] == "fiona@otklik.test"
    listing = StringIO()
    call_command("apitoken", "list", "--user", "fiona@otklik.test", stdout=listing)
    assert secret not in listing.getvalue()
    call_command("apitoken", "revoke", "--id", str(ApiToken.objects.get().pk), stdout=StringIO())
    assert _bearer(secret).get("/api/v1/me/").status_code == 401


def test_apitoken_command_refuses_unknown_users_and_forbidden_scopes(people):
    with pytest.raises(CommandError, match="No user"):
        call_command("apitoken", "create", "--user", "nobody@x.test", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="admin"):
        call_command(
            "apitoken", "create", "--user", "alice@a.example", "--scope", "admin", stdout=StringIO(), stderr=StringIO()
        )
    assert not ApiToken.objects.exists()


def test_token_page_shows_the_secret_once_and_revokes(people, client):
    client.login(email="alice@a.example", password=PASSWORD)

    created = client.post("/api/tokens/", {"name": "Intranet widget", "scopes": ["read"]})
    listed = client.get("/api/tokens/")

    token = ApiToken.objects.get()
    content = created.content.decode()
    secret = content.split('<code id="new-token">')[1].split("</code>")[0]
    assert token.digest == token_digest(secret)
    assert secret not in listed.content.decode()
    assert token.prefix in listed.content.decode()
    assert _bearer(secret).get("/api/v1/me/").status_code == 200
    client.post(f"/api/tokens/{token.pk}/revoke/")
    assert _bearer(secret).get("/api/v1/me/").status_code == 401


def test_token_page_needs_login(client, db):
    assert client.get("/api/tokens/").status_code == 302


def test_session_users_need_csrf_for_writes(people):
    client = APIClient(enforce_csrf_checks=True)
    client.login(email="alice@a.example", password=PASSWORD)

    assert client.get("/api/v1/me/").status_code == 200
    assert client.post("/api/v1/tickets/", {"subject": "x"}, format="json").status_code == 403
