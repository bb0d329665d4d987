from __future__ import annotations

from datetime import datetime

import pytest

from otklik.testing.personas import Personas
from tests.access.world import World, build_world


@pytest.fixture
def world(people: Personas, now: datetime) -> World:
    return build_world(people, now)


@pytest.fixture
def bare_world(people: Personas, now: datetime) -> World:
    """The same scene without files on disk, for suites that make hundreds of them."""
    return build_world(people, now, with_files=False)
