from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from otklik.chat import services
from otklik.chat.models import Membership, SupportChat
from otklik.testing.personas import Personas


@dataclass(frozen=True)
class Chats:
    """Org A's chat served by the first line; Org B's served by the second line; an open chat for all."""

    org_a: SupportChat
    org_b: SupportChat
    everyone: SupportChat


@pytest.fixture
def chats(people: Personas, now: datetime) -> Chats:
    org_a = services.chat_create(
        actor=people.adam, name="Org A help", team=people.first_line, membership=Membership.ORGANIZATIONS,
        organizations=[people.org_a], now=now, allowed_origins="http://127.0.0.1:9999",
    )
    org_b = services.chat_create(
        actor=people.adam, name="Org B help", team=people.second_line, membership=Membership.ORGANIZATIONS,
        organizations=[people.org_b], now=now,
    )
    everyone = services.chat_create(
        actor=people.adam, name="Everyone", team=people.first_line, now=now, allow_guests=True,
    )
    return Chats(org_a=org_a, org_b=org_b, everyone=everyone)
