"""A request that brings an API token is answered by the token alone, even when a session cookie comes along
(otklik.api.middleware): the same answer and the same queries as without the cookie, no weaker checks."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.testing.personas import Personas
from otklik.tickets.models import Ticket

TOKEN_MIDDLEWARE = "otklik.api.middleware.TokenRequestsWithoutSessionMiddleware"


def _client(secret: str | None = None, *, signed_in: object = None) -> APIClient:
    client = APIClient()
    if signed_in is not None:
        client.force_login(signed_in)  # type: ignore[arg-type]
    if secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _secret(user: object, now: datetime, **options: object) -> str:
    return token_create(actor=user, user=user, name="t", scopes=("read", "write"), now=now,  # type: ignore[arg-type]
                        **options).secret  # type: ignore[arg-type]


def _create(client: APIClient, subject: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/tickets/", {"subject": subject, "body_text": "Floor 3"}, format="json")
    return response.status_code, [query["sql"] for query in queries.captured_queries]


def test_the_middleware_runs_before_sessions_are_read() -> None:
    middleware = list(settings.MIDDLEWARE)
    assert middleware.index(TOKEN_MIDDLEWARE) < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")


def test_a_token_create_with_a_staff_session_cookie_is_the_tokens_and_costs_no_session_queries(
    people: Personas, now: datetime
) -> None:
    bare = _client(_secret(people.alice, now))
    with_cookie = _client(_secret(people.alice, now), signed_in=people.fiona)
    for client in (bare, with_cookie):  # first uses: the token's use is recorded, the first number counted
        assert _create(client, "Warm-up")[0] == 201

    bare_status, bare_queries = _create(bare, "Without a cookie")
    cookie_status, cookie_queries = _create(with_cookie, "With Fiona's cookie")

    assert (bare_status, cookie_status) == (201, 201)
    assert len(cookie_queries) == len(bare_queries)
    assert not any("django_session" in sql for sql in cookie_queries)
    assert Ticket.objects.get(subject="With Fiona's cookie").requester_id == people.alice.pk


def test_the_browser_session_survives_a_token_request(people: Personas, now: datetime) -> None:
    client = _client(_secret(people.alice, now), signed_in=people.fiona)

    response = client.get("/api/v1/me/")

    assert response.json()["email"] == people.alice.email
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # not deleted, not re-issued
    client.credentials()  # the same browser without the token header is Fiona again
    assert client.get("/api/v1/me/").json()["email"] == people.fiona.email


def test_a_wrong_token_is_refused_even_beside_a_valid_session(people: Personas) -> None:
    client = _client("otk_not-a-real-token", signed_in=people.fiona)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_the_session_users_second_factor_is_not_asked_of_the_tokens_owner(people: Personas, now: datetime) -> None:
    TOTPDevice.objects.create(user=people.fiona, name="authenticator", confirmed=True)  # enrolled, not verified
    session_only = _client(signed_in=people.fiona)
    with_token = _client(_secret(people.alice, now), signed_in=people.fiona)

    gated = session_only.get("/api/v1/me/")
    answered = with_token.get("/api/v1/me/")

    assert gated.status_code == 403 and gated.json()["error"]["code"] == "two_factor_required"
    assert answered.status_code == 200 and answered.json()["email"] == people.alice.email


def test_a_session_write_without_csrf_is_still_refused_whatever_other_header_it_carries(people: Personas) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(people.alice)
    client.credentials(HTTP_AUTHORIZATION="Basic YWxpY2U6cGFzc3dvcmQ=")  # not a token: the session decides

    response = client.post("/api/v1/tickets/", {"subject": "x"}, format="json")

    assert response.status_code == 403
    assert not Ticket.objects.filter(subject="x").exists()


@override_settings(OTKLIK_API_REQUESTS_PER_MINUTE=2)
def test_a_token_request_with_a_cookie_is_still_rate_limited(people: Personas, now: datetime) -> None:
    client = _client(_secret(people.alice, now), signed_in=people.fiona)

    statuses = [client.get("/api/v1/statuses/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_pages_that_do_not_take_tokens_keep_the_session(people: Personas, now: datetime) -> None:
    # The token page is a signed-in page, not a token endpoint: a token header does not sign its visitor out.
    client = _client(_secret(people.alice, now), signed_in=people.fiona)

    assert client.get("/api/tokens/").status_code == 200
    assert _client(_secret(people.alice, now)).get("/api/tokens/").status_code == 302


def test_a_token_header_on_a_web_page_leaves_the_session_alone(people: Personas, now: datetime) -> None:
    client = _client(_secret(people.fiona, now), signed_in=people.fiona)

    assert client.get("/").status_code == 200  # the agent's queue, signed in by the session
    assert _client(_secret(people.fiona, now)).get("/").status_code == 302  # no session: to the sign-in page
