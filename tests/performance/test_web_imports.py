"""A web process does not import, at start, the packages only some requests or the jobs need.

Every module a web process imports stays resident for its whole life in each of the processes
(docs/performance.md, "Sixth round: memory"). httpx (with rich, click and pygments where its command-line
extra is installed), `holidays` and `qrcode` are imported where they are used instead. A fresh
interpreter loads the ASGI application and the URLconf, as uvicorn and the first request do, and lists
what it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAZY = ("httpx", "rich", "holidays", "qrcode")

CODE = """
import json, sys
import otklik.asgi
from django.urls import get_resolver
get_resolver().url_patterns
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in NAMES)))
"""


def test_web_process_start_leaves_the_lazy_packages_unimported(tmp_path: Path) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="otklik.settings.test", OTKLIK_DATA_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", CODE.replace("NAMES", repr(set(LAZY)))],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )
    imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert imported == []


def test_the_lazy_packages_are_imported_where_used(tmp_path: Path) -> None:
    """The check above can fail: importing the modules' users by name pulls the packages in on use."""
    code = CODE.replace("get_resolver().url_patterns", (
        "get_resolver().url_patterns\n"
        "from otklik.security.views import _qr_svg\n"
        "_qr_svg('otpauth://totp/x?secret=ABC')\n"
        "from otklik.sla.production_calendar import plan_import\n"
        "import datetime\n"
        "from otklik.sla.models import HolidayCalendar\n"
        "plan_import(HolidayCalendar(name='x'), 2026)\n"
    ))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="otklik.settings.test", OTKLIK_DATA_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code.replace("NAMES", repr(set(LAZY)))],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )
    imported = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert {"holidays", "qrcode"} <= imported
