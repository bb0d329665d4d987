from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client

from otklik.accounts.models import User
from otklik.testing.personas import PASSWORD, Personas


@pytest.fixture
def client_for(people: Personas) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        assert client.login(username=user.email, password=PASSWORD)
        return client

    return make


@pytest.fixture
def later(now: datetime) -> Callable[[int], datetime]:
    from datetime import timedelta

    return lambda minutes: now + timedelta(minutes=minutes)
