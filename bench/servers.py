"""Starting and stopping real server processes for the multi-process benchmarks (chat, scale-out)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterable

# For a benchmark's set-up script run in a child process (after django.setup()): `session(user)` signs the
# user in and returns the session key a client sends as its `sessionid` cookie.
SESSION_CODE = """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
backend = next(b for b in settings.AUTHENTICATION_BACKENDS if "ModelBackend" in b)
def session(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk); store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash(); store.create()
    return store.session_key
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_ports(ports: Iterable[int], timeout: float = 60.0) -> None:
    """Return once every port on 127.0.0.1 accepts a connection; raise if one does not in time."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s") from None
                time.sleep(0.2)


def stop(processes: Iterable[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    """Terminate the processes and wait for them; kill the ones that do not end in time."""
    running = list(processes)
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def recreate_database(name: str) -> None:
    """Drop and create a PostgreSQL database on the local server (a benchmark's own)."""
    for statement in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(  # noqa: S603  (a fixed command on the local test server)
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement],  # noqa: S607
            check=True, capture_output=True,
        )
