"""Two workers reading the outbox at the same time handle every event exactly once.

On PostgreSQL (DATABASE_URL) two threads share the test database and SKIP LOCKED lets them split the
work. SQLite runs two worker processes on one database file, as an embedded installation does (threads
cannot share pytest's in-memory SQLite database)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from otklik.notifications import outbox, receivers
from otklik.notifications.models import Notification, OutboxReceipt
from otklik.notifications.services import notifications_process
from otklik.testing import factories
from otklik.testing.migrated import copy_migrated_sqlite
from otklik.tickets.models import TicketEvent
from otklik.tickets.signals import ticket_event_recorded

# serialized_rollback: the flush between transactional tests would drop the migrations' reference rows.
concurrent_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need a server database; SQLite is tested with processes"
)
SCRIPT = Path(__file__).with_name("outbox_worker_script.py")
REPO = Path(__file__).resolve().parents[2]


def run_concurrently(work, workers=2):
    """Start `workers` threads at the same instant; each gets its own database connection."""
    barrier = threading.Barrier(workers)
    errors = []

    def body(index):
        try:
            barrier.wait()
            work(index)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


@contextmanager
def no_outbox_kicks():
    """Record events without waking the workers, so the test's two workers find them all pending."""
    from otklik.automation import receivers as automation_receivers

    ticket_event_recorded.disconnect(dispatch_uid="notifications.outbox_kick")
    ticket_event_recorded.disconnect(dispatch_uid="automation.on_ticket_event")
    try:
        yield
    finally:
        ticket_event_recorded.connect(receivers.on_ticket_event, dispatch_uid="notifications.outbox_kick")
        ticket_event_recorded.connect(automation_receivers.on_ticket_event, dispatch_uid="automation.on_ticket_event")


@postgres_only
@concurrent_db
def test_two_workers_handle_each_event_once(people, now):
    with no_outbox_kicks():
        for number in range(60):
            factories.ticket(requester=people.alice, subject=f"Request {number}", now=now)
    total = TicketEvent.objects.count()
    handled = []
    lock = threading.Lock()

    def handler(event):
        time.sleep(0.002)  # long enough for the other worker to try the same rows
        with lock:
            handled.append((threading.get_ident(), event.pk))

    run_concurrently(lambda index: outbox.outbox_run(
        consumer="test.exactly_once", handler=handler, now=now, batch_size=10))

    counts = Counter(event_id for _worker, event_id in handled)
    assert len(counts) == total
    assert max(counts.values()) == 1
    assert OutboxReceipt.objects.filter(consumer="test.exactly_once").count() == total
    if connection.vendor == "postgresql":
        # SKIP LOCKED lets both workers take batches; on SQLite one writer at a time may do it all.
        print("work split between workers:", Counter(worker for worker, _event in handled).most_common())


@postgres_only
@concurrent_db
def test_two_notification_workers_send_each_mail_once(people, now):
    import time_machine

    with time_machine.travel(now, tick=False), no_outbox_kicks():
        for number in range(20):
            factories.ticket(requester=people.alice if number % 2 else people.bob, subject=f"Req {number}",
                             now=now)
        mail.outbox.clear()
        run_concurrently(lambda index: notifications_process(now=now))

    received = [message for message in mail.outbox if "We received your request" in message.subject]
    assert len(received) == 20
    assert Counter(message.subject for message in received).most_common(1)[0][1] == 1
    assert Notification.objects.count() == 20


def _script(tmp_path, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'otklik.sqlite3'}",
           "OTKLIK_DATA_DIR": str(tmp_path), "PYTHONPATH": str(REPO), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, str(SCRIPT), *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process):
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return out


def test_two_worker_processes_on_one_sqlite_file_handle_each_event_once(tmp_path):
    copy_migrated_sqlite(tmp_path / "otklik.sqlite3")  # the script's own migrate then has nothing to do
    _finish(_script(tmp_path, "setup", "40"))
    workers = [_script(tmp_path, "work", "test.exactly_once", f"w{index}", "2") for index in range(2)]
    handled = [json.loads(_finish(worker).strip().splitlines()[-1]) for worker in workers]
    with sqlite3.connect(tmp_path / "otklik.sqlite3") as database:
        def one(sql):
            return database.execute(sql).fetchone()[0]

        events = one("SELECT COUNT(*) FROM tickets_ticketevent")
        notifications = one("SELECT COUNT(*) FROM notifications_notification")
        distinct = one("SELECT COUNT(DISTINCT recipient_id || ':' || dedupe_key) FROM notifications_notification")
        receipts = one("SELECT COUNT(*) FROM notifications_outboxreceipt WHERE consumer = 'notifications'")

    counts = Counter(event_id for worker in handled for event_id in worker)
    assert len(counts) == events == 40
    assert max(counts.values()) == 1
    assert notifications == distinct == 40  # one "received" per ticket, whichever worker made it
    assert receipts == events
    print("events handled per worker process:", [len(worker) for worker in handled])


def test_cursor_moves_only_over_settled_events_and_late_commits_are_not_lost(people, now):
    with no_outbox_kicks():
        factories.ticket(requester=people.alice, now=now)
        factories.ticket(requester=people.alice, now=now)
    first, second = TicketEvent.objects.order_by("pk")[:2]
    seen = []
    outbox.outbox_run(consumer="test.cursor", handler=lambda event: seen.append(event.pk), now=now)
    assert seen == [first.pk, second.pk]
    # Receipts are fresh: the cursor waits out the grace period before moving.
    assert outbox.cursor_advance("test.cursor") == 0

    import time_machine

    with time_machine.travel(now + outbox.CURSOR_GRACE + timedelta(minutes=1)):
        assert outbox.cursor_advance("test.cursor") == second.pk
    assert not OutboxReceipt.objects.filter(consumer="test.cursor").exists()
    outbox.outbox_run(consumer="test.cursor", handler=lambda event: seen.append(event.pk), now=now)
    assert seen == [first.pk, second.pk]


def test_a_failing_event_is_marked_kept_below_the_cursor_and_retried(people, now):
    with no_outbox_kicks():
        factories.ticket(requester=people.alice, now=now)
        factories.ticket(requester=people.alice, now=now)
    first, second = TicketEvent.objects.order_by("pk")[:2]
    seen: list[int | str] = []

    def fragile(event):
        if event.pk == first.pk and not seen:
            seen.append("boom")
            raise RuntimeError("template server down")
        seen.append(event.pk)

    outbox.outbox_run(consumer="test.retry", handler=fragile, now=now)
    failed = OutboxReceipt.objects.get(consumer="test.retry", event=first)
    assert failed.state == "failed" and "template server down" in failed.error
    assert seen == ["boom", second.pk]

    import time_machine

    with time_machine.travel(now + timedelta(hours=1)):
        assert outbox.cursor_advance("test.retry") < first.pk  # a failure holds the cursor back
    assert outbox.outbox_retry_failed("test.retry") == 1
    outbox.outbox_run(consumer="test.retry", handler=fragile, now=now)
    assert seen == ["boom", second.pk, first.pk]
