from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from otklik.core.wakeups import STALE, once_after_commit, wake, woken

pytestmark = pytest.mark.django_db


def test_a_burst_of_events_wakes_the_dispatcher_once_until_it_starts():
    queued: list[str] = []
    assert [wake("dispatcher", lambda: queued.append("job")) for _event in range(100)].count(True) == 1
    assert queued == ["job"]
    woken("dispatcher")  # the job starts: what commits from now on needs a new one
    assert wake("dispatcher", lambda: queued.append("job"))
    assert queued == ["job", "job"]
    assert wake("other", lambda: queued.append("other"))  # names are independent


def test_a_wake_up_left_pending_by_a_dead_worker_is_sent_again():
    queued: list[str] = []
    wake("dispatcher", lambda: queued.append("job"))
    assert not wake("dispatcher", lambda: queued.append("job"))
    with time_machine.travel(timezone.now() + STALE + timedelta(seconds=1)):
        assert wake("dispatcher", lambda: queued.append("job"))
    assert queued == ["job", "job"]


def test_a_failed_enqueue_leaves_nothing_pending():
    def broken() -> None:
        raise ConnectionError("queue down")

    with pytest.raises(ConnectionError):
        wake("dispatcher", broken)
    queued: list[str] = []
    assert wake("dispatcher", lambda: queued.append("job"))
    assert queued == ["job"]


def test_each_wake_is_one_statement_whether_or_not_it_enqueues(django_assert_num_queries):
    queued: list[str] = []
    with django_assert_num_queries(1):
        assert wake("dispatcher", lambda: queued.append("job"))  # the row is created
    with django_assert_num_queries(1):
        assert not wake("dispatcher", lambda: queued.append("job"))  # already pending
    woken("dispatcher")
    with django_assert_num_queries(1):
        assert wake("dispatcher", lambda: queued.append("job"))  # idle row claimed again
    assert queued == ["job", "job"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_once_after_commit_runs_once_per_commit_however_many_ask():
    ran: list[str] = []
    with transaction.atomic():
        for _event in range(50):
            once_after_commit("dispatcher", lambda: ran.append("dispatcher"))
        once_after_commit("other", lambda: ran.append("other"))
        assert ran == []  # nothing before the commit
    assert sorted(ran) == ["dispatcher", "other"]
    with transaction.atomic():  # the next transaction asks again and gets its own run
        once_after_commit("dispatcher", lambda: ran.append("dispatcher"))
    assert sorted(ran) == ["dispatcher", "dispatcher", "other"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_once_after_commit_keeps_the_savepoint_rules():
    ran: list[str] = []
    with transaction.atomic():
        try:
            with transaction.atomic():
                once_after_commit("dispatcher", lambda: ran.append("first"))
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        once_after_commit("dispatcher", lambda: ran.append("second"))  # still runs: this registration survives
    assert ran == ["second"]  # once, by the registration that survived
    with transaction.atomic():
        once_after_commit("dispatcher", lambda: ran.append("kept"))
        try:
            with transaction.atomic():
                once_after_commit("dispatcher", lambda: ran.append("kept"))
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert ran == ["second", "kept"]
    try:
        with transaction.atomic():
            once_after_commit("dispatcher", lambda: ran.append("never"))
            raise RuntimeError("the whole transaction rolled back")
    except RuntimeError:
        pass
    assert ran == ["second", "kept"]
    with transaction.atomic():  # what a rolled-back transaction asked for does not leak into the next one
        once_after_commit("dispatcher", lambda: ran.append("next"))
    assert ran == ["second", "kept", "next"]


def test_wake_ups_asked_for_in_one_transaction_are_marked_together_after_commit(
    django_capture_on_commit_callbacks,
):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from otklik.core.wakeups import wake_on_commit

    connection._otklik_wake_batch = None  # type: ignore[attr-defined]  # nothing left from earlier tests
    queued: list[str] = []

    def job(name: str) -> Callable[[], None]:
        return lambda: queued.append(name)

    with (CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True),
          transaction.atomic()):
        for name in ("first", "second", "first"):
            wake_on_commit(name, job(name))
        assert queued == []  # nothing before the commit
    assert queued == ["first", "second"]
    assert len([q for q in captured.captured_queries if "core_wakeup" in q["sql"]]) == 1
    assert not wake("first", lambda: queued.append("again"))  # both are pending now


def test_a_rolled_back_transaction_wakes_nobody_and_the_next_one_still_does(django_capture_on_commit_callbacks):
    from django.db import transaction

    from otklik.core.wakeups import wake_on_commit

    queued: list[str] = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                wake_on_commit("dispatcher", lambda: queued.append("rolled back"))
                raise RuntimeError
        except RuntimeError:
            pass
        wake_on_commit("dispatcher", lambda: queued.append("job"))
    assert queued == ["job"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_wake_up_already_pending_writes_nothing():
    """In a burst every dispatcher is already pending: the claim then writes nothing, so its transaction gets
    no id and its commit waits for no disk flush (a no-op upsert would lock the row it finds)."""
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids are PostgreSQL's")
    queued: list[str] = []
    assert wake("dispatcher", lambda: queued.append("job"))  # committed: pending from now on
    with transaction.atomic():
        assert not wake("dispatcher", lambda: queued.append("job"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id_if_assigned()")
            assert cursor.fetchone()[0] is None
    woken("dispatcher")
    with transaction.atomic():
        assert wake("dispatcher", lambda: queued.append("job"))  # idle again: claimed, a write
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id_if_assigned()")
            assert cursor.fetchone()[0] is not None
    assert queued == ["job", "job"]
