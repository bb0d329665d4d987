"""The `otklik` console command: Django's management commands with Otklik's settings preselected.

    otklik run [--host H] [--port P] [--demo]
    otklik demo
    otklik createadmin [--email E --password P]
    otklik <any Django management command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["otklik", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
