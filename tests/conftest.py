from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.utils import translation

from otklik.testing.personas import Personas, create_personas


@pytest.fixture
def people(db: None) -> Personas:
    return create_personas()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def default_language() -> None:
    """A request in Russian leaves Russian active in the thread; each test starts in the default language."""
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_lookups() -> None:
    """Each test's database starts from scratch, so remembered configuration (otklik.core.lookups) must too."""
    from otklik.core import lookups

    lookups.forget_all()
