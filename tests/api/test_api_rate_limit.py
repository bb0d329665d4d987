"""The API's rate limit (docs/api.md, "Rate limits"): a budget of N requests a minute refilled evenly,
one request every 60/N seconds; over it, 429 with Retry-After; one cache entry per caller whatever the rate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from otklik.api.models import ApiToken
from otklik.api.throttling import ApiRateThrottle
from otklik.api.tokens import token_create
from otklik.testing.personas import Personas


class Clock:
    def __init__(self) -> None:
        self.at = 1_800_000_000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    found = Clock()
    monkeypatch.setattr(ApiRateThrottle, "timer", staticmethod(found))
    yield found


def _client(people: Personas, now: datetime, per_minute: int | None = None) -> APIClient:
    issued = token_create(actor=people.fiona, user=people.fiona, name="t", scopes=["read"], now=now,
                          requests_per_minute=per_minute)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


def _statuses(client: APIClient, times: int) -> list[int]:
    return [client.get("/api/v1/statuses/").status_code for _ in range(times)]


@override_settings(OTKLIK_API_REQUESTS_PER_MINUTE=3)
def test_a_burst_of_the_budget_is_served_then_429_with_the_seconds_until_the_next_one(
        people: Personas, now: datetime, clock: Clock) -> None:
    client = _client(people, now)

    assert _statuses(client, 3) == [200, 200, 200]
    refused = client.get("/api/v1/statuses/")

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused["Retry-After"] == "20"  # one request every 60/3 seconds
    clock.at += 19.5
    assert client.get("/api/v1/statuses/")["Retry-After"] == "1"
    clock.at += 0.5
    assert _statuses(client, 2) == [200, 429]  # one refilled, not the whole minute's budget


@override_settings(OTKLIK_API_REQUESTS_PER_MINUTE=3)
def test_a_minute_later_the_whole_budget_is_back(people: Personas, now: datetime, clock: Clock) -> None:
    client = _client(people, now)
    assert _statuses(client, 4) == [200, 200, 200, 429]

    clock.at += 60
    assert _statuses(client, 4) == [200, 200, 200, 429]
    clock.at += 600  # waiting longer saves nothing up beyond the budget
    assert _statuses(client, 4) == [200, 200, 200, 429]


@override_settings(OTKLIK_API_REQUESTS_PER_MINUTE=1000)
def test_a_steady_caller_at_the_limit_is_never_refused_and_one_faster_is(
        people: Personas, now: datetime, clock: Clock) -> None:
    steady, faster = _client(people, now, per_minute=7), _client(people, now, per_minute=7)

    served = []
    for _ in range(70):  # 60/7 s apart: float sums of the interval must not refuse an exact fit
        served.append(steady.get("/api/v1/statuses/").status_code)
        clock.at += 60 / 7
    assert served == [200] * 70

    fast = []
    for _ in range(30):  # one every 6 s (t = 0 .. 174 s) with a budget of 7 a minute
        fast.append(faster.get("/api/v1/statuses/").status_code)
        clock.at += 6
    # the budget of 7, plus one per 60/7 s over the 174 s (20 intervals, give or take the phase)
    assert 7 + 19 <= fast.count(200) <= 7 + 20
    assert fast[:10] == [200] * 10 and 429 in fast


@override_settings(OTKLIK_API_REQUESTS_PER_MINUTE=2)
def test_the_state_is_one_number_whatever_the_rate(people: Personas, now: datetime, clock: Clock) -> None:
    client = _client(people, now, per_minute=1_000_000)
    assert _statuses(client, 50) == [200] * 50

    token = ApiToken.objects.get(requests_per_minute=1_000_000)
    assert isinstance(cache.get(f"otklik-api-rate:token:{token.pk}"), float)
