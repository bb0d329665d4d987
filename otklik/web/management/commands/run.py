"""`otklik run`: migrate, then serve the web app with a job worker and the scheduler beside it."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from otklik.demodata.seed import demo_account_lines
from otklik.telegram.bots import any_configured
from otklik.tickets.models import Ticket


def banner(*, host: str, port: int, demo: bool) -> str:
    lines = [f"Otklik is running at http://{host}:{port}/",
             f"Links in notifications and mail point to {settings.OTKLIK_BASE_URL}/ (set OTKLIK_BASE_URL to change)."]
    if demo:
        lines += demo_account_lines()
    mailer = settings.MAILERS["default"]
    if mailer["BACKEND"].endswith("filebased.EmailBackend"):
        lines.append(f"No mail server is configured: mail is written to {mailer['OPTIONS']['file_path']} "
                     "and listed on the Mail log page (set EMAIL_HOST to send it).")
    return "\n".join(lines)


def uvicorn_options(host: str, port: int) -> dict[str, Any]:
    """How `otklik run` starts uvicorn. Forwarded headers are left alone: uvicorn would otherwise trust
    X-Forwarded-For from 127.0.0.1 and rewrite the client address before Django sees it, so a local
    client could forge a new address per login try. One rule decides the client address instead:
    `security.network.client_ip` with OTKLIK_TRUSTED_PROXY_COUNT."""
    # No lifespan events are used; "off" also stops uvicorn's "lifespan unsupported" notice.
    return {"host": host, "port": port, "log_level": "info", "proxy_headers": False, "forwarded_allow_ips": "",
            "lifespan": "off"}


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # uvicorn shuts down on SIGTERM, then raises the signal again for the previous handler; the default
    # one would end this process on the spot and leave the worker and the bot running as orphans.
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Migrate and run the service desk: web server, job worker and scheduler in one command."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1",
                            help="Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--demo", action="store_true", help="Load the demo data if there are no tickets yet.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the job worker.")
        parser.add_argument("--workers", type=int, default=2, help="Job worker threads.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["demo"] and not Ticket.objects.exists():
            call_command("demo", show_accounts=False)
        worker = None
        if not options["no_worker"]:
            # A separate process keeps the worker's GIL and crashes apart from the web server's.
            worker = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "otklik", "run_huey", "--workers", str(options["workers"]),
                 "--worker-type", "thread"],
            )
        telegram = None
        if any_configured():
            # Long polling for the configured Telegram bots, in its own process like the worker.
            telegram = subprocess.Popen([sys.executable, "-m", "otklik", "telegram", "run"])
        self.stdout.write(banner(host=options["host"], port=options["port"], demo=options["demo"]))
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            import uvicorn

            uvicorn.run("otklik.asgi:application", **uvicorn_options(options["host"], options["port"]))
        finally:
            if telegram is not None:
                telegram.send_signal(signal.SIGTERM)
                try:
                    telegram.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    telegram.kill()
            if worker is not None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
