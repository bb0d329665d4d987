"""Otklik side by side with django-helpdesk: the same data shape, the same server set-up, interleaved loads.

    .venv/bin/python bench/bench_peer.py                         # 10,000 tickets, 3 rounds of 3 s per workload
    .venv/bin/python bench/bench_peer.py --tickets 100000 --rounds 3 --seconds 5

What it does, all on this machine (127.0.0.1 only):
1. builds django-helpdesk (PyPI, --peer-version) in a temporary folder: its own virtualenv made with pip,
   a minimal Django project generated there (nothing of it is kept in this repository);
2. loads N tickets with 4 messages each (description + 3 follow-ups, the texts of Otklik's generator)
   into database peer_helpdesk through django-helpdesk's ORM, and N tickets into peer_otklik through
   bench/generate.py (4 messages per ticket on average);
3. serves each with uvicorn, --workers processes each, ASGI, a database connection per request (see main):
   one single-process server per worker on its own port, the client's connections spread over them in
   turn (a proxy's upstreams do the same); --shared-socket serves with `uvicorn --workers` instead, whose
   processes share one socket and often leave all the load on one of them (docs/performance.md);
4. runs each workload for --seconds against one server, then the other, alternating who goes first,
   for --rounds rounds, and prints throughput, median and p95 latency and the Otklik/peer ratio; the web
   form workload posts each desk's own form as a person does (django-helpdesk's public form anonymously,
   Otklik's portal form as a signed-in requester: Otklik has no anonymous form), each connection reading
   the form page once for its CSRF token before the timed posts;
5. email intake: the same generated raw messages (half new requests, half replies threaded by In-Reply-To)
   go to each desk in one process: django-helpdesk through the code of its `get_email` command for a
   'local' queue (a folder of .eml files: `helpdesk.email.extract_email_metadata` per file, in name order,
   notifications sent inline to a dummy mail backend); Otklik through `inbound_intake` in batches (what
   `otklik mail import` does with a folder: stored in one commit, then processed a batch at a time), then
   the jobs that queued (notification and trigger dispatchers, acknowledgement sends) drained in the same
   process, so both sides are timed to the same point: ticket written and notifications out;
6. stops its servers and removes the temporary folder (unless --keep or --peer-dir).

The databases are reused when they already hold at least N tickets (creates during a run add rows);
--fresh drops them first. The client (httpx, asyncio) shares the machine's cores with both servers.
--only picks workloads (e.g. --only email); --db-prefix names the two databases (<prefix>_helpdesk,
<prefix>_otklik).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
READ_CONNECTIONS = 2  # one per server worker: latency of reads under a small steady load
# Rare words: two words of one sentence in 8 % of the tickets' internal notes. Not the bare number 4711:
# a search that is a ticket number the agent can see goes straight to that ticket (a redirect).
RARE_WORDS = "case 4711"

PEER_SETTINGS = """\
SECRET_KEY = "peer-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.sites", "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peerproj.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": %(name)r, "HOST": %(host)r, "PORT": %(port)r,
    "USER": %(user)r, "CONN_MAX_AGE": 0,
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_ID = 1
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
USE_TZ = True
TIME_ZONE = "Europe/Moscow"
# Otklik queues its notifications for a job worker; here mail is dropped so the peer does no SMTP at all.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# Teams mode needs pinax-teams (an optional extra); queues and staff permissions are what the workloads use.
HELPDESK_TEAMS_MODE_ENABLED = False
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]}
"""

PEER_URLS = """\
from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

PEER_ASGI = """\
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
application = get_asgi_application()
"""

