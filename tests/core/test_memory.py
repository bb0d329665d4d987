"""The web process caps glibc's malloc arenas itself (otklik.core.memory), unless told otherwise."""

from __future__ import annotations

import ctypes.util
import platform
from pathlib import Path

import pytest

import otklik
from otklik.core.memory import limit_malloc_arenas

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arena limit is glibc's")


@glibc
def test_the_arena_limit_is_set_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTKLIK_MALLOC_ARENAS", raising=False)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert ctypes.util.find_library("c")
    assert limit_malloc_arenas() == 2
    monkeypatch.setenv("OTKLIK_MALLOC_ARENAS", "4")
    assert limit_malloc_arenas() == 4


@glibc
def test_the_limit_can_be_switched_off_or_left_to_glibcs_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK_MALLOC_ARENAS", "0")
    assert limit_malloc_arenas() is None
    monkeypatch.setenv("OTKLIK_MALLOC_ARENAS", "2")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert limit_malloc_arenas() is None


def test_the_web_entry_points_set_it_before_serving() -> None:
    # Threads started before the call keep glibc's default; both entry points call it before the app.
    for name in ("asgi.py", "wsgi.py"):
        source = (Path(otklik.__file__).parent / name).read_text(encoding="utf-8")
        assert source.index("limit_malloc_arenas()") < source.index("application = ")
