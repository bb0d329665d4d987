"""Fill a database with N realistic tickets with conversations and histories, printing rows per second.

    python bench/generate.py --tickets 1000000 --database-url postgres://postgres@127.0.0.1:5432/otklik_bench

The database is created if missing and migrated; demo reference data (teams, agents, requesters,
categories) is loaded first. Later benchmarks (SLA sweep, lists, search) run against what this leaves.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def ensure_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench"))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-index", action="store_true", help="Leave search indexing to the periodic job.")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    if args.database_url.startswith("postgres"):
        ensure_postgres_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from otklik.automation.demo import mark_history_as_read
    from otklik.demodata.bulk import generate_tickets
    from otklik.demodata.seed import seed_reference_data
    from otklik.search.indexing import index_missing

    call_command("migrate", verbosity=0)
    seed_reference_data()
    started = time.perf_counter()
    last_report = [started]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last_report[0] > 5 or done == total:
            last_report[0] = now
            print(f"  {done:>9,} / {total:,} tickets  ({done / (now - started):,.0f} tickets/s)", flush=True)

    written = generate_tickets(args.tickets, now=timezone.now(), days=args.days, seed=args.seed,
                               batch_size=args.batch, progress=progress)
    elapsed = time.perf_counter() - started
    rows = sum(written.values())
    # Loaded history is not news: without this the first job run walks every historical event one by one
    # (notifications and automation triggers read the outbox from their cursor), hours at a million tickets.
    mark_history_as_read()
    if not args.no_index:
        indexed_at = time.perf_counter()
        indexed = index_missing()
        print(f"search:   {indexed['subjects']:,} subjects, {indexed['messages']:,} messages indexed"
              f" in {time.perf_counter() - indexed_at:.1f} s")
    if connection.vendor == "postgresql":
        # Fresh statistics: without them the planner guesses on a million new rows (similar tickets took
        # 440-820 ms instead of 8-20 ms until autovacuum got round to the tables).
        analysed_at = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"analyze:  {time.perf_counter() - analysed_at:.1f} s")
    print(f"database: {args.database_url}")
    print(f"tickets:  {written['tickets']:,}  messages: {written['messages']:,}  events: {written['events']:,}")
    print(f"time:     {elapsed:.1f} s")
    print(f"rate:     {written['tickets'] / elapsed:,.0f} tickets/s, {rows / elapsed:,.0f} rows/s")


if __name__ == "__main__":
    main()
