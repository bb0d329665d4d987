from __future__ import annotations

from datetime import UTC, datetime

import pytest

from otklik.testing.personas import Personas, create_personas


@pytest.fixture
def people(db: None) -> Personas:
    return create_personas()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
