"""p50/p95 of every report for a month and for a year, on PostgreSQL.

    python bench/generate_reports.py --tickets 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/otklik_reports_bench
    python bench/bench_reports.py --database-url postgres://postgres@127.0.0.1:5432/otklik_reports_bench [--runs 7]

(bench/generate.py's data works too: conversations and histories written through the ORM, slower to make.)
Runs `otklik reports_rebuild` first when the per-ticket durations are missing (bulk data bypasses the live
hooks). Each report is computed as the admin (the whole desk: the heaviest scope) and as the busiest
manager, through the same selectors the pages and the API call. The month is the last whole calendar
month of the data and the year the twelve whole months up to it (what the period presets ask for); `--days`
measures rolling periods instead (which the monthly rollups cannot serve). The goals of issue 14: a
month under 300 ms and a year under 1 s at 1M tickets. The forecast is measured without its cache. The
load average is printed before and after: on a shared machine the figures move with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOALS_MS = {"month": 300.0, "year": 1000.0}


def _time(function: Callable[[], Any], runs: int) -> tuple[float, float]:
    function()  # warm-up: plans cached, pages in memory
    samples = []
    for _run in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--days", action="store_true", help="Rolling 31 and 365 days instead of calendar months.")
    parser.add_argument("--only", default="", help="Comma-separated report names to run (default: all).")
    parser.add_argument("--viewers", default="admin,manager",
                        help="Comma-separated: admin, manager (the one with the most teams), agent (the one "
                             "assigned the most tickets: agents see their own figures, read from the report rows).")
    parser.add_argument("--filter", action="append", default=[],
                        choices=["", "priority", "organization", "source", "category", "request_type"],
                        help="Add a filter on the most common value of this field (repeat it for two filters at "
                             "once): one such filter reads its slice of the kept hourly counts, histograms and "
                             "groups (docs/reports.md), two read the report rows.")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db.models import Count, Max
    from django.utils import timezone

    from otklik.accounts.models import Role, User
    from otklik.reports import first_line, forecast, quality, selectors
    from otklik.reports.filters import ReportFilters
    from otklik.reports.models import TicketTimes
    from otklik.tickets.models import Ticket

    tickets = Ticket.objects.count()
    if TicketTimes.objects.count() < tickets:
        call_command("reports_rebuild")
    latest = Ticket.objects.aggregate(m=Max("created_at"))["m"]
    end = timezone.localtime(latest).date() if latest else timezone.localdate()
    if args.days:
        periods = {"month": ReportFilters(start=end - timedelta(days=30), end=end),
                   "year": ReportFilters(start=end - timedelta(days=364), end=end)}
    else:
        last_month_end = end.replace(day=1) - timedelta(days=1)
        index = last_month_end.year * 12 + last_month_end.month - 1 - 11  # twelve whole months
        year_start = date(index // 12, index % 12 + 1, 1)
        periods = {"month": ReportFilters(start=last_month_end.replace(day=1), end=last_month_end),
                   "year": ReportFilters(start=year_start, end=last_month_end)}
    for name in filter(None, args.filter):
        field = {"priority": "priority__code", "organization": "organization_id", "source": "source",
                 "category": "category_id", "request_type": "request_type_id"}[name]
        value = (Ticket.objects.order_by().values(field).annotate(n=Count("pk")).order_by("-n")
                 .values_list(field, flat=True).exclude(**{f"{field}__isnull": True}).first())
        extra = {"priority": {"priority_codes": (value,)}, "organization": {"organization_id": value},
                 "source": {"sources": (value,)}, "category": {"category_id": value},
                 "request_type": {"request_type_id": value}}[name]
        periods = {period: replace(filters, **extra) for period, filters in periods.items()}
        print(f"filter: {name} = {value}")
    candidates = {
        "admin": lambda: User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first(),
        "manager": lambda: (User.objects.filter(role=Role.MANAGER, is_active=True).annotate(n=Count("teams"))
                            .order_by("-n", "pk").first()),
        "agent": lambda: (User.objects.filter(role=Role.AGENT, is_active=True)
                          .annotate(n=Count("assigned_tickets")).order_by("-n", "pk").first()),
    }
    viewers = [(label, candidates[label]()) for label in args.viewers.split(",")]

    def uncached_forecast(viewer: User, filters: ReportFilters) -> Any:
        cache.clear()
        return forecast.forecast(viewer, filters)

    reports: dict[str, Callable[[User, ReportFilters], Any]] = {
        "second-line": selectors.second_line,
        "overview": selectors.overview,
        "breakdown:team": lambda viewer, filters: selectors.breakdown(viewer, filters, "team"),
        "breakdown:category": lambda viewer, filters: selectors.breakdown(viewer, filters, "category"),
        "breakdown:assignee": lambda viewer, filters: selectors.breakdown(viewer, filters, "assignee"),
        **{f"breakdown:{by}": partial(selectors.breakdown, by=by)
           for by in ("priority", "status", "source", "request_type", "organization", "rating")},
        "first-line": first_line.first_line,
        "load": selectors.load,
        "sla": quality.sla,
        "csat": quality.csat,
        "specialists": quality.specialists,
        "forecast": uncached_forecast,
    }
    if args.only:
        reports = {name: report for name, report in reports.items() if name in args.only.split(",")}
    print(f"{tickets:,} tickets; month {periods['month'].start}..{periods['month'].end}, year "
          f"{periods['year'].start}..{periods['year'].end}; {args.runs} runs each (after a warm-up)")
    print(f"machine: {os.cpu_count()} CPUs, load average {_load()} (before)")
    print(f"{'report':<22}{'viewer':<9}{'period':<7}{'p50 ms':>9}{'p95 ms':>9}  goal")
    for name, report in reports.items():
        for label, viewer in viewers:
            if viewer is None:
                continue
            for period, filters in periods.items():
                p50, p95 = _time(partial(report, viewer, filters), args.runs)
                verdict = "ok" if p95 <= GOALS_MS[period] else f"over {GOALS_MS[period]:.0f}"
                print(f"{name:<22}{label:<9}{period:<7}{p50:>9.1f}{p95:>9.1f}  {verdict}", flush=True)
    print(f"load average {_load()} (after)")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
