"""Fill a PostgreSQL database with N tickets shaped for the report benchmark, in bulk SQL (minutes at 1M).

    python bench/generate_reports.py --tickets 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/otklik_reports_bench
    python bench/bench_reports.py --database-url postgres://postgres@127.0.0.1:5432/otklik_reports_bench

Rows are written with INSERT ... SELECT generate_series, directly in the shape the services leave them:
tickets over the last `--months` months (teams with their agents, categories, priorities, sources,
organizations, request types; about 3 % still open, 1 % merged), their `reports.TicketTimes` rows with the
rollup snapshot and the report dimensions, ticket events (created, staff replies, internal notes, resolutions,
reopenings), SLA clocks (reaction 8 h, resolution 5 days: some breached), ratings on about 30 % of resolved
tickets, the monthly rollups (rebuilt from the times rows, as `otklik reports_rebuild` does), and the SLA
outcomes, agents' days and rating copies (`reports.SlaOutcome`, `AgentWork`, `ReportRating`, likewise, with their
monthly tallies `SlaMonth`, `WorkMonth`, `RatingMonth`; `AssigneeMonth` with the hourly counts). Conversation
messages and search entries are not written: no report reads them. The database is created and migrated if
missing; existing tickets are kept (run it on a fresh database).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHUNK = 100_000
SOURCES = ["web", "email", "telegram", "chat", "api", "phone"]
SOURCE_EDGES = [0.35, 0.65, 0.8, 0.9, 0.95]


def _bucket(column: str, values: list[Any], edges: list[float]) -> str:
    """A SQL CASE picking values[i] by where `column` (uniform in [0, 1)) falls among the edges."""
    parts = [f"WHEN {column} < {edge} THEN {value}" for edge, value in zip(edges, values, strict=False)]
    return f"(CASE {' '.join(parts)} ELSE {values[-1]} END)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/otklik_reports_bench"),
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("The report benchmark data is written with PostgreSQL's generate_series.")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", str(REPO / "data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    from bench.generate import ensure_postgres_database

    ensure_postgres_database(args.database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from otklik.accounts.models import Organization, Role, Team, User
    from otklik.demodata.seed import seed_reference_data
    from otklik.reports.cube import rebuild_cube
    from otklik.reports.outcomes import sync_clocks, sync_ratings, sync_work
    from otklik.reports.rollups import rebuild_rollups
    from otklik.sla.demo import seed_demo_sla
    from otklik.sla.models import SlaPolicy
    from otklik.tickets import numbers
    from otklik.tickets.models import Category, Priority, RequestType, Status

    started = time.perf_counter()

    def step(label: str, sql: str, params: dict[str, Any] | None = None) -> int:
        at = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params or {})
            count = int(cursor.rowcount)
        print(f"  {label:<34}{count:>12,} rows  {time.perf_counter() - at:6.1f} s", flush=True)
        return count

    call_command("migrate", verbosity=0)
    now = timezone.now()
    seed_reference_data()
    seed_demo_sla(now)
    # A desk of a realistic width: more customer organizations and requesters than the demo's handful.
    for index in range(Organization.objects.count(), 40):
        Organization.objects.create(name=f"Bench customer {index + 1}", domain=f"bench{index + 1}.example")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, is_staff,"
            " is_active, date_joined, email, role, phone, language, time_zone, signature, only_assigned_to_me,"
            " is_department_head, organization_id)"
            " SELECT '!', false, 'bench-req-' || g, 'Bench', 'Requester ' || g, false, true, now(),"
            " 'bench-req-' || g || '@example.com', 'requester', '', 'ru', '', '', false, false,"
            " (SELECT id FROM accounts_organization ORDER BY id OFFSET (g % 40) LIMIT 1)"
            " FROM generate_series(1, 400) g ON CONFLICT DO NOTHING"
        )

    teams = list(Team.objects.order_by("pk"))
    team_weights = [0.4, 0.35, 0.15, 0.1][: len(teams)] or [1.0]
    agents = {
        team.pk: list(
            team.members.filter(role__in=[Role.AGENT, Role.MANAGER], is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for team in teams
    }
    statuses = dict(Status.objects.values_list("code", "pk"))
    priorities = list(Priority.objects.order_by("rank").values_list("pk", "rank"))
    categories = list(Category.objects.order_by("pk").values_list("pk", flat=True))
    organizations = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    request_types = list(RequestType.objects.order_by("pk").values_list("pk", flat=True))
    requesters = list(User.objects.filter(role=Role.REQUESTER).order_by("pk").values_list("pk", flat=True))
    policy = SlaPolicy.objects.filter(is_default=True).first() or SlaPolicy.objects.first()
    tz = settings.TIME_ZONE
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_team")
        cursor.execute("CREATE UNLOGGED TABLE bench_team (team_id bigint, lo float8, hi float8, agents bigint[])")
        low = 0.0
        total_weight = sum(team_weights)
        for team, weight in zip(teams, team_weights, strict=False):
            high = low + weight / total_weight
            cursor.execute(
                "INSERT INTO bench_team VALUES (%s, %s, %s, %s)",
                [team.pk, low, 1.0 if team is teams[len(team_weights) - 1] else high, agents[team.pk]],
            )
            low = high
    with transaction.atomic():
        first_number = numbers.reserve(args.tickets)
    days = args.months * 30.4
    print(f"Writing {args.tickets:,} tickets over {args.months} months into {args.database_url}")
    priority_case = _bucket("r_pri", [pk for pk, _rank in priorities], [0.2, 0.8, 0.95])
    rank_case = _bucket("r_pri", [rank for _pk, rank in priorities], [0.2, 0.8, 0.95])
    source_case = _bucket("r_src", [f"'{code}'" for code in SOURCES], SOURCE_EDGES)
    open_case = _bucket(
        "r_state",
        [statuses["open"], statuses["in_progress"], statuses["needs_clarification"], statuses["paused"]],
        [0.4, 0.8, 0.9],
    )
    arrays = {"cats": categories, "orgs": organizations, "rts": request_types, "reqs": requesters}
    for lo in range(1, args.tickets + 1, CHUNK):
        hi = min(args.tickets, lo + CHUNK - 1)
        step(
            f"tickets {lo:,}-{hi:,}",
            f"""
            WITH r AS (
                SELECT g, random() AS r_team, random() AS r_agent, random() AS r_cat, random() AS r_pri,
                       random() AS r_src, random() AS r_org, random() AS r_rt, random() AS r_req, random() AS r_fr,
                       random() AS r_res, random() AS r_state,
                       %(now)s - (random() * %(days)s) * interval '1 day' AS created
                FROM generate_series(%(lo)s, %(hi)s) g
            ), t AS (
                SELECT r.*, bt.team_id,
                       bt.agents[1 + floor(r.r_agent * coalesce(array_length(bt.agents, 1), 0))::int] AS agent,
                       r.created + (-ln(1 - r.r_fr) * 4) * interval '1 hour' AS fr_at,
                       r.created + (-ln(1 - r.r_res) * 2) * interval '1 day' AS res_at
                FROM r JOIN bench_team bt ON r.r_team >= bt.lo AND r.r_team < bt.hi
            ), s AS (
                SELECT t.*, least(t.fr_at, t.res_at) AS first_at,
                       (t.res_at < %(now)s AND t.r_state < 0.97) AS done
                FROM t
            )
            INSERT INTO tickets_ticket (number, subject, source, fields, created_at, updated_at, first_response_at,
                resolved_at, closed_at, assignee_id, category_id, merged_into_id, organization_id, priority_id,
                request_type_id, requester_id, status_id, team_id, sla_next_due_at, priority_rank)
            SELECT %(base)s + g, 'Bench ticket ' || g, {source_case}, '{{}}'::jsonb, created,
                   CASE WHEN done THEN res_at WHEN first_at < %(now)s THEN first_at ELSE created END,
                   CASE WHEN first_at < %(now)s THEN first_at END,
                   CASE WHEN done THEN res_at END,
                   CASE WHEN done AND res_at < %(now)s - interval '3 days' THEN res_at + interval '3 days' END,
                   agent,
                   CASE WHEN r_cat < 0.05 THEN NULL
                        ELSE (%(cats)s::bigint[])[1 + floor((r_cat - 0.05) / 0.95 * %(n_cats)s)::int] END,
                   NULL,
                   CASE WHEN r_org < 0.3 THEN NULL
                        ELSE (%(orgs)s::bigint[])[1 + floor((r_org - 0.3) / 0.7 * %(n_orgs)s)::int] END,
                   {priority_case},
                   CASE WHEN r_rt < 0.2 THEN NULL
                        ELSE (%(rts)s::bigint[])[1 + floor((r_rt - 0.2) / 0.8 * %(n_rts)s)::int] END,
                   (%(reqs)s::bigint[])[1 + floor(r_req * %(n_reqs)s)::int],
                   CASE WHEN done AND res_at < %(now)s - interval '3 days' THEN %(closed)s
                        WHEN done THEN %(resolved)s
                        WHEN first_at >= %(now)s THEN %(new)s ELSE {open_case} END,
                   team_id,
                   CASE WHEN done THEN NULL ELSE created + interval '1 day' END,
                   {rank_case}
            FROM s
        """,
            {
                "now": now,
                "days": days,
                "lo": lo,
                "hi": hi,
                "base": first_number - 1,
                **arrays,
                **{f"n_{name}": len(values) for name, values in arrays.items()},
                "closed": statuses["closed"],
                "resolved": statuses["resolved"],
                "new": statuses["new"],
            },
        )
    bounds = "id >= (SELECT min(id) FROM tickets_ticket WHERE number >= %(base)s)"
    base = {"base": first_number, "tz": tz, "policy": policy.pk if policy else None, "now": now}
    step(
        "merged (1 %)",
        f"""
        UPDATE tickets_ticket t SET merged_into_id = t.id - 1, status_id = %(closed)s,
               resolved_at = coalesce(t.resolved_at, t.created_at + interval '1 hour'),
               closed_at = coalesce(t.closed_at, t.created_at + interval '1 hour')
        WHERE {bounds} AND t.id %% 100 = 0""",
        {**base, "closed": statuses["closed"]},
    )
    step(
        "report times",
        f"""
        INSERT INTO reports_tickettimes (ticket_id, first_response_seconds, first_response_working_seconds,
            resolution_seconds, resolution_working_seconds, reopen_count, staff_replies, calendar_key, rolled_team,
            rolled_category, rolled_priority, rolled_source, counted_month, resolved_month, responded_month,
            created_at, first_response_at, resolved_at, team_id, assignee_id, category_id, priority_id, status_id,
            organization_id, request_type_id, source, merged)
        SELECT id, extract(epoch FROM first_response_at - created_at)::bigint,
               (extract(epoch FROM first_response_at - created_at) * 0.35)::bigint,
               (extract(epoch FROM resolved_at - created_at) * (0.8 + 0.2 * random()))::bigint,
               (extract(epoch FROM resolved_at - created_at) * 0.27)::bigint,
               CASE WHEN resolved_at IS NOT NULL AND random() < 0.05 THEN 1 ELSE 0 END,
               CASE WHEN first_response_at IS NULL THEN 0 ELSE 1 + floor(random() * 3)::int END, 'bench',
               coalesce(team_id, 0), coalesce(category_id, 0), priority_id, source,
               CASE WHEN merged_into_id IS NULL THEN date_trunc('month', created_at AT TIME ZONE %(tz)s)::date END,
               CASE WHEN merged_into_id IS NULL
                    THEN date_trunc('month', resolved_at AT TIME ZONE %(tz)s)::date END,
               CASE WHEN merged_into_id IS NULL
                    THEN date_trunc('month', first_response_at AT TIME ZONE %(tz)s)::date END,
               created_at, first_response_at, resolved_at, team_id, assignee_id, category_id, priority_id,
               status_id, organization_id, request_type_id, source, merged_into_id IS NOT NULL
        FROM tickets_ticket WHERE {bounds}""",
        base,
    )
    events = "INSERT INTO tickets_ticketevent (ticket_id, actor_id, kind, data, created_at) "
    step(
        "events: created",
        events
        + f"""
        SELECT id, requester_id, 'created', jsonb_build_object('status', 'new', 'source', source), created_at
        FROM tickets_ticket WHERE {bounds}""",
        base,
    )
    step(
        "events: staff replies",
        events
        + f"""
        SELECT t.id, t.assignee_id, 'replied', '{{"by": "staff"}}'::jsonb,
               t.first_response_at + (k - 1) * (coalesce(t.resolved_at, t.first_response_at) - t.first_response_at)
                                      / rt.staff_replies
        FROM tickets_ticket t JOIN reports_tickettimes rt ON rt.ticket_id = t.id,
             generate_series(1, rt.staff_replies) k
        WHERE t.{bounds} AND t.first_response_at IS NOT NULL""",
        base,
    )
    step(
        "events: internal notes (30 %)",
        events
        + f"""
        SELECT id, assignee_id, 'note_added', '{{}}'::jsonb, created_at + interval '40 minutes'
        FROM tickets_ticket WHERE {bounds} AND random() < 0.3""",
        base,
    )
    step(
        "events: resolutions",
        events
        + f"""
        SELECT id, assignee_id, 'status_changed',
               '{{"from": "in_progress", "to": "resolved", "from_kind": "open", "to_kind": "resolved"}}'::jsonb,
               resolved_at
        FROM tickets_ticket WHERE {bounds} AND resolved_at IS NOT NULL""",
        base,
    )
    step(
        "events: reopenings",
        events
        + f"""
        SELECT t.id, t.requester_id, 'reopened', '{{}}'::jsonb, t.resolved_at - interval '1 day'
        FROM tickets_ticket t JOIN reports_tickettimes rt ON rt.ticket_id = t.id
        WHERE t.{bounds} AND rt.reopen_count > 0""",
        base,
    )
    clocks = (
        "INSERT INTO sla_slaclock (ticket_id, policy_id, metric, cycle, target_seconds, warn_before_seconds,"
        " calendar_key, state, started_at, checkpoint_at, consumed_seconds, manual_due_reason, due_at,"
        " computed_due_at, stopped_at, final_business_seconds, met, breached_at, reopen_count, paused_seconds,"
        " updated_at) "
    )
    for metric, target, field in (
        ("reaction", 8 * 3600, "first_response_at"),
        ("resolution", 5 * 86400, "resolved_at"),
    ):
        step(
            f"SLA clocks: {metric}",
            clocks
            + f"""
            SELECT id, %(policy)s, '{metric}', 0, {target}, 1800, 'bench',
                   CASE WHEN {field} IS NULL THEN 'running' ELSE 'stopped' END, created_at, created_at,
                   coalesce(extract(epoch FROM {field} - created_at)::bigint, 0), '',
                   created_at + interval '{target} seconds', created_at + interval '{target} seconds', {field},
                   extract(epoch FROM {field} - created_at)::bigint,
                   CASE WHEN {field} IS NULL THEN NULL ELSE {field} <= created_at + interval '{target} seconds' END,
                   CASE WHEN coalesce({field}, %(now)s) > created_at + interval '{target} seconds'
                        THEN created_at + interval '{target} seconds' END,
                   0, 0, coalesce({field}, created_at)
            FROM tickets_ticket WHERE {bounds} AND merged_into_id IS NULL""",
            base,
        )
    step(
        "ratings (30 % of resolved)",
        f"""
        INSERT INTO tickets_ticketrating (ticket_id, rated_by_id, score, comment, resolved_at, created_at)
        SELECT id, requester_id, score,
               CASE WHEN random() < 0.15 THEN 'Bench comment ' || score ELSE '' END, resolved_at,
               resolved_at + interval '2 hours'
        FROM (SELECT id, requester_id, resolved_at, random() AS r FROM tickets_ticket
              WHERE {bounds} AND resolved_at IS NOT NULL AND merged_into_id IS NULL
                AND resolved_at < %(now)s - interval '2 hours') t
        CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.024 THEN 1 WHEN r < 0.045 THEN 2 WHEN r < 0.075 THEN 3
                                        WHEN r < 0.135 THEN 4 ELSE 5 END AS score) s
        WHERE r < 0.3""",
        base,
    )
    at = time.perf_counter()
    rows = rebuild_rollups()
    print(f"  {'monthly rollups':<34}{rows:>12,} rows  {time.perf_counter() - at:6.1f} s", flush=True)
    at = time.perf_counter()
    hours, buckets = rebuild_cube()
    print(f"  {'hourly counts, histograms':<34}{hours + buckets:>12,} rows  {time.perf_counter() - at:6.1f} s",
          flush=True)
    # The SLA outcomes and the agents' days, from the clocks, the events and the times rows (as the rebuild).
    for label, rebuild in (("SLA outcomes", sync_clocks), ("agent work per day", sync_work),
                           ("ratings with dimensions", sync_ratings)):
        at = time.perf_counter()
        with transaction.atomic():
            rows = rebuild()
        print(f"  {label:<34}{rows:>12,} rows  {time.perf_counter() - at:6.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_team")
    at = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = True
    with raw.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  {'vacuum analyze':<34}{'':>12}       {time.perf_counter() - at:6.1f} s")
    print(f"Done in {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
