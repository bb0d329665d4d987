"""The token read behind every API request: one statement with the owner and their organization, read afresh
each time, so that revoking or expiring a token, deactivating its owner or changing their role counts on the
very next request of a client that was just let in."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from otklik.accounts.models import Role
from otklik.api.models import ApiToken
from otklik.api.tokens import token_create, token_find_active, token_revoke


def _bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_read_gives_what_the_orm_reads_with_owner_and_organization_in_one_statement(people):
    now = timezone.now()
    for user in (people.alice, people.fiona):  # with an organization and without one
        issued = token_create(actor=user, user=user, name="x", scopes=["read", "write"], now=now,
                              expires_at=now + timedelta(days=3), requests_per_minute=7)
        expected = ApiToken.objects.select_related("user", "user__organization").get(pk=issued.token.pk)

        with CaptureQueriesContext(connection) as captured:
            token = token_find_active(issued.secret, now=now)
            assert token is not None
            owner, organization = token.user, token.user.organization

        assert len(captured.captured_queries) == 1
        for field in ApiToken._meta.concrete_fields:
            assert getattr(token, field.attname) == getattr(expected, field.attname), field.name
        for field in type(owner)._meta.concrete_fields:
            assert getattr(owner, field.attname) == getattr(expected.user, field.attname), field.name
        assert token.scopes == ["read", "write"]
        assert token.expires_at is not None and token.expires_at.tzinfo is not None
        assert organization == expected.user.organization
        if organization is not None:
            assert organization.name == expected.user.organization.name  # type: ignore[union-attr]
        assert token._state.adding is False and token._state.db == expected._state.db


def test_revoking_a_token_counts_on_the_next_request(people):
    issued = token_create(actor=people.alice, user=people.alice, name="x", scopes=["read"], now=timezone.now())
    client = _bearer(issued.secret)
    assert client.get("/api/v1/me/").status_code == 200

    token_revoke(actor=people.alice, token_id=issued.token.pk, now=timezone.now())

    assert client.get("/api/v1/me/").status_code == 401


def test_a_token_stops_on_the_next_request_after_it_expires(people):
    now = timezone.now()
    issued = token_create(actor=people.alice, user=people.alice, name="x", scopes=["read"], now=now,
                          expires_at=now + timedelta(hours=1))
    client = _bearer(issued.secret)
    assert client.get("/api/v1/me/").status_code == 200

    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get("/api/v1/me/").status_code == 401


def test_deactivating_the_owner_counts_on_the_next_request(people):
    issued = token_create(actor=people.bob, user=people.bob, name="x", scopes=["read"], now=timezone.now())
    client = _bearer(issued.secret)
    assert client.get("/api/v1/me/").status_code == 200

    people.bob.is_active = False
    people.bob.save(update_fields=["is_active"])

    assert client.get("/api/v1/me/").status_code == 401


def test_a_changed_role_and_organization_count_on_the_next_request(people):
    issued = token_create(actor=people.fiona, user=people.fiona, name="x", scopes=["read"], now=timezone.now())
    client = _bearer(issued.secret)
    assert client.get("/api/v1/me/").json()["role"] == Role.AGENT
    assert client.get("/api/v1/users/").status_code == 200  # staff look people up

    people.fiona.role = Role.REQUESTER
    people.fiona.organization = people.alice.organization
    people.fiona.save(update_fields=["role", "organization"])

    me = client.get("/api/v1/me/").json()
    assert me["role"] == Role.REQUESTER
    assert me["organization"] == people.alice.organization_id
    assert [user["id"] for user in client.get("/api/v1/users/").json()["results"]] == [people.fiona.pk]


def test_last_used_is_written_once_a_minute_not_on_every_request(people):
    issued = token_create(actor=people.alice, user=people.alice, name="x", scopes=["read"], now=timezone.now())
    client = _bearer(issued.secret)

    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/me/")
    with CaptureQueriesContext(connection) as second:
        client.get("/api/v1/me/")

    def writes(captured: CaptureQueriesContext) -> int:
        return sum(1 for query in captured.captured_queries if query["sql"].startswith('UPDATE "api_apitoken"'))

    assert (writes(first), writes(second)) == (1, 0)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None
