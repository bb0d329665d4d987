"""CPU per request of the two pages an agent reloads all day, as an agent and as an administrator.

    .venv/bin/python bench/bench_agent_pages.py --database-url postgres://postgres@127.0.0.1:5432/otklik_bench_scale
    .venv/bin/python bench/bench_agent_pages.py --profile 25     # plus cProfile's top 25 per page

The database is one `bench/generate.py` filled (bench/bench_scale.py loads it). Everything runs in this
process through Django's test client with the production settings (`otklik.settings.base`, DEBUG off),
the whole middleware stack included; one warm-up request per page, then --runs measured ones. The
figures are the median CPU of this process per request (`time.process_time`, fairer than wall time on a
shared machine), the median wall time and the statement count. The ticket page is measured alone and
together with the one panels request it makes after loading; then the API's read of the same ticket, and
(for the agent's ticket) the page its requester sees.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
from collections.abc import Callable
from functools import partial
from html import unescape
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_scale import _stats as stats  # noqa: E402


def _get(client: Any, url: str, *, htmx: bool) -> Any:
    response = client.get(url, HTTP_HX_REQUEST="true") if htmx else client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"unexpected {response.status_code} for {url}: {response.content[:300]!r}")
    return response


def _measure(action: Callable[[], Any], runs: int) -> tuple[float, float, float, int]:
    """Median CPU ms, median and p95 wall ms and the statements of one request (`bench_scale`'s measure)."""
    median_wall, p95, median_cpu, queries = stats(action, runs)
    return median_cpu, median_wall, p95, queries


def _profile(label: str, action: Callable[[], Any], runs: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        action()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"--- profile: {label} ({runs} requests)\n{out.getvalue()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0, metavar="TOP", help="print cProfile's top TOP lines")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_SCALE_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench_scale"))
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    os.environ["OTKLIK_JOBS_IMMEDIATE"] = "0"

    import django

    django.setup()
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    from otklik.accounts.access import tickets_visible_to
    from otklik.accounts.models import User
    from otklik.tickets.models import Ticket

    settings.ALLOWED_HOSTS = ["*"]
    assert not settings.DEBUG

    rows: list[tuple[str, Callable[[], Any]]] = []
    for role, email in (("agent", "fiona@otklik.demo"), ("admin", "adam@otklik.demo")):
        user = User.objects.get(email=email)
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        ticket = (tickets_visible_to(user).annotate(n=Count("messages")).filter(n__gte=4)
                  .order_by("-id").first())
        if ticket is None:
            sys.exit(f"No ticket with messages visible to {email}: was the database loaded by bench/generate.py?")
        page = f"/tickets/{ticket.number}/"
        html = _get(client, page, htmx=False).content.decode()
        panels = [unescape(url) for url in re.findall(r'hx-get="([^"]+/panels/)"[^>]*hx-trigger="load"', html)]

        rows += [
            (f"queue /?queue=all ({role})", partial(_get, client, "/?queue=all", htmx=False)),
            (f"queue open by priority ({role})", partial(_get, client, "/?queue=team&sort=priority", htmx=False)),
            (f"ticket detail, {ticket.n} messages ({role})", partial(_get, client, page, htmx=False)),
        ]
        rows += [(f"  its panels request ({role})", partial(_get, client, url, htmx=True)) for url in panels]
        rows.append((f"API ticket detail ({role})", partial(_get, client, f"/api/v1/tickets/{ticket.number}/",
                                                             htmx=False)))
        if role == "agent":  # the same ticket as its requester sees it (the portal page)
            asker = Client(HTTP_ACCEPT_LANGUAGE="en")
            asker.force_login(ticket.requester)
            rows.append(("ticket detail (its requester)", partial(_get, asker, page, htmx=False)))

    print(f"tickets: {Ticket.objects.count():,}; {args.runs} runs each; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{len(settings.MIDDLEWARE)} middleware")
    print(f"{'page':40} {'cpu ms':>7} {'wall ms':>8} {'p95 ms':>7} {'queries':>8}")
    for label, action in rows:
        cpu, wall, p95, queries = _measure(action, args.runs)
        print(f"{label:40} {cpu:7.1f} {wall:8.1f} {p95:7.1f} {queries:8d}", flush=True)
    if args.profile:
        for label, action in rows:
            _profile(label, action, args.runs, args.profile)


if __name__ == "__main__":
    main()
