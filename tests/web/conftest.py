from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client

from otklik.accounts.models import User
from otklik.security import two_factor
from otklik.testing.personas import PASSWORD, Personas


@pytest.fixture
def client_for(people: Personas) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        assert client.login(username=user.email, password=PASSWORD)
        # The gate's answer is remembered after the first request (otklik.core.lookups); filled here, so
        # the query counts of the tests measure their pages, not that first fill.
        two_factor.state_for(user)
        return client

    return make


@pytest.fixture
def later(now: datetime) -> Callable[[int], datetime]:
    from datetime import timedelta

    return lambda minutes: now + timedelta(minutes=minutes)
