from __future__ import annotations

import pytest

from otklik.accounts.models import Role
from otklik.testing import factories


@pytest.fixture
def agents(people):
    """Three more first-line agents beside Fiona, so strategies have a team to choose from."""
    made = [factories.user(Role.AGENT, first_name=name, email=f"{name.lower()}@otklik.test") for name in
            ("Olga", "Ivan", "Grace")]
    people.first_line.members.add(*made)
    return made
