"""Email intake throughput: raw .eml file -> stored row -> parsed, classified, threaded -> ticket.

    .venv/bin/python bench/bench_mail.py [--messages 600] [--backend sqlite|postgres|both]

Each backend runs in its own process on a fresh database (SQLite: a temporary file; PostgreSQL: a
database `otklik_bench_mail` created and dropped on 127.0.0.1:5432 as user postgres). The messages
are a realistic mix: new requests in Russian and English, replies threaded by In-Reply-To, by the
subject tag and by our Reply-To token, HTML bodies with quoted history, attachments, auto-replies and
duplicates. Acknowledgements are sent through the job queue into Django's in-memory mail backend.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench_mail")


def generate(folder: Path, count: int) -> list[Path]:
    from otklik.mail import tokens  # needs settings (the token secret)

    paths: list[Path] = []
    requests: list[tuple[str, int, str]] = []  # (Message-ID, ticket number, requester)
    for index in range(count):
        message = EmailMessage()
        sender = f"user{index % 97}@client{index % 7}.example"
        message["From"] = f"User {index % 97} <{sender}>"
        message["To"] = "support@bench.otklik.test"
        message["Message-ID"] = f"<bench-{index}@client.example>"
        kind = index % 10
        if kind in (0, 1, 2, 3) or not requests:
            russian = index % 2 == 0
            message["Subject"] = f"Не печатает принтер №{index}" if russian else f"VPN is down #{index}"
            body = ("Здравствуйте! Принтер на третьем этаже не печатает с утра. " * 5 if russian
                    else "Hello, the VPN drops every ten minutes since Monday. " * 5)
            message.set_content(body)
            if index % 4 == 0:
                message.add_alternative(f"<p>{body}</p><p><b>Room 301</b></p>", subtype="html")
            if index % 8 == 0:
                message.add_attachment(b"x" * 20_000, maintype="application", subtype="pdf", filename="scan.pdf")
            requests.append((f"bench-{index}@client.example", len(requests) + 1, sender))
        elif kind in (4, 5):
            parent, number, requester = requests[-1 - index % min(len(requests), 5)]
            message.replace_header("From", f"<{requester}>")
            message["Subject"] = "Re: your request"
            message["In-Reply-To"] = f"<{parent}>"
            message.set_content("Any news?\n\nOn Mon, Mar 2, 2026 at 10:00 support wrote:\n> We are on it.")
        elif kind == 6:
            _parent, number, requester = requests[index % len(requests)]
            message.replace_header("From", f"<{requester}>")
            message["Subject"] = f"Re: [#{number}] still broken"
            message.set_content("Пишу ещё раз.\n\nИван Петров пишет:\n> Мы работаем над этим.")
        elif kind == 7:
            _parent, number, requester = requests[index % len(requests)]
            message.replace_header("From", f"<{requester}>")
            message.replace_header("To", tokens.reply_address(ticket_number=number,
                                                                address="support@bench.otklik.test"))
            message["Subject"] = "photo"
            message.set_content("Here is the photo.")
        elif kind == 8:
            message["Subject"] = "Automatic reply: your request"
            message["Auto-Submitted"] = "auto-replied"
            message.set_content("I am out of office until Monday.")
        else:
            # A duplicate delivery of an earlier request (same bytes, fetched twice).
            paths.append(paths[-1])
            continue
        path = folder / f"{index:05d}.eml"
        path.write_bytes(message.as_bytes())
        paths.append(path)
    return paths


def run_one(database_url: str, count: int) -> dict[str, object]:
    data_dir = tempfile.mkdtemp(prefix="otklik-bench-mail-")
    os.environ.update({
        "DATABASE_URL": database_url, "OTKLIK_DATA_DIR": data_dir, "OTKLIK_JOBS_IMMEDIATE": "1",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "otklik.settings.base", "OTKLIK_JOBS_BACKEND": "sqlite",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from otklik.mail import services
    from otklik.mail.models import InboundMail, InboundSource, Mailbox
    from otklik.tickets.models import Ticket

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    call_command("migrate", verbosity=0)
    mailbox = Mailbox.objects.create(name="Bench", email_address="support@bench.otklik.test")
    paths = generate(Path(data_dir), count)
    started = time.perf_counter()
    for path in paths:
        now = timezone.now()
        row, _created = services.inbound_store(raw=path.read_bytes(), source=InboundSource.IMPORT, mailbox=mailbox,
                                               now=now, enqueue=False)
        services.inbound_process(inbound_id=row.pk, now=now)
    elapsed = time.perf_counter() - started
    # The email channel's own share: parse + classify only, no database.
    from otklik.mail.classify import classify
    from otklik.mail.parsing import parse_mail

    raw_messages = [path.read_bytes() for path in paths]
    parse_started = time.perf_counter()
    for raw in raw_messages:
        classify(parse_mail(raw), own_addresses={"support@bench.otklik.test"}, own_message_id=False)
    parse_elapsed = time.perf_counter() - parse_started
    outcomes: dict[str, int] = {}
    for outcome in InboundMail.objects.values_list("outcome", flat=True):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {
        "backend": connection.vendor, "messages": len(paths), "seconds": round(elapsed, 2),
        "messages_per_second": round(len(paths) / elapsed, 1), "tickets": Ticket.objects.count(),
        "outcomes": outcomes, "parse_per_second": round(len(paths) / parse_elapsed, 1),
    }


def postgres_database(action: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    admin_url = PG_URL.rsplit("/", 1)[0] + "/postgres"
    name = PG_URL.rsplit("/", 1)[1]
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            if action == "create":
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"postgres: skipped ({exc.__class__.__name__}: {str(exc).strip()[:120]})")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        print(json.dumps(run_one(options.run, options.messages)))
        return
    targets = []
    if options.backend in {"sqlite", "both"}:
        targets.append(("sqlite", f"sqlite:///{tempfile.mkdtemp(prefix='otklik-bench-')}/bench.sqlite3"))
    if options.backend in {"postgres", "both"} and postgres_database("create"):
        targets.append(("postgres", PG_URL))
    try:
        for label, url in targets:
            result = subprocess.run(  # noqa: S603  (our own interpreter and script)
                [sys.executable, __file__, "--run", url, "--messages", str(options.messages)],
                capture_output=True, text=True, cwd=ROOT, check=False,
            )
            if result.returncode != 0:
                print(f"{label}: failed\n{result.stderr[-2000:]}")
                continue
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(
                f"{label:9} {figures['messages']} messages in {figures['seconds']} s = "
                f"{figures['messages_per_second']} messages/s raw file -> ticket "
                f"({figures['tickets']} tickets; {figures['outcomes']}); "
                f"parse+classify alone {figures['parse_per_second']} messages/s"
            )
    finally:
        if any(label == "postgres" for label, _url in targets):
            postgres_database("drop")


if __name__ == "__main__":
    main()
