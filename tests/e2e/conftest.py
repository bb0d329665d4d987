"""Browser tests: Debian's Chromium driven by Playwright against the real ASGI app (HTTP + websockets).

The app runs under uvicorn in a thread of the test process, so it shares the test database (also
SQLite, a file in shared memory) and the in-memory channel layer. Each test gets its own server and a clean database
(transactional, with the migrations' reference rows restored).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop in the test thread; Django refuses ORM calls there otherwise.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("e2e: /usr/bin/chromium is missing (apt-get install -y chromium fonts-dejavu-core; CI does)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright runs the test code in its own greenlet, where Django's per-context connection is a new
    # object: hand it the snapshot that serialized rollbacks restore, or later tests start empty.
    snapshot = getattr(connections["default"], "_test_serialized_contents", None)
    with sync_playwright() as playwright:
        if snapshot is not None:
            # django-stubs do not declare this private attribute of the test database setup
            connections["default"]._test_serialized_contents = snapshot  # type: ignore[attr-defined]
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    """The ASGI app (pages, static files, presence websocket) on a free loopback port."""
    import uvicorn

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.DEBUG = False
    # Static files straight from the apps' folders: no collectstatic in tests.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    from otklik.asgi import build_application

    port = _free_port()
    config = uvicorn.Config(build_application(), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ws="websockets")
    uv_server = uvicorn.Server(config)
    thread = threading.Thread(target=uv_server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv_server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start for the e2e test")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    uv_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def new_page(browser: Any, server: str) -> Iterator[Any]:
    """Opens pages in separate browser contexts (separate cookies: separate people)."""
    contexts = []

    def open_page(*, width: int = 1366, height: int = 900, locale: str = "en-US") -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                      base_url=server)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # JavaScript errors are test failures
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()


def _screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


@pytest.fixture
def screenshot() -> Callable[[Any, str], None]:
    """Saves a full-page PNG into test-artifacts/screenshots/ (ignored by git) for people to look at."""
    return _screenshot


@pytest.fixture
def sign_in() -> Callable[[Any, str, str], None]:
    return _sign_in