# Run by the peer's own python: loads tickets through django-helpdesk's models, prints what the client needs.
PEER_LOAD = """\
import json, os, random, sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
import django

django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from helpdesk.models import FollowUp, Queue, Ticket
from rest_framework.authtoken.models import Token

target, texts = int(sys.argv[1]), json.loads(open(sys.argv[2]).read())
call_command("migrate", verbosity=0)
User = get_user_model()
agent = User.objects.filter(username="agent").first() or User.objects.create_superuser(
    "agent", "agent@peer.example", "bench-password")
queue, _ = Queue.objects.get_or_create(slug="support", defaults={"title": "Support", "allow_public_submission": True})
rng, now = random.Random(1), timezone.now()
have = Ticket.objects.count()
statuses = [Ticket.CLOSED_STATUS, Ticket.RESOLVED_STATUS, Ticket.OPEN_STATUS, Ticket.REOPENED_STATUS]
done = have
while done < target:
    size = min(2000, target - done)
    with transaction.atomic():
        planned = []
        for _ in range(size):
            subject, body = rng.choice(texts["subjects"])
            created = now - timedelta(minutes=rng.randint(10, 365 * 24 * 60))
            planned.append(Ticket(
                title=subject, description=body, queue=queue, created=created, modified=created,
                submitter_email=f"user{rng.randint(1, 500)}@acme.example",
                status=rng.choices(statuses, weights=[80, 12, 5, 3])[0], priority=rng.randint(1, 5),
                assigned_to=agent if rng.random() < 0.8 else None))
        tickets = Ticket.objects.bulk_create(planned)
        followups = []
        for ticket in tickets:
            at = ticket.created
            for kind in ("staff", "requester", "note" if rng.random() < 0.35 else "staff"):
                at = at + timedelta(minutes=rng.randint(5, 600))
                text = rng.choice(texts["notes" if kind == "note" else kind])
                followups.append(FollowUp(ticket=ticket, date=at, title="Comment", comment=text,
                                          public=kind != "note", user=agent if kind != "requester" else None))
        FollowUp.objects.bulk_create(followups)
    done += size
    print(f"  peer: {done:,} / {target:,} tickets", file=sys.stderr, flush=True)
token, _ = Token.objects.get_or_create(user=agent)
client = Client()
client.force_login(agent)
# A loaded open ticket (description + 3 follow-ups), not one made by an earlier run's create workload.
ticket = (Ticket.objects.filter(status=Ticket.OPEN_STATUS).annotate(n=Count("followup")).filter(n=3)
          .order_by("-id").first())
print(json.dumps({
    "tickets": Ticket.objects.count(), "followups": FollowUp.objects.count(), "token": token.key,
    "session": client.cookies["sessionid"].value, "queue": queue.pk, "ticket": ticket.pk,
    "messages": 1 + ticket.followup_set.count(),
}))
"""

# Run by the peer's own python: what `manage.py get_email` does for a 'local' queue, file by file in name
# order (the command lists the folder unordered, which would put replies before their requests).
PEER_MAIL = """\
import json, logging, os, sys, time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
import django

django.setup()
from django.utils import encoding
from helpdesk.email import extract_email_metadata
from helpdesk.models import FollowUp, Queue, Ticket

folder = sys.argv[1]
queue, _ = Queue.objects.update_or_create(slug="mailbench", defaults={
    "title": "Mail bench", "email_box_type": "local", "email_box_local_dir": folder,
    "allow_email_submission": True, "email_address": "support@bench.example", "email_box_interval": 0})
logger = logging.getLogger("django.helpdesk.queue.mailbench")
logger.handlers, logger.propagate = [], False
tickets, followups = Ticket.objects.count(), FollowUp.objects.count()
names = sorted(os.listdir(folder))
started = time.perf_counter()
for name in names:
    path = os.path.join(folder, name)
    with open(path, "r") as handle:
        full_message = encoding.force_str(handle.read(), errors="replace")
    if extract_email_metadata(message=full_message, queue=queue, logger=logger):
        os.unlink(path)
seconds = time.perf_counter() - started
new = Ticket.objects.count() - tickets
# A new ticket gets one follow-up too (its opening message): the replies are the follow-ups beyond those.
print(json.dumps({"messages": len(names), "seconds": seconds, "tickets": new,
                  "followups": FollowUp.objects.count() - followups - new}))
"""


def mail_workload(folder: Path, count: int, run: str) -> None:
    """`count` raw messages as .eml files: every even one a new request, every odd one the same person's
    reply to it (In-Reply-To, quoted history); a quarter of the requests carry an HTML alternative."""
    from email.message import EmailMessage

    folder.mkdir(parents=True, exist_ok=True)
    subject = ""
    for index in range(count):
        message = EmailMessage()
        person = index // 2
        message["From"] = f"User {person % 97} <user{person % 97}@client{person % 7}.example>"
        message["To"] = "support@bench.example"
        message["Message-ID"] = f"<mailbench-{run}-{index}@client.example>"
        if index % 2 == 0:
            russian = person % 2 == 0
            subject = f"Не печатает принтер {run}-{index}" if russian else f"VPN is down {run}-{index}"
            body = ("Здравствуйте! Принтер на третьем этаже не печатает с утра. " * 5 if russian
                    else "Hello, the VPN drops every ten minutes since Monday. " * 5)
            message["Subject"] = subject
            message.set_content(body)
            if person % 4 == 0:
                message.add_alternative(f"<p>{body}</p><p><b>Room 301</b></p>", subtype="html")
        else:
            message["Subject"] = f"Re: {subject}"
            message["In-Reply-To"] = f"<mailbench-{run}-{index - 1}@client.example>"
            message["References"] = f"<mailbench-{run}-{index - 1}@client.example>"
            message.set_content("Any news?\n\nOn Mon, Mar 2, 2026 at 10:00 support wrote:\n> We are on it.")
        (folder / f"{index:05d}.eml").write_bytes(message.as_bytes())


