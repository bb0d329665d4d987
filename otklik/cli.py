"""The `otklik` console command: Django's management commands with Otklik's settings preselected.

    otklik run [--host H] [--port P] [--demo]
    otklik demo
    otklik createadmin [--email E --password P]
    otklik <any Django management command>
"""

from __future__ import annotations

import argparse
import os
import sys


def run_environment(args: list[str], environ: dict[str, str]) -> dict[str, str]:
    """Environment defaults `otklik run` sets before the settings are read (so its job worker, a child
    process, inherits them): links in mail point to the host and port it serves, and a demo without a
    configured mail server writes its mail to a local folder instead of failing to reach port 25."""
    if not args or args[0] != "run":
        return {}
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--demo", action="store_true")
    known, _rest = parser.parse_known_args(args[1:])
    defaults: dict[str, str] = {}
    if not environ.get("OTKLIK_BASE_URL"):
        # 0.0.0.0 listens everywhere but is no address to open: links use the loopback name instead.
        host = "127.0.0.1" if known.host in {"0.0.0.0", "::", ""} else known.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        defaults["OTKLIK_BASE_URL"] = f"http://{host}:{known.port}"
    if known.demo and not environ.get("EMAIL_BACKEND") and not environ.get("EMAIL_HOST"):
        defaults["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    return defaults


# Console names that are no Python module names: `import` is a keyword, a hyphen is no identifier.
COMMAND_ALIASES = {"import": "import_data", "export-json": "export_json"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in COMMAND_ALIASES:
        args = [COMMAND_ALIASES[args[0]], *args[1:]]
    for key, value in run_environment(args, dict(os.environ)).items():
        os.environ.setdefault(key, value)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["otklik", *args])


if __name__ == "__main__":
    main()
