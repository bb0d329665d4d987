"""Import N tickets with 4 messages each from the JSON Lines format into PostgreSQL, printing tickets/s.

    python bench/bench_import.py --tickets 100000
    python bench/bench_import.py --tickets 20000 --database-url postgres://postgres@127.0.0.1:5432/otklik_imports_bench

The source file is generated first (people, organizations, tickets in a realistic mix of states over a
year, a quarter of them with an internal note), then imported through the import service exactly as
`otklik import json` does: batches with their cursor, SLA clocks replayed, report rows and search rows
rebuilt. The target is under 10 minutes for 100,000 tickets; the run prints the extrapolation.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def ensure_fresh_postgres_database(url: str, fresh: bool) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def generate(path: Path, tickets: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with path.open("w", encoding="utf-8") as out:

        def line(data: dict[str, object]) -> None:
            out.write(json.dumps(data, ensure_ascii=False) + "\n")

        line({"type": "header", "format": "otklik-import/1"})
        for org in range(50):
            line({"type": "organization", "id": f"o{org}", "name": f"Customer {org}", "domain": f"c{org}.example"})
        for person in range(2000):
            line(
                {
                    "type": "person",
                    "id": f"u{person}",
                    "email": f"user{person}@c{person % 50}.example",
                    "name": f"User {person}",
                    "organization": f"o{person % 50}",
                }
            )
        for staff in range(40):
            line(
                {
                    "type": "person",
                    "id": f"a{staff}",
                    "email": f"agent{staff}@desk.example",
                    "name": f"Agent {staff}",
                    "staff": True,
                }
            )
        for number in range(1, tickets + 1):
            created = now - timedelta(days=365) + timedelta(seconds=rng.random() * 364 * 86400)
            requester, agent = f"u{rng.randrange(2000)}", f"a{rng.randrange(40)}"
            status = rng.choices(["closed", "resolved", "open", "waiting_customer", "new"], [70, 10, 12, 5, 3])[0]
            times = [created + timedelta(minutes=m) for m in sorted(rng.sample(range(5, 4000), 3))]
            messages = [
                {
                    "id": f"m{number}-0",
                    "author": requester,
                    "text": "Printer on the 3rd floor does not print.",
                    "created_at": created.isoformat(),
                },
                {
                    "id": f"m{number}-1",
                    "author": agent,
                    "text": "We are looking into it.",
                    "created_at": times[0].isoformat(),
                },
                {
                    "id": f"m{number}-2",
                    "author": agent,
                    "text": "Checked the driver; escalating.",
                    "internal": rng.random() < 0.25,
                    "created_at": times[1].isoformat(),
                },
                {
                    "id": f"m{number}-3",
                    "author": requester,
                    "text": "Thanks, it works now.",
                    "created_at": times[2].isoformat(),
                },
            ]
            done_at = (times[2] + timedelta(hours=1)).isoformat() if status in ("closed", "resolved") else None
            line(
                {
                    "type": "ticket",
                    "id": f"t{number}",
                    "number": number,
                    "subject": f"Printer issue {number}",
                    "requester": requester,
                    "assignee": agent,
                    "status": status,
                    "priority": rng.choice(["low", "normal", "normal", "high"]),
                    "channel": "email",
                    "created_at": created.isoformat(),
                    "resolved_at": done_at,
                    "closed_at": done_at if status == "closed" else None,
                    "messages": messages,
                }
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/otklik_imports_bench"),
    )
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--file", default="", help="an existing export to import instead of a generated one")
    parser.add_argument("--keep-database", action="store_true", help="do not start from an empty database")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench-import"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    if args.database_url.startswith("postgres"):
        ensure_fresh_postgres_database(args.database_url, fresh=not args.keep_database)

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from otklik.demodata.seed import seed_reference_data
    from otklik.imports.readers import build_reader
    from otklik.imports.services import run_create, run_execute
    from otklik.sla.demo import seed_demo_sla

    call_command("migrate", verbosity=0)
    seed_reference_data()
    seed_demo_sla()  # a default SLA policy, so every imported ticket gets its clocks replayed

    path = Path(args.file) if args.file else REPO / "data" / f"bench-import-{args.tickets}.jsonl"
    if not args.file:
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generate(path, args.tickets)
        size = path.stat().st_size / 1e6
        print(f"source:   {path} ({size:,.0f} MB) written in {time.perf_counter() - started:.1f} s")

    options = {"path": str(path), "keep_numbers": True}
    run = run_create(source="json", namespace="bench", options=options, dry_run=False, now=timezone.now())
    load_before = os.getloadavg()
    started = time.perf_counter()
    last = [started, 0.0]

    def progress(current: object) -> None:
        now = time.perf_counter()
        if now - last[0] > 10:
            done = getattr(current, "done", 0)
            # The rate since the last line too: whether a batch slows down as the tables grow.
            recent = (done - last[1]) / (now - last[0])
            last[0], last[1] = now, done
            print(
                f"  {done:>9,} rows  ({done / (now - started):,.0f} rows/s, last {recent:,.0f};"
                f" load {os.getloadavg()[0]:.1f})",
                flush=True,
            )

    run = run_execute(run=run, reader=build_reader("json", options), batch_size=args.batch, progress=progress)
    elapsed = time.perf_counter() - started
    tickets = run.counts.get("created", {}).get("ticket", 0)
    rate = tickets / elapsed if elapsed else 0.0
    print(f"database: {args.database_url}")
    print(f"created:  {run.counts.get('created')}  refused: {run.problem_count}")
    print(f"updated:  {run.counts.get('updated')}")
    print(f"time:     {elapsed:.1f} s")
    print(f"rate:     {rate:,.0f} tickets/s ({rate * 4:,.0f} messages/s), batch {args.batch}")
    load_after = os.getloadavg()
    before, after = (f"{load[0]:.1f} / {load[1]:.1f}" for load in (load_before, load_after))
    print(f"load:     {before} before, {after} after (1 / 5 min averages)")
    if tickets and tickets < 100_000:
        print(f"100k:     about {100_000 / rate / 60:.1f} min at this rate")


if __name__ == "__main__":
    main()