def otklik_mail_run(database_url: str, folder: Path) -> dict[str, Any]:
    """Otklik's side of the email workload, in its own process (see main): store, process, drain the jobs."""
    data_dir = tempfile.mkdtemp(prefix="otklik-peer-mail-")
    os.environ.update({
        "DATABASE_URL": database_url, "OTKLIK_DATA_DIR": data_dir, "OTKLIK_JOBS_IMMEDIATE": "0",
        "OTKLIK_JOBS_BACKEND": "sqlite", "LOG_LEVEL": "ERROR", "DJANGO_SETTINGS_MODULE": "otklik.settings.base",
    })
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from otklik.automation.tasks import triggers_sweep
    from otklik.core.models import WakeUp
    from otklik.mail import conf, services
    from otklik.mail.models import InboundSource, Mailbox
    from otklik.notifications.tasks import notifications_sweep
    from otklik.tickets.models import Message, Ticket

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mailbox, _ = Mailbox.objects.get_or_create(email_address="support@bench.example",
                                               defaults={"name": "Mail bench"})
    # Not timed: events left unhandled by earlier workloads (the servers run no job worker) are handled
    # first, so the drain below does this workload's work only.
    backlog = 0
    while handled := int(notifications_sweep.call_local() or 0) + int(triggers_sweep.call_local() or 0):
        backlog += handled
    WakeUp.objects.update(pending_since=None)
    tickets, messages = Ticket.objects.count(), Message.objects.count()
    paths = sorted(folder.iterdir())
    started = time.perf_counter()
    # What `otklik mail import` does with a folder (and an IMAP fetch with what it fetched), as
    # django-helpdesk's get_email takes its folder: a batch of files stored in one commit, then processed in
    # one transaction with a savepoint per message (`services.inbound_intake`).
    for batch in itertools.batched(paths, conf.process_batch()):
        services.inbound_intake(raws=[(path.read_bytes(), str(path)) for path in batch],
                                source=InboundSource.IMPORT, mailbox=mailbox, now=timezone.now())
    intake = time.perf_counter() - started
    huey, jobs = settings.HUEY, 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        jobs += 1
    seconds = time.perf_counter() - started
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"messages": len(paths), "seconds": seconds, "intake_seconds": intake, "jobs": jobs,
            "backlog": backlog, "tickets": Ticket.objects.count() - tickets,
            "followups": Message.objects.count() - messages - (Ticket.objects.count() - tickets)}


