"""SLA recalculation at scale: the calendar-edit re-plan and the "recalculate open tickets from their
start" run over N open clocks, on PostgreSQL, printing clocks per second.

    python bench/bench_sla_recalc.py [--clocks 1000000] [--batch-size 1000]
                                     [--database-url postgres://postgres@127.0.0.1:5432/otklik_bench_recalc]

Builds its own database (dropped and re-created): the schema by migration, then N/2 open tickets
and N running clocks (reaction and resolution) with their start log entries, written with
INSERT ... SELECT generate_series, tickets created over the last 30 days. Then, timed:

1. re-plan: a day off is added next week, so every open clock is rebased on the new calendar
   (`services.replan_run`, what the Huey job `sla_replan_job` runs);
2. recalculate: a day off is added ten days back and the admin's "recalculate open tickets from
   their start" replays every clock's log (`recalculation.recalculate_run`, what the Huey job
   `sla_recalculate_job` runs), in batches with progress on the `ReplanRun` row.

Both runs are synchronous here (the job body, without the queue) so the figure is the work itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_data(clocks: int) -> tuple[int, int]:
    """N/2 tickets, N clocks and their start entries; returns (policy id, holiday calendar id)."""
    from django.db import connection
    from django.utils import timezone

    from otklik.accounts.models import Role, User
    from otklik.sla.calendars import policy_calendar
    from otklik.sla.models import HolidayCalendar, Schedule, SlaPolicy
    from otklik.tickets.models import Priority, Status

    now = timezone.now()
    tickets = max(1, clocks // 2)
    requester = User.objects.create_user(email="bench@example.test", role=Role.REQUESTER)
    holidays = HolidayCalendar.objects.create(name="Bench holidays")
    schedule = Schedule.objects.get(name="5-day week 09:00-18:00")
    schedule.holiday_calendar = holidays
    schedule.save()
    policy = SlaPolicy.objects.create(name="Bench", schedule=schedule, is_default=True, reaction_minutes=60 * 40,
                                      resolution_minutes=60 * 200, warn_before_minutes=30)
    key, _calendar = policy_calendar(policy, now)
    SlaPolicy.objects.filter(pk=policy.pk).update(calendar_key=key, calendar_changed_at=now)
    status = Status.objects.get(code="open").pk
    priority = Priority.objects.get(code="normal").pk
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO tickets_ticket (number, subject, requester_id, priority_id, status_id, source, fields,
                                          created_at, updated_at)
               SELECT n, 'Bench ticket ' || n, %s, %s, %s, 'email', '{}'::jsonb,
                      %s - (n %% 43200) * interval '1 minute', %s
               FROM generate_series(1, %s) AS n""",
            [requester.pk, priority, status, now, now, tickets],
        )
        # Targets long enough (40 and 200 working hours) that no clock is stopped or late: every
        # clock is open and every one is touched by both runs. Due instants are rough here; the
        # runs compute the real ones.
        cursor.execute(
            """INSERT INTO sla_slaclock (ticket_id, metric, cycle, policy_id, target_seconds, warn_before_seconds,
                   calendar_key, state, started_at, checkpoint_at, consumed_seconds, computed_due_at,
                   computed_warn_at, due_at, warn_at, manual_due_reason, reopen_count, paused_seconds, updated_at)
               SELECT t.id, m.metric, 1, %s, m.target, 1800, %s, 'running', t.created_at, t.created_at, 0,
                      t.created_at + m.span, t.created_at + m.span, t.created_at + m.span, t.created_at + m.span,
                      '', 0, 0, %s
               FROM tickets_ticket t
               CROSS JOIN (VALUES ('reaction', 144000, interval '8 days'),
                                  ('resolution', 720000, interval '40 days')) AS m(metric, target, span)
               WHERE %s = 2 OR m.metric = 'resolution' OR t.id * 2 <= %s""",
            [policy.pk, key, now, 2, clocks],
        )
        cursor.execute(
            """INSERT INTO sla_slaclockevent (clock_id, at, kind, data, recorded_at)
               SELECT c.id, c.started_at, 'start',
                      jsonb_build_object('metric', c.metric, 'policy', c.policy_id, 'target', c.target_seconds,
                                         'warn_before', 1800, 'calendar', c.calendar_key, 'paused', false),
                      c.started_at
               FROM sla_slaclock c"""
        )
        cursor.execute("ANALYZE tickets_ticket; ANALYZE sla_slaclock; ANALYZE sla_slaclockevent;")
    return policy.pk, holidays.pk


