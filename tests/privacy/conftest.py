from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from otklik.testing.personas import Personas
from tests.access.world import World, build_world


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world(people: Personas, now: datetime, media: Path) -> World:
    return build_world(people, now)
