"""Keeping a long-running web process's memory flat."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

logger = logging.getLogger(__name__)

# glibc's mallopt parameter number for the arena limit (malloc.h: #define M_ARENA_MAX -8).
M_ARENA_MAX = -8
DEFAULT_ARENAS = 2


def limit_malloc_arenas() -> int | None:
    """Cap glibc's malloc arenas (OTKLIK_MALLOC_ARENAS, default 2; 0 leaves glibc's default).

    Under ASGI Django runs every request's synchronous code in a new thread, and glibc gives threads
    arenas of their own, up to eight per core; freed memory stays scattered over them, so a web
    process's resident size creeps up under a steady load (bench/bench_soak.py). The same effect as
    the MALLOC_ARENA_MAX environment variable, but set by the process itself, so every way of starting
    it (`otklik run`, uvicorn, gunicorn, a container) gets it. Returns the limit set, or None where the
    C library is not glibc or the limit is off.
    """
    arenas = int(os.environ.get("OTKLIK_MALLOC_ARENAS", str(DEFAULT_ARENAS)))
    if arenas <= 0 or os.environ.get("MALLOC_ARENA_MAX"):
        return None  # switched off, or the operator set glibc's own variable, which wins
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return None
    if mallopt(M_ARENA_MAX, arenas) != 1:
        logger.warning("mallopt(M_ARENA_MAX, %s) was refused; malloc arenas stay at the C library's default", arenas)
        return None
    return arenas
