""""Similar tickets" on the agent's ticket page at scale: p50/p95 of the selector on PostgreSQL.

    .venv/bin/python bench/bench_similar.py --database-url postgres://postgres@127.0.0.1:5432/otklik_bench

Runs against a database filled by bench/generate.py (which also writes the search rows). For each viewer
(an admin who sees everything, a first-line agent, a second-line agent, a department agent, and an agent
who sees only the tickets assigned to them: the bench makes one with --assigned tickets on its first run)
it asks for the similar tickets of --probes random tickets the viewer handles and prints wall p50/p95,
CPU p50 and queries per call. The load average is printed first: wall times grow with it on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

VIEWERS = ("adam@otklik.demo", "fiona@otklik.demo", "sam@otklik.demo", "victor@otklik.demo")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


ONLY_ASSIGNED = "bench-only-assigned@otklik.demo"


def _only_assigned_agent(assigned: int) -> str:
    """An agent who sees only their assigned tickets: the narrowest staff scope. Made once per database,
    with `assigned` resolved tickets spread over the whole table (every hundredth-or-so row)."""
    from django.db import transaction

    from otklik.accounts.models import Role, User
    from otklik.tickets.models import DONE_KINDS, Ticket

    if User.objects.filter(email=ONLY_ASSIGNED).exists():
        return ONLY_ASSIGNED
    with transaction.atomic():
        agent = User.objects.create_user(email=ONLY_ASSIGNED, password=None, first_name="Only", last_name="Assigned",
                                         role=Role.AGENT, only_assigned_to_me=True)
        resolved = list(Ticket.objects.filter(status__kind__in=DONE_KINDS, merged_into__isnull=True)
                        .order_by("pk").values_list("pk", flat=True))
        ids = resolved[::max(1, len(resolved) // assigned)][:assigned]
        Ticket.objects.filter(pk__in=ids).update(assignee=agent)
    return ONLY_ASSIGNED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench"))
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--assigned", type=int, default=400,
                        help="resolved tickets assigned to the only-assigned agent when the bench creates it")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from otklik.accounts.access import tickets_handled_by
    from otklik.accounts.models import User
    from otklik.knowledge.selectors import SIMILAR_CANDIDATES, similar_tickets
    from otklik.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    total = Ticket.objects.count()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; tickets: {total:,};"
          f" candidates ranked: {SIMILAR_CANDIDATES}")
    rng = random.Random(args.seed)
    top = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for email in (*VIEWERS, _only_assigned_agent(args.assigned)):
        viewer = User.objects.get(email=email)
        # Random probes among the tickets this viewer handles (the page shows the list to them only).
        handled = tickets_handled_by(viewer)
        probes: list[Ticket] = []
        while len(probes) < args.probes:
            found = handled.filter(pk__gte=rng.randint(1, top)).order_by("pk").only("pk", "subject").first()
            if found is not None:
                probes.append(found)
        similar_tickets(viewer, probes[0])  # warm-up
        walls, cpus, queries, sizes = [], [], 0, []
        for ticket in probes:
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.process_time()
                found_list = similar_tickets(viewer, ticket)
                walls.append((time.perf_counter() - started) * 1000)
                cpus.append((time.process_time() - started_cpu) * 1000)
            queries = max(queries, len(captured.captured_queries))
            sizes.append(len(found_list))
        print(f"{email:<22} p50 {statistics.median(walls):7.1f} ms  p95 {_percentile(walls, 0.95):7.1f} ms"
              f"  max {max(walls):7.1f} ms  cpu p50 {statistics.median(cpus):5.1f} ms  queries {queries}"
              f"  found avg {statistics.mean(sizes):.1f}")


if __name__ == "__main__":
    main()