def run_mail_round(side: str, *, count: int, run: str, folder: Path, peer_python: Path, peer_env: dict[str, str],
                   otklik_url: str) -> tuple[Result, dict[str, Any]]:
    """One batch of fresh messages through one desk; throughput is messages over wall time in its process."""
    batch = folder / f"mail-{side}-{run}"
    mail_workload(batch, count, run)
    if side == "peer":
        done = subprocess.run([str(peer_python), "peer_mail.py", str(batch)], cwd=folder, env=peer_env,  # noqa: S603
                              check=True, stdout=subprocess.PIPE, text=True)
    else:
        env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
        done = subprocess.run([sys.executable, __file__, "--otklik-mail-run", str(batch),  # noqa: S603
                               "--otklik-mail-url", otklik_url], cwd=REPO, env=env, check=True,
                              stdout=subprocess.PIPE, text=True)
    shutil.rmtree(batch, ignore_errors=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    per_message = figures["seconds"] / max(figures["messages"], 1) * 1000
    return Result(done=figures["messages"], seconds=figures["seconds"],
                  latencies=[per_message] * figures["messages"]), figures


@dataclass
class Result:
    """One workload against one server, pooled over rounds."""

    done: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(result: Result) -> str:
    text = f"{result.rate:7.1f}/s  p50 {result.percentile(0.5):6.0f}  p95 {result.percentile(0.95):6.0f} ms"
    return text + (f"  ({result.errors} err)" if result.errors else "")


def format_table(rows: Sequence[tuple[str, Result, Result]]) -> str:
    """Workload, peer, Otklik, and how many times Otklik's throughput is the peer's (>1: Otklik faster)."""
    width = max([len("workload")] + [len(label) for label, _, _ in rows])
    lines = [f"{'workload':{width}}  {'django-helpdesk':36}  {'Otklik':36}  Otklik/peer",
             "-" * (width + 90)]
    for label, peer, ours in rows:
        ratio = f"{ours.rate / peer.rate:5.2f}x" if peer.rate else "  n/a"
        lines.append(f"{label:{width}}  {describe(peer):36}  {describe(ours):36}  {ratio}")
    return "\n".join(lines)


def markdown_table(rows: Sequence[tuple[str, Result, Result]]) -> str:
    lines = ["| workload | django-helpdesk | Otklik | Otklik vs peer |", "|---|---|---|---|"]
    for label, peer, ours in rows:
        ratio = f"{ours.rate / peer.rate:.2f}×" if peer.rate else "n/a"
        lines.append(f"| {label} | {' '.join(describe(peer).split())} | {' '.join(describe(ours).split())} | {ratio} |")
    return "\n".join(lines)


WORKLOADS = ("create", "form", "detail", "queue", "rare", "common", "email")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=10_000, help="tickets in each database (default 10,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one workload run")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds per workload before round 1")
    parser.add_argument("--concurrency", type=int, default=8, help="connections for the create workload")
    parser.add_argument("--workers", type=int, default=2, help="server processes for each desk")
    parser.add_argument("--shared-socket", action="store_true",
                        help="serve with uvicorn --workers (one shared socket) instead of one port per worker")
    parser.add_argument("--peer-version", default="2.6.1", help="django-helpdesk version from PyPI")
    parser.add_argument("--peer-dir", type=Path, help="build/reuse the peer here instead of a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--fresh", action="store_true", help="drop both databases first")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server (no database name)")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--mail-messages", type=int, default=1000,
                        help="raw messages per desk for the email workload, split over the rounds (default 1,000)")
    parser.add_argument("--only", default="",
                        help=f"comma-separated workloads to run (of {', '.join(WORKLOADS)}); default all")
    parser.add_argument("--db-prefix", default="peer", help="databases <prefix>_helpdesk and <prefix>_otklik")
    parser.add_argument("--otklik-mail-run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--otklik-mail-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = sorted(set(filter(None, args.only.split(","))) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads: {', '.join(unknown)}")
    if args.mail_messages < 0 or not re.fullmatch(r"[a-z0-9_]{1,40}", args.db_prefix):
        parser.error("needs --mail-messages >= 0 and a --db-prefix of lower-case letters, digits and _")
    if (args.tickets < 10 or args.rounds < 1 or args.seconds <= 0 or args.warmup < 0 or args.concurrency < 1
            or args.workers < 1):
        parser.error("needs --tickets >= 10, --rounds >= 1, --seconds > 0, --warmup >= 0, --concurrency >= 1, "
                     "--workers >= 1")
    if not args.postgres.startswith("postgres://") or "127.0.0.1" not in args.postgres:
        parser.error("--postgres must be postgres://USER@127.0.0.1:PORT (this benchmark stays on this machine)")
    return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_admin(server: str, *statements: str) -> list[Any]:
    import psycopg

    with psycopg.connect(server.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        return [conn.execute(s).fetchall() if s.lstrip().upper().startswith("SELECT") else conn.execute(s)
                for s in statements]


def ticket_count(server: str, name: str, table: str) -> int:
    import psycopg

    exists = pg_admin(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")[0]
    if not exists:
        pg_admin(server, f'CREATE DATABASE "{name}"')
        return 0
    with psycopg.connect(server.replace("postgres://", "postgresql://") + "/" + name) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()
        if not row or not row[0]:
            return 0
        counted = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        return int(counted[0]) if counted else 0


def build_peer(folder: Path, version: str) -> Path:
    """A virtualenv with django-helpdesk and a generated project; returns the venv's python."""
    python = folder / "venv" / "bin" / "python"
    if not (folder / "venv" / ".installed").exists():
        print(f"building django-helpdesk {version} in {folder} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder / "venv")], check=True)  # noqa: S603
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"django-helpdesk=={version}",  # noqa: S603
                        "psycopg[binary]", "uvicorn"], check=True, stderr=subprocess.DEVNULL)
        (folder / "venv" / ".installed").write_text(version)
    return python


def write_peer_project(folder: Path, server: str, database: str = "peer_helpdesk") -> None:
    user_host, port = server.removeprefix("postgres://").rsplit(":", 1)
    user, host = user_host.split("@")
    project = folder / "peerproj"
    project.mkdir(exist_ok=True)
    (project / "__init__.py").write_text("")
    (project / "settings.py").write_text(PEER_SETTINGS % {"name": database, "host": host, "port": port,
                                                          "user": user})
    (project / "urls.py").write_text(PEER_URLS)
    (project / "asgi.py").write_text(PEER_ASGI)
    (folder / "load_peer.py").write_text(PEER_LOAD)
    (folder / "peer_mail.py").write_text(PEER_MAIL)


def prepare_otklik(database_url: str) -> dict[str, Any]:
    """Token, agent session and a 4-message ticket in the Otklik database; also the generator's texts."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from otklik.accounts.access import tickets_visible_to
    from otklik.accounts.models import User
    from otklik.api.tokens import token_create
    from otklik.demodata import bulk
    from otklik.tickets.models import RequestType

    agent, requester = User.objects.get(email="fiona@otklik.demo"), User.objects.get(email="alice@acme.example")
    issued = token_create(actor=requester, user=requester, name="peer-bench", scopes=("read", "write"),
                          now=timezone.now())
    client = Client()
    client.force_login(agent)
    ticket = tickets_visible_to(agent).annotate(n=Count("messages")).filter(n=4).order_by("-id").first()
    if ticket is None:
        sys.exit("No 4-message ticket visible to fiona@otklik.demo: was peer_otklik loaded by bench/generate.py?")
    # The portal form: the requester signed in, a request type everyone may submit with no custom fields.
    asking = Client()
    asking.force_login(requester)
    request_type = (RequestType.objects.filter(is_active=True, submit_rule="everyone", fields__isnull=True)
                    .order_by("pk").first())
    if request_type is None:
        sys.exit("No request type open to everyone without custom fields: was peer_otklik loaded by generate.py?")
    return {
        "requester_session": asking.cookies[settings.SESSION_COOKIE_NAME].value, "request_type": request_type.code,
        "token": issued.secret, "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "cookie": settings.SESSION_COOKIE_NAME, "ticket": ticket.number, "tickets": ticket.__class__.objects.count(),
        "texts": {"subjects": bulk.SUBJECTS, "staff": bulk.STAFF_REPLIES, "requester": bulk.REQUESTER_REPLIES,
                  "notes": bulk.NOTES},
    }


def free_ports(count: int, taken: Sequence[int] = ()) -> list[int]:
    """`count` free ports on 127.0.0.1, none of them in `taken` nor twice."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and port not in taken:
            ports.append(port)
    return ports


def start_server(command: list[str], cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}: {' '.join(command)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"server did not listen on 127.0.0.1:{port} within 60 s")


def worker_cpu_seconds(processes: Sequence[subprocess.Popen[bytes]]) -> dict[int, float]:
    """CPU seconds so far of each worker process of a desk's servers: the children of uvicorn's supervisor
    (--shared-socket), or each single-process server itself."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = {process.pid for process in processes}
    seconds: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields after the name: state, ppid, ..., utime (12th), stime
        if int(fields[1]) in pids or (len(pids) > 1 and int(entry.name) in pids):
            seconds[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return seconds


def worker_split(before: dict[int, float], after: dict[int, float]) -> str:
    """How a workload's server CPU fell on the worker processes, e.g. '97/3%'. uvicorn --workers shares one
    listening socket: a worker that wakes first accepts every connection waiting, so a burst of keep-alive
    connections can land on one process while the other idles (throughput then is one process's)."""
    used = [after[pid] - before.get(pid, 0.0) for pid in sorted(after)]
    total = sum(used)
    shares = [round(100 * value / total) for value in used if total and value / total >= 0.005]
    return "/".join(str(share) for share in shares) + "%" if shares else "-"


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's own process group (uvicorn's supervisor and its workers), nothing else."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


Action = Callable[[Any], Awaitable[bool]]


async def run_load(base_urls: Sequence[str], headers: dict[str, str], cookies: dict[str, str], action: Action,
                   connections: int, seconds: float) -> Result:
    """`connections` clients in turn over the servers of `base_urls` (each a connection of its own)."""
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # Otklik's settings log every request at INFO
    result = Result()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(
            base_url=base_urls[index % len(base_urls)], headers=headers, cookies=cookies, limits=limits, timeout=60))
            for index in range(connections)]
        await asyncio.gather(*(action(client) for client in clients))  # warm-up, not counted
        started = time.perf_counter()
        deadline = started + seconds

        async def worker(client: Any) -> None:
            while time.perf_counter() < deadline:
                at = time.perf_counter()
                try:
                    ok = await action(client)
                except Exception as error:
                    ok, result.first_error = False, result.first_error or repr(error)
                if ok:
                    result.done += 1
                    result.latencies.append((time.perf_counter() - at) * 1000)
                else:
                    result.errors += 1

        await asyncio.gather(*(worker(client) for client in clients))
        result.seconds = time.perf_counter() - started
    return result


