"""Otklik alone at a given size: the shared workloads' server time, p95 and query counts on PostgreSQL.

    .venv/bin/python bench/bench_scale.py                      # small: 20,000 tickets
    .venv/bin/python bench/bench_scale.py --tickets 1000000    # the real run (load: ~10 min, 1M tickets)

The database (default otklik_bench_scale on 127.0.0.1:5432) is filled by bench/generate.py up to the
size asked for and kept for the next run. Each request goes through the whole Django stack (middleware,
views, templates) in this process, so the figures are server time without network; one warm-up request
per workload, then --runs measured ones. Compare CPU ms and queries between runs on a busy machine:
wall times grow with the load average, printed first.

The ticket page's panels come after it (HTMX): each detail row is followed by the requests the page
makes by itself once loaded, measured together, so moving work out of the first response shows up there.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _stats(action: Callable[[], Any], runs: int) -> tuple[float, float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    action()  # warm-up
    walls, cpus, queries = [], [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            action()
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - started_cpu) * 1000)
        queries = len(captured.captured_queries)
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    return statistics.median(walls), p95, statistics.median(cpus), queries


def _after_page(client: Any, url: str) -> list[str]:
    """The requests the page makes by itself once loaded (HTMX `hx-trigger="load"` panels): what a
    browser asks next, so the page's figure is not flattered by work moved out of its first response."""
    html = client.get(url).content.decode()
    found = re.findall(r'hx-get="([^"]+)"[^>]*hx-trigger="load"', html)
    return [unescape(found_url) for found_url in found]


def _all_of(client: Any, urls: list[str], ok: Callable[..., None]) -> None:
    for url in urls:
        ok(client.get(url, HTTP_HX_REQUEST="true"), 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", action="append", default=[], metavar="WORDS",
                        help="run only the workloads whose label contains WORDS (repeatable), e.g. 'detail'")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_SCALE_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench_scale"))
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    os.environ["OTKLIK_JOBS_IMMEDIATE"] = "0"  # jobs wait in the queue, as with a separate worker

    import psycopg

    with psycopg.connect(args.database_url.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + "/postgres",
                         autocommit=True) as admin:
        name = args.database_url.rsplit("/", 1)[1]
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    have = 0
    if exists:
        with psycopg.connect(args.database_url.replace("postgres://", "postgresql://")) as db:
            row = db.execute("SELECT to_regclass('tickets_ticket') IS NOT NULL").fetchone()
            if row and row[0]:
                have = int(db.execute("SELECT COUNT(*) FROM tickets_ticket").fetchone()[0])  # type: ignore[index]
    if have < args.tickets:
        print(f"loading {args.tickets - have:,} tickets into {args.database_url} ...", flush=True)
        subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--tickets", str(args.tickets - have),  # noqa: S603
                        "--database-url", args.database_url], check=True)

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone
    from rest_framework.settings import api_settings
    from rest_framework.test import APIClient

    from otklik.accounts.access import tickets_visible_to
    from otklik.accounts.models import User
    from otklik.api.tokens import token_create
    from otklik.tickets.models import RequestType, Ticket

    settings.ALLOWED_HOSTS = ["*"]
    # The benchmark measures the server, not the per-token rate limit.
    settings.REST_FRAMEWORK = {**getattr(settings, "REST_FRAMEWORK"), "DEFAULT_THROTTLE_CLASSES": []}  # noqa: B009
    api_settings.reload()
    agent, requester = User.objects.get(email="fiona@otklik.demo"), User.objects.get(email="alice@acme.example")
    issued = token_create(actor=requester, user=requester, name="bench", scopes=("read", "write"), now=timezone.now())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    agent_web, requester_web = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="en")
    agent_web.force_login(agent)
    requester_web.force_login(requester)
    request_type = RequestType.objects.filter(is_active=True, submit_rule="everyone", fields__isnull=True).first()
    small = (tickets_visible_to(agent).annotate(n=Count("messages")).filter(n=2).order_by("-id").first())
    busy = tickets_visible_to(agent).annotate(n=Count("messages")).order_by("-n", "-id").first()
    if small is None or busy is None:
        sys.exit("No tickets visible to fiona@otklik.demo: was the database loaded by bench/generate.py?")

    def ok(response: Any, *codes: int) -> None:
        if response.status_code not in codes:
            raise SystemExit(f"unexpected {response.status_code}: {response.content[:300]!r}")

    small_after = _after_page(agent_web, f"/tickets/{small.number}/")
    busy_after = _after_page(agent_web, f"/tickets/{busy.number}/")

    workloads: list[tuple[str, Callable[[], Any]]] = [
        ("API create (requester token)", lambda: ok(api.post(
            "/api/v1/tickets/", {"subject": "Printer jam", "body_text": "Floor 3"}, format="json"), 201)),
        ("ticket detail, 2 messages (agent)", lambda: ok(agent_web.get(f"/tickets/{small.number}/"), 200)),
        (f"  + detail's {len(small_after)} requests after it, together",
         lambda: _all_of(agent_web, small_after, ok)),
        (f"ticket detail, {busy.n} messages (agent)", lambda: ok(agent_web.get(f"/tickets/{busy.number}/"), 200)),
        (f"  + detail's {len(busy_after)} requests after it, together", lambda: _all_of(agent_web, busy_after, ok)),
        ("agent queue first page, with counts", lambda: ok(agent_web.get("/?queue=all"), 200)),
        ("agent queue, open by priority", lambda: ok(agent_web.get("/?queue=team&sort=priority"), 200)),
        ("search, rare word (agent)", lambda: ok(agent_web.get("/search/", {"q": "case 4711"}), 200)),
        ("search, common word (agent)", lambda: ok(agent_web.get("/search/", {"q": "принтер"}), 200)),
        # A requester's scope is a handful of tickets among all of them: these read it from indexes.
        ("portal: my requests (requester)", lambda: ok(requester_web.get("/portal/"), 200)),
        ("portal search, common word (requester)", lambda: ok(requester_web.get("/portal/", {"q": "принтер"}), 200)),
        ("API ticket list (requester token)", lambda: ok(api.get("/api/v1/tickets/"), 200)),
    ]
    if request_type is not None:
        workloads.insert(1, ("portal form create (requester)", lambda: ok(requester_web.post(
            f"/portal/new/{request_type.code}/", {"subject": "Paper jam", "body": "Room 305"}), 302)))
    print(f"tickets: {Ticket.objects.count():,}; PostgreSQL; {args.runs} runs each; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'workload':44} {'median ms':>9} {'p95 ms':>8} {'cpu ms':>7} {'queries':>8}")
    for label, action in workloads:
        if args.only and not any(words in label for words in args.only):
            continue
        cache.clear()
        median, p95, cpu, queries = _stats(action, args.runs)
        print(f"{label:44} {median:9.1f} {p95:8.1f} {cpu:7.1f} {queries:8d}", flush=True)


if __name__ == "__main__":
    main()
