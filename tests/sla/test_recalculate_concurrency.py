"""The recalculation runs beside live ticket work (SPEC 7.4): a ticket locked by a live event is
skipped with SKIP LOCKED, retried once free, and both changes end up in the clock (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction

from otklik.sla import recalculation
from otklik.sla.models import CalendarException, ReplanKind, ReplanRun
from otklik.testing import factories
from otklik.tickets import changes, services

from .helpers import assert_matches_log, clock
from .test_clock_lifecycle import msk


@pytest.mark.skipif(not settings.DATABASE_IS_POSTGRES, reason="SKIP LOCKED needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_ticket_busy_with_a_live_event_is_recalculated_once_free(sla, people, now):
    tickets = [factories.ticket(requester=people.alice, now=now) for _ in range(3)]  # Monday 12:00
    with time_machine.travel(msk(3, 10), tick=False):  # a plain edit: re-planned at once, keeps Monday's time
        CalendarException.objects.create(holiday_calendar=sla.holidays, name="Closed", kind="rest",
                                         date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))
    assert clock(tickets[0], "resolution").consumed_seconds == 7 * 3600
    run = ReplanRun.objects.create(kind=ReplanKind.RECALCULATE, reason="test", policy_ids=[sla.standard.pk],
                                   requested_at=msk(3, 11), requested_by=people.adam, total=6)
    locked = threading.Event()
    errors: list[BaseException] = []

    def live_agent() -> None:
        try:
            with transaction.atomic():
                services.ticket_lock(tickets[0].pk)
                locked.set()
                time.sleep(0.6)  # the recalculation meets the lock meanwhile
                changes.ticket_change_status(actor=people.fiona, ticket_id=tickets[0].pk,
                                              status=factories.status("paused"), now=msk(3, 10, 45))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    agent = threading.Thread(target=live_agent)
    agent.start()
    assert locked.wait(5)
    done = recalculation.recalculate_run(run_id=run.pk, now=msk(3, 11), batch_size=2)
    agent.join()
    assert errors == []
    assert (done.state, done.processed) == ("done", 6)
    busy = clock(tickets[0], "resolution")
    assert busy.state == "paused"
    assert busy.consumed_seconds == 105 * 60  # Tuesday 09:00-10:45: Monday is a day off now
    # skipped while locked, taken once the live event committed: the replay comes after the pause
    assert list(busy.events.order_by("id").values_list("kind", flat=True))[-2:] == ["pause", "recalculate"]
    assert_matches_log(busy)
    free = clock(tickets[1], "resolution")
    assert free.due_at == msk(3, 17)  # 8 working hours from Tuesday 09:00
    assert_matches_log(free)