def expect(response: Any, code: int, result_errors: list[str]) -> bool:
    if response.status_code != code:
        result_errors.append(f"{response.request.method} {response.request.url} -> {response.status_code}: "
                             f"{response.text[:200]!r}")
        return False
    return True


_FORM_TOKENS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()  # by client


async def form_token(client: Any, url: str) -> str:
    """The form's CSRF token for this connection, read from the form page once (its cookie stays in the
    client); a form post then needs no page load, like a person sending a second request."""
    if client not in _FORM_TOKENS:
        page = await client.get(url)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status_code != 200 or found is None:
            raise RuntimeError(f"GET {url} -> {page.status_code}: no CSRF token in the form page")
        _FORM_TOKENS[client] = found.group(1)
    return _FORM_TOKENS[client]


async def post_form(client: Any, url: str, fields: dict[str, str], errors: list[str]) -> bool:
    """One form post as a browser sends it (the token, a same-origin Referer); a created ticket redirects."""
    token = await form_token(client, url)
    return expect(await client.post(url, data={"csrfmiddlewaretoken": token, **fields},
                                    headers={"Referer": f"{client.base_url}{url.lstrip('/')}"}), 302, errors)


def peer_actions(info: dict[str, Any], errors: list[str]) -> dict[str, Action]:
    counter = iter(range(10**9))

    async def create(client: Any) -> bool:
        n = next(counter)
        return expect(await client.post("/api/tickets/", json={
            "queue": info["queue"], "title": f"Printer jam {n}", "description": "Floor 3, room 305",
            "submitter_email": "bench@acme.example", "priority": 3}), 201, errors)

    async def form(client: Any) -> bool:
        # Anonymous, as the peer's public form is meant: its CSRF token read once per connection (not timed).
        return await post_form(client, "/tickets/submit/", {
            "queue": str(info["queue"]), "title": f"Paper jam {next(counter)}", "body": "Room 305, the tray is stuck",
            "priority": "3", "submitter_email": "bench@acme.example"}, errors)

    async def detail(client: Any) -> bool:
        return expect(await client.get(f"/tickets/{info['ticket']}/"), 200, errors)

    def listing(query: dict[str, str]) -> Action:
        # The list page is a shell; its rows come from the datatables request the page makes at once.
        async def act(client: Any) -> bool:
            page = await client.get("/tickets/", params=query)
            if not expect(page, 200, errors):
                return False
            found = re.search(r"datatables_ticket_list/([A-Za-z0-9+/=]*)", page.text)
            encoded = found.group(1) if found else base64.b64encode(b"{}").decode()
            rows = await client.get(f"/datatables_ticket_list/{encoded}",
                                    params={"draw": "1", "start": "0", "length": "25"})
            return expect(rows, 200, errors)
        return act

    return {"create": create, "form": form, "detail": detail, "queue": listing({}),
            "rare": listing({"q": RARE_WORDS}), "common": listing({"q": "принтер"})}


