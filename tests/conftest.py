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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A transactional test empties every table when it ends; without `serialized_rollback` the tests
    after it on the same worker lose the migrated reference rows (or collide with them on restore), so
    they fail by order. Refuse such a test when it is collected rather than when it bites."""
    offenders = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            offenders.append(item.nodeid)
    if offenders:
        raise pytest.UsageError(
            "transactional tests need serialized_rollback=True: " + ", ".join(offenders[:10])
        )


@pytest.fixture(autouse=True)
def fresh_lookups() -> None:
    """Each test's database starts from scratch, so remembered configuration (otklik.core.lookups) must too.

    A per-process cache is also emptied: the answers of earlier tests in this worker (kept 300 s, settings/test.py)
    would otherwise fill it, and once full Django's local-memory cache culls a third of its keys, the most
    recently used first (`OrderedDict.popitem()`): this test's own answers, so query-count pins would fail by
    chance."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    from otklik.core import lookups

    lookups.forget_all()
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
