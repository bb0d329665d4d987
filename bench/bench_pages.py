"""Server time and query count of the main web pages on the demo data.

    OTKLIK_DATA_DIR=/tmp/webdemo python -m otklik migrate
    OTKLIK_DATA_DIR=/tmp/webdemo python -m otklik demo
    OTKLIK_DATA_DIR=/tmp/webdemo python bench/bench_pages.py [--runs 20]

Each page is requested through Django's test client (the whole middleware stack, no network) after one
warm-up request; the figures are the median and the 95th percentile of the runs, and the query count.
The goal of the issue is under 100 ms per page on the demo data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from otklik.accounts.access import tickets_visible_to  # noqa: E402
from otklik.accounts.models import User  # noqa: E402
from otklik.demodata.seed import DEMO_PASSWORD  # noqa: E402
from otklik.search.indexing import index_missing  # noqa: E402

GOAL_MS = 100.0


def client_for(email: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(email=email))
    return client


def measure(client: Client, url: str, runs: int) -> tuple[float, float, float, int, int]:
    """Median and p95 wall time, median CPU time of this process (fairer on a busy shared machine)."""
    client.get(url)  # warm-up: template loading, first connection
    timings, cpu = [], []
    queries = 0
    status = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries, status = len(captured.captured_queries), response.status_code
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95, statistics.median(cpu), queries, status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    settings.ALLOWED_HOSTS = ["*"]
    if not User.objects.filter(email="fiona@otklik.demo").exists():
        sys.exit("No demo data: run `python -m otklik demo` with the same OTKLIK_DATA_DIR first.")
    index_missing()
    fiona, adam, alice = (User.objects.get(email=e) for e in
                          ("fiona@otklik.demo", "adam@otklik.demo", "alice@acme.example"))
    agent_ticket = tickets_visible_to(fiona).order_by("-updated_at").first()
    busy_ticket = (tickets_visible_to(adam).annotate(n=django.db.models.Count("messages"))
                   .order_by("-n").first())
    own_ticket = tickets_visible_to(alice).order_by("-updated_at").first()
    assert agent_ticket and busy_ticket and own_ticket and DEMO_PASSWORD
    pages = [
        ("fiona@otklik.demo", "agent: My tickets", "/?queue=mine"),
        ("fiona@otklik.demo", "agent: Unassigned", "/?queue=unassigned"),
        ("fiona@otklik.demo", "agent: All I can see, by priority", "/?queue=all&sort=priority"),
        ("adam@otklik.demo", "admin: All (2,000 tickets), by update", "/?queue=all"),
        ("adam@otklik.demo", "admin: All, SLA due", "/?queue=all&sort=sla"),
        ("adam@otklik.demo", "admin: filtered (status, priority, text)",
         "/?queue=all&status=open&status=in_progress&priority=high&q=vpn"),
        ("fiona@otklik.demo", "agent: list refresh (HTMX)", "/?queue=all"),
        ("fiona@otklik.demo", "agent: ticket page", f"/tickets/{agent_ticket.number}/"),
        ("adam@otklik.demo", f"admin: busiest ticket ({busy_ticket.n} messages)", f"/tickets/{busy_ticket.number}/"),
        ("fiona@otklik.demo", "agent: search 'принтер'", "/search/?q=принтер"),
        ("adam@otklik.demo", "admin: search 'vpn'", "/search/?q=vpn"),
        ("fiona@otklik.demo", "agent: new ticket form", "/tickets/new/"),
        ("fiona@otklik.demo", "agent: profile", "/profile/"),
        ("alice@acme.example", "requester: my requests", "/portal/"),
        ("alice@acme.example", "requester: catalogue", "/portal/new/"),
        ("alice@acme.example", "requester: request form", "/portal/new/access-request/"),
        ("alice@acme.example", "requester: ticket", f"/tickets/{own_ticket.number}/"),
    ]
    clients: dict[str, Client] = {}
    print(f"{connection.vendor}, {runs} runs per page, goal {GOAL_MS:.0f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it; CPU times less)")
    print(f"{'page':48} {'median ms':>9} {'p95 ms':>8} {'cpu ms':>7} {'queries':>8}")
    worst = 0.0
    for email, label, url in pages:
        client = clients.setdefault(email, client_for(email))
        if "HTMX" in label:
            client.defaults["HTTP_HX_REQUEST"] = "true"
        median, p95, cpu, queries, status = measure(client, url, runs)
        client.defaults.pop("HTTP_HX_REQUEST", None)
        worst = max(worst, median)
        flag = "" if status == 200 and median < GOAL_MS else f"  <-- {status}" if status != 200 else "  <-- slow"
        print(f"{label:48} {median:9.1f} {p95:8.1f} {cpu:7.1f} {queries:8d}{flag}")
    print(f"slowest median: {worst:.1f} ms")


if __name__ == "__main__":
    main()