def otklik_actions(info: dict[str, Any], errors: list[str]) -> dict[str, Action]:
    counter = iter(range(10**9))

    async def create(client: Any) -> bool:
        n = next(counter)
        return expect(await client.post("/api/v1/tickets/", json={
            "subject": f"Printer jam {n}", "body_text": "Floor 3, room 305"}), 201, errors)

    async def form(client: Any) -> bool:
        # The requester's signed-in portal form (Otklik has no anonymous one); its CSRF token read once per
        # connection (not timed).
        return await post_form(client, f"/portal/new/{info['request_type']}/", {
            "subject": f"Paper jam {next(counter)}", "body": "Room 305, the tray is stuck"}, errors)

    async def get(client: Any, url: str, params: dict[str, str] | None = None) -> bool:
        return expect(await client.get(url, params=params), 200, errors)

    return {
        "create": create,
        "form": form,
        "detail": lambda c: get(c, f"/tickets/{info['ticket']}/"),
        "queue": lambda c: get(c, "/", {"queue": "all"}),
        "rare": lambda c: get(c, "/search/", {"q": RARE_WORDS}),
        "common": lambda c: get(c, "/search/", {"q": "принтер"}),
    }


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.otklik_mail_run:
        print(json.dumps(otklik_mail_run(args.otklik_mail_url, args.otklik_mail_run)))
        return
    server = args.postgres.rstrip("/")
    peer_db, our_db = f"{args.db_prefix}_helpdesk", f"{args.db_prefix}_otklik"
    chosen = [name for name in WORKLOADS if not args.only or name in args.only.split(",")]
    temporary = args.peer_dir is None
    folder = Path(tempfile.mkdtemp(prefix="peer-helpdesk-")) if temporary else args.peer_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        if args.fresh:
            pg_admin(server, f'DROP DATABASE IF EXISTS "{peer_db}" WITH (FORCE)',
                     f'DROP DATABASE IF EXISTS "{our_db}" WITH (FORCE)')
        peer_python = build_peer(folder, args.peer_version)
        write_peer_project(folder, server, peer_db)

        otklik_url = f"{server}/{our_db}"
        have = ticket_count(server, our_db, "tickets_ticket")
        if have < args.tickets:
            print(f"loading {args.tickets - have:,} tickets into {our_db} (bench/generate.py) ...", flush=True)
            subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"),  # noqa: S603
                            "--tickets", str(args.tickets - have), "--database-url", otklik_url], check=True)
        ours = prepare_otklik(otklik_url)
        texts_file = folder / "texts.json"
        texts_file.write_text(json.dumps(ours["texts"]))
        # prepare_otklik set Otklik's settings in this environment: the peer's processes get their own.
        peer_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peerproj.settings", "PYTHONPATH": str(folder)}
        ticket_count(server, peer_db, "helpdesk_ticket")  # creates the database when missing
        print(f"loading up to {args.tickets:,} tickets into {peer_db} (django-helpdesk ORM) ...", flush=True)
        loaded = subprocess.run([str(peer_python), "load_peer.py", str(args.tickets), str(texts_file)],  # noqa: S603
                                cwd=folder, env=peer_env, check=True, stdout=subprocess.PIPE, text=True)
        peer = json.loads(loaded.stdout.strip().splitlines()[-1])
        peer_version = subprocess.run([str(peer_python), "-c", "import django; print(django.get_version())"],  # noqa: S603
                                      check=True, capture_output=True, text=True).stdout.strip()

        # One port per worker process (each a single-process uvicorn), or one port for `uvicorn --workers`.
        per_desk = 1 if args.shared_socket else args.workers
        uvicorn = ["--host", "127.0.0.1", "--workers", str(args.workers if args.shared_socket else 1),
                   "--no-access-log", "--log-level", "warning"]
        peer_ports = free_ports(per_desk)
        peer_servers = [start_server([str(folder / "venv" / "bin" / "uvicorn"), "peerproj.asgi:application",
                                      "--port", str(port), *uvicorn], folder, peer_env, port) for port in peer_ports]
        processes.extend(peer_servers)
        # Under ASGI Django runs each request's sync code in a fresh thread, so persistent connections
        # (Otklik's default 60 s) are stranded per thread until PostgreSQL refuses clients: both desks
        # connect per request, as Django's documentation says for ASGI without a pool.
        our_env = {**os.environ, "DATABASE_URL": otklik_url, "OTKLIK_API_REQUESTS_PER_MINUTE": "10000000",
                   "OTKLIK_DB_CONN_MAX_AGE": "0",
                   "OTKLIK_JOBS_IMMEDIATE": "0"}
        our_env.pop("DJANGO_SETTINGS_MODULE", None)
        our_ports = free_ports(per_desk, taken=peer_ports)
        our_servers = [start_server([str(Path(sys.executable).parent / "uvicorn"), "otklik.asgi:application",
                                     "--port", str(port), *uvicorn], REPO, our_env, port) for port in our_ports]
        processes.extend(our_servers)

        servers = {"peer": peer_servers, "otklik": our_servers}
        peer_errors: list[str] = []
        our_errors: list[str] = []
        sides = {
            "peer": ([f"http://127.0.0.1:{port}" for port in peer_ports], {"Authorization": f"Token {peer['token']}"},
                     {"sessionid": peer["session"]}, peer_actions(peer, peer_errors)),
            "otklik": ([f"http://127.0.0.1:{port}" for port in our_ports], {"Authorization": f"Bearer {ours['token']}"},
                       {ours["cookie"]: ours["session"]}, otklik_actions(ours, our_errors)),
        }
        # The form workload posts as a person at a browser: the peer's public form anonymous, Otklik's portal
        # form as the signed-in requester; no API token on either.
        form_cookies = {"peer": {}, "otklik": {ours["cookie"]: ours["requester_session"]}}
        workloads = [(key, label, connections) for key, label, connections in [
            ("create", f"API create, {args.concurrency} connections", args.concurrency),
            ("form", f"web form create, {args.concurrency} connections", args.concurrency),
            ("detail", f"ticket detail, 4 messages, {READ_CONNECTIONS} conn.", READ_CONNECTIONS),
            ("queue", f"agent queue first page, {READ_CONNECTIONS} conn.", READ_CONNECTIONS),
            ("rare", f"search rare word, {READ_CONNECTIONS} conn.", READ_CONNECTIONS),
            ("common", f"search common word, {READ_CONNECTIONS} conn.", READ_CONNECTIONS),
        ] if key in chosen]
        mail_batch = 2 * (args.mail_messages // (2 * args.rounds))  # whole request + reply pairs per round
        mail_label = "email intake, half replies (msg/s)"
        email = "email" in chosen and mail_batch > 0
        pooled = {(key, side): Result() for key, _, _ in [*workloads, ("email", "", 0)] for side in sides}
        def side_for(key: str, side: str) -> tuple[list[str], dict[str, str], dict[str, str], dict[str, Action]]:
            base_urls, headers, cookies, actions = sides[side]
            if key == "form":
                return base_urls, {}, form_cookies[side], actions
            return base_urls, headers, cookies, actions

        # Each worker process pays its first-request costs (imports, templates, connections: ~2 s for Otklik)
        # here, not in round 1: enough connections that both desks' workers all get requests.
        for key, _, _ in workloads:
            for side in sides:
                base_urls, headers, cookies, actions = side_for(key, side)
                asyncio.run(run_load(base_urls, headers, cookies, actions[key], 4 * args.workers, args.warmup))
        peer_errors.clear()
        our_errors.clear()
        load_start = os.getloadavg()[0]
        for round_number in range(args.rounds):
            order = ["peer", "otklik"] if round_number % 2 == 0 else ["otklik", "peer"]
            for key, label, connections in workloads:
                for side in order:
                    base_urls, headers, cookies, actions = side_for(key, side)
                    cpu_before = worker_cpu_seconds(servers[side])
                    got = asyncio.run(run_load(base_urls, headers, cookies, actions[key], connections, args.seconds))
                    split = worker_split(cpu_before, worker_cpu_seconds(servers[side]))
                    total = pooled[(key, side)]
                    total.done += got.done
                    total.errors += got.errors
                    total.seconds += got.seconds
                    total.latencies += got.latencies
                    total.first_error = total.first_error or got.first_error
                    print(f"  round {round_number + 1} {side:6} {label:44} {describe(got)}  workers' CPU {split}",
                          flush=True)
            for side in order if email else []:
                got, figures = run_mail_round(side, count=mail_batch, run=f"{int(time.time())}r{round_number}",
                                              folder=folder, peer_python=peer_python, peer_env=peer_env,
                                              otklik_url=otklik_url)
                total = pooled[("email", side)]
                total.done += got.done
                total.seconds += got.seconds
                total.latencies += got.latencies
                print(f"  round {round_number + 1} {side:6} {mail_label:44} {got.rate:7.1f}/s  "
                      f"{figures['tickets']} tickets, {figures['followups']} replies"
                      + (f"; intake {figures['intake_seconds']:.1f} s + {figures['jobs']} jobs drained, "
                         f"{figures['backlog']} earlier events handled first (untimed)" if side == "otklik" else ""),
                      flush=True)
        rows = [(label, pooled[(key, "peer")], pooled[(key, "otklik")]) for key, label, _ in
                [*workloads, *([("email", mail_label, 0)] if email else [])]]
        serving = (f"uvicorn --workers {args.workers} each" if args.shared_socket
                   else f"{args.workers} single-process uvicorns each, one port per worker")
        print()
        print(f"django-helpdesk {args.peer_version} (Django {peer_version}): {peer['tickets']:,} tickets, "
              f"{peer['followups']:,} follow-ups; Otklik: {ours['tickets']:,} tickets; PostgreSQL on 127.0.0.1; "
              f"{serving}; {args.rounds} rounds x {args.seconds:g} s per workload; "
              f"load average {load_start:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(format_table(rows))
        if args.markdown:
            print()
            print(markdown_table(rows))
        for side, errors in (("django-helpdesk", peer_errors), ("Otklik", our_errors)):
            if errors:
                print(f"{side}: {len(errors)} failed requests, first: {errors[0]}")
    finally:
        for process in processes:
            stop_server(process)
        if temporary and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        elif temporary:
            print(f"kept {folder}")


if __name__ == "__main__":
    main()