@contextmanager
def only_sla_receivers() -> Iterator[None]:
    """Time the SLA part alone: the other apps' `ticket_event_recorded` receivers are detached."""
    from otklik.tickets.signals import ticket_event_recorded

    saved = list(ticket_event_recorded.receivers)
    ticket_event_recorded.receivers = [entry for entry in saved if entry[0][0] == "sla.clocks"]
    ticket_event_recorded.sender_receivers_cache.clear()
    try:
        yield
    finally:
        ticket_event_recorded.receivers = saved
        ticket_event_recorded.sender_receivers_cache.clear()


def report(label: str, run_id: int, elapsed: float) -> None:
    from otklik.sla.models import ReplanRun

    run = ReplanRun.objects.get(pk=run_id)
    rate = run.processed / elapsed if elapsed else 0.0
    print(f"  {label}: {run.processed:,} clocks processed ({run.rebased:,} changed) of {run.total:,} in "
          f"{elapsed:.1f} s -> {rate:,.0f} clocks/s; state {run.state}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/otklik_bench_recalc")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("OTKLIK_DATA_DIR", tempfile.mkdtemp(prefix="otklik-bench-recalc-"))
    os.environ["OTKLIK_JOBS_IMMEDIATE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
    recreate_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models.signals import post_save
    from django.utils import timezone

    from otklik.accounts.models import Role, User
    from otklik.sla import recalculation, services
    from otklik.sla.models import CalendarException, ReplanKind, ReplanRun, SlaClock

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    policy_id, holidays_id = setup_data(args.clocks)
    count = SlaClock.objects.filter(state="running").count()
    print(f"Setup: {time.perf_counter() - began:.1f} s; {count:,} running clocks "
          f"(batch size {args.batch_size}; load {' / '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs)", flush=True)
    admin = User.objects.create_user(email="admin@example.test", role=Role.ADMIN, is_superuser=True)
    # The runs are timed directly: the after-commit refresh the admin's save would enqueue is left out.
    post_save.receivers.clear()
    post_save.sender_receivers_cache.clear()

    now = timezone.now()
    day = (now + timedelta(days=7)).date()
    CalendarException.objects.create(holiday_calendar_id=holidays_id, name="Closed next week", kind="rest",
                                     date_from=day, date_to=day)
    with transaction.atomic():
        run = services.calendars_refresh(now=now, reason="bench: a day off next week")
    assert run is not None, "the edit changed no policy calendar"
    started = time.perf_counter()
    services.replan_run(run_id=run.pk, now=now, batch_size=args.batch_size)
    report("re-plan after a calendar edit (rebase at the edit)", run.pk, time.perf_counter() - started)

    def recalculate(days_back: int, label: str) -> None:
        past = (now - timedelta(days=days_back)).date()
        CalendarException.objects.create(holiday_calendar_id=holidays_id, name=f"Closed {days_back} days ago",
                                         kind="rest", date_from=past, date_to=past)
        later = timezone.now()
        run = ReplanRun.objects.create(kind=ReplanKind.RECALCULATE, reason="bench: recalculate from the start",
                                       policy_ids=[policy_id], requested_at=later, requested_by=admin,
                                       total=SlaClock.objects.filter(state__in=["running", "paused"]).count())
        started = time.perf_counter()
        recalculation.recalculate_run(run_id=run.pk, now=later, batch_size=args.batch_size)
        report(label, run.pk, time.perf_counter() - started)

    recalculate(10, "recalculate from the start (replay each log), every receiver of the history events")
    with only_sla_receivers():
        recalculate(11, "recalculate from the start, SLA part alone (other apps' receivers detached)")
    print("  Every changed ticket gets one SLA history event; 'every receiver' includes the other apps'")
    print("  reactions to it (notification and automation kicks, search indexing).")


if __name__ == "__main__":
    main()
