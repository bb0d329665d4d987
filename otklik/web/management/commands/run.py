"""`otklik run`: migrate, then serve the web app with a job worker and the scheduler beside it."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from otklik.tickets.models import Ticket


def uvicorn_options(host: str, port: int) -> dict[str, Any]:
    """How `otklik run` starts uvicorn. Forwarded headers are left alone: uvicorn would otherwise trust
    X-Forwarded-For from 127.0.0.1 and rewrite the client address before Django sees it, so a local
    client could forge a new address per login try. One rule decides the client address instead:
    `security.network.client_ip` with OTKLIK_TRUSTED_PROXY_COUNT."""
    return {"host": host, "port": port, "log_level": "info", "proxy_headers": False, "forwarded_allow_ips": ""}


class Command(BaseCommand):
    help = "Migrate and run the service desk: web server, job worker and scheduler in one command."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--demo", action="store_true", help="Load the demo data if there are no tickets yet.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the job worker.")
        parser.add_argument("--workers", type=int, default=2, help="Job worker threads.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["demo"] and not Ticket.objects.exists():
            call_command("demo")
        worker = None
        if not options["no_worker"]:
            # A separate process keeps the worker's GIL and crashes apart from the web server's.
            worker = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "otklik", "run_huey", "--workers", str(options["workers"]),
                 "--worker-type", "thread"],
            )
        self.stdout.write(f"Otklik is running at http://{options['host']}:{options['port']}/")
        try:
            import uvicorn

            uvicorn.run("otklik.asgi:application", **uvicorn_options(options["host"], options["port"]))
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
