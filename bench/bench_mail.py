"""Email intake throughput: raw .eml file -> stored row -> parsed, classified, threaded -> ticket.

    .venv/bin/python bench/bench_mail.py [--messages 600] [--backend sqlite|postgres|both]
                                         [--profile parse|ingest|drain] [--one-by-one]

It prints three figures per backend: parse-and-classify (parsing, charsets, bodies and quotes,
classification, the threading evidence in the headers; no database), raw to ticket (store the raw bytes,
then parse, dedupe, thread and ingest; in batches as the importer and the IMAP fetch do, or with
--one-by-one each message in transactions of its own as the MTA pipe does; jobs queued as in production), and end to
end, which adds draining the queued jobs in this process as a worker would (notification and trigger
dispatchers, acknowledgement sends). --profile prints cProfile statistics for one stage.

Each backend runs in its own process on a fresh database (SQLite: a temporary file; PostgreSQL: a
database `otklik_bench_mail` created and dropped on 127.0.0.1:5432 as user postgres). The messages
are a realistic mix: new requests in Russian and English, replies threaded by In-Reply-To, by the
subject tag and by our Reply-To token, HTML bodies with quoted history, attachments, auto-replies and
duplicates. Acknowledgements are sent through the job queue into Django's in-memory mail backend.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

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


def run_one(database_url: str, count: int, profile: str = "", one_by_one: bool = False,
            profile_clock: str = "cpu") -> dict[str, object]:
    data_dir = tempfile.mkdtemp(prefix="otklik-bench-mail-")
    os.environ.update({
        "DATABASE_URL": database_url, "OTKLIK_DATA_DIR": data_dir, "OTKLIK_JOBS_IMMEDIATE": "0",
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

    from otklik.mail import conf, services, threads
    from otklik.mail.bodies import build_body
    from otklik.mail.classify import classify
    from otklik.mail.models import InboundMail, InboundSource, Mailbox, OutboundMail, OutboundStatus
    from otklik.mail.parsing import parse_mail
    from otklik.tickets.models import Ticket

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    call_command("migrate", verbosity=0)
    mailbox = Mailbox.objects.create(name="Bench", email_address="support@bench.otklik.test")
    paths = generate(Path(data_dir), count)
    raw_messages = [path.read_bytes() for path in paths]
    profiler = None
    if profile:
        import cProfile

        # The CPU clock by default: on a shared machine the wall clock mostly measures waiting for
        # PostgreSQL and for the other sessions' processes, which hides where this process spends its work.
        profiler = cProfile.Profile(time.process_time) if profile_clock == "cpu" else cProfile.Profile()

    # Stage 1, the email channel's own share: parse (charsets, MIME), bodies and quotes, classification
    # and the threading evidence read from the headers. No database.
    ours = {"support@bench.otklik.test"}
    if profiler is not None and profile == "parse":
        profiler.enable()
    parse_started, parse_cpu = time.perf_counter(), time.process_time()
    for raw in raw_messages:
        parsed = parse_mail(raw)
        classify(parsed, own_addresses=ours, own_message_id=False)
        build_body(text=parsed.text, html=parsed.html, cid_urls={}, quoted_label="Show quoted text")
        threads.thread_evidence(parsed)
    parse_elapsed, parse_cpu = time.perf_counter() - parse_started, time.process_time() - parse_cpu
    if profiler is not None and profile == "parse":
        profiler.disable()

    # Stage 2, raw to ticket: store the raw bytes (committed first), then parse, classify, dedupe, thread and
    # ingest: by default in batches as `otklik mail import` and the IMAP fetch do (a batch stored in one
    # commit, then processed in one transaction, a savepoint per message); --one-by-one: two commits per
    # message, as the MTA pipe does. Jobs (dispatchers, acknowledgements) are queued, as in production.
    statements = [0]

    def counted(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    if profiler is not None and profile == "ingest":
        profiler.enable()
    counting = connection.execute_wrapper(counted)
    counting.__enter__()
    started, ingest_cpu = time.perf_counter(), time.process_time()
    if one_by_one:  # the MTA pipe's way: each message stored, then processed, in a transaction of its own
        for raw in raw_messages:
            now = timezone.now()
            row, _created = services.inbound_store(raw=raw, source=InboundSource.IMPORT, mailbox=mailbox,
                                                   now=now, enqueue=False)
            services.inbound_process(inbound_id=row.pk, now=now)
    else:  # what `otklik mail import` and an IMAP fetch do: a batch stored in one commit, processed in one
        for batch in itertools.batched(raw_messages, conf.process_batch()):
            services.inbound_intake(raws=[(raw, "") for raw in batch], source=InboundSource.IMPORT,
                                    mailbox=mailbox, now=timezone.now())
    elapsed, ingest_cpu = time.perf_counter() - started, time.process_time() - ingest_cpu
    ingest_statements, statements[0] = statements[0], 0
    if profiler is not None and profile == "ingest":
        profiler.disable()

    # Stage 3, what a job worker then does: the queued jobs (notification and trigger dispatchers, which
    # read every event not yet handled in one run; one send per acknowledgement), drained in this process.
    huey = settings.HUEY
    if profiler is not None and profile == "drain":
        profiler.enable()
    drain_started, drain_cpu = time.perf_counter(), time.process_time()
    jobs = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        jobs += 1
    drain_elapsed, drain_cpu = time.perf_counter() - drain_started, time.process_time() - drain_cpu
    drain_statements = statements[0]
    counting.__exit__(None, None, None)
    if profiler is not None and profile == "drain":
        profiler.disable()
    if profiler is not None:
        import pstats

        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(int(os.environ.get("BENCH_PROFILE_LINES", "45")))
        stats.sort_stats("tottime").print_stats(25)

    outcomes: dict[str, int] = {}
    for outcome in InboundMail.objects.values_list("outcome", flat=True):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    sent = OutboundMail.objects.filter(status=OutboundStatus.SENT).count()
    return {
        "backend": connection.vendor, "messages": len(paths), "seconds": round(elapsed, 2),
        "messages_per_second": round(len(paths) / elapsed, 1), "tickets": Ticket.objects.count(),
        "outcomes": outcomes, "parse_per_second": round(len(paths) / parse_elapsed, 1),
        "jobs": jobs, "drain_seconds": round(drain_elapsed, 2), "acknowledgements_sent": sent,
        "end_to_end_per_second": round(len(paths) / (elapsed + drain_elapsed), 1),
        # CPU of this process per message: less at the mercy of other work on the machine than wall time.
        "parse_cpu_ms": round(parse_cpu / len(paths) * 1000, 2),
        "ingest_cpu_ms": round(ingest_cpu / len(paths) * 1000, 1),
        "drain_cpu_ms": round(drain_cpu / len(paths) * 1000, 1),
        # Statements this process sent per message (Django's cursor, savepoints included; commits are not
        # statements), while storing and processing, and while draining the jobs (the job queue's own
        # storage is not counted).
        "ingest_statements": round(ingest_statements / len(paths), 1),
        "drain_statements": round(drain_statements / len(paths), 1),
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
    parser.add_argument("--profile", choices=["parse", "ingest", "drain"], default="",
                        help="cProfile one stage; the statistics go to stderr")
    parser.add_argument("--one-by-one", action="store_true",
                        help="store and process each message in transactions of its own (the MTA pipe's way) "
                             "instead of in batches (the importer's and the IMAP fetch's way)")
    parser.add_argument("--profile-clock", choices=["cpu", "wall"], default="cpu",
                        help="the profile's clock: this process's CPU time (default) or wall time")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        print(json.dumps(run_one(options.run, options.messages, options.profile, options.one_by_one,
                                 options.profile_clock)))
        return
    targets = []
    if options.backend in {"sqlite", "both"}:
        targets.append(("sqlite", f"sqlite:///{tempfile.mkdtemp(prefix='otklik-bench-')}/bench.sqlite3"))
    if options.backend in {"postgres", "both"} and postgres_database("create"):
        targets.append(("postgres", PG_URL))
    try:
        for label, url in targets:
            result = subprocess.run(  # noqa: S603  (our own interpreter and script)
                [sys.executable, __file__, "--run", url, "--messages", str(options.messages),
                 *(["--profile", options.profile, "--profile-clock", options.profile_clock]
                   if options.profile else []),
                 *(["--one-by-one"] if options.one_by_one else [])],
                capture_output=True, text=True, cwd=ROOT, check=False,
            )
            if options.profile:
                print(result.stderr)
            if result.returncode != 0:
                print(f"{label}: failed\n{result.stderr[-2000:]}")
                continue
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(
                f"{label:9} parse-and-classify (no database): {figures['parse_per_second']} messages/s "
                f"({figures['parse_cpu_ms']} ms CPU each)\n"
                f"{label:9} raw to ticket: {figures['messages']} messages in {figures['seconds']} s = "
                f"{figures['messages_per_second']} messages/s ({figures['ingest_cpu_ms']} ms CPU and "
                f"{figures['ingest_statements']} statements each in this process; "
                f"{figures['tickets']} tickets; {figures['outcomes']})\n"
                f"{label:9} then {figures['jobs']} queued jobs in {figures['drain_seconds']} s "
                f"({figures['drain_cpu_ms']} ms CPU and {figures['drain_statements']} statements per message; "
                f"{figures['acknowledgements_sent']} acknowledgements sent): end to end "
                f"{figures['end_to_end_per_second']} messages/s; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    finally:
        if any(label == "postgres" for label, _url in targets):
            postgres_database("drop")


if __name__ == "__main__":
    main()
