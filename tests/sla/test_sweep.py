"""Breach and warning sweep (SPEC 8, 9): stamps and announces each once per clock, kind and due
instant, also with two workers sweeping at the same time (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.sla import services as sla_services
from otklik.sla import sweep
from otklik.sla.models import SlaClock, SlaNotice
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import EventKind, Ticket, TicketEvent

from .helpers import assert_matches_log, clock
from .test_clock_lifecycle import msk


def sla_events(ticket: Ticket, kind: str) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("id"))


@pytest.mark.django_db
def test_warning_then_breach_each_announced_once(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now, team=people.second_line)
    changes.ticket_assign(actor=people.sam, ticket_id=ticket.pk, assignee=people.sam, now=now)
    assert sweep.sla_sweep(now=msk(2, 12, 29)).warned == 0
    first = sweep.sla_sweep(now=msk(2, 12, 30))
    assert (first.warned, first.breached) == (1, 0)  # the reaction clock warns 30 minutes before 13:00
    assert sweep.sla_sweep(now=msk(2, 12, 45)).warned == 0
    [warning] = sla_events(ticket, EventKind.SLA_WARNING)
    assert warning.actor_id is None
    assert warning.data["metric"] == "reaction"
    assert warning.data["due_at"] == msk(2, 13).isoformat()
    assert warning.data["assignee_id"] == people.sam.pk

    assert sweep.sla_sweep(now=msk(2, 13)).breached == 0  # due at 13:00 is not late at 13:00
    assert sweep.sla_sweep(now=msk(2, 13, 0) + timedelta(seconds=1)).breached == 1
    assert sweep.sla_sweep(now=msk(2, 13, 5)).breached == 0
    [breach] = sla_events(ticket, EventKind.SLA_BREACHED)
    assert breach.data["responsible_user_id"] == people.mia.pk
    assert breach.data["team_lead_id"] == people.sam.pk
    reaction = clock(ticket, "reaction")
    assert reaction.breached_at == msk(2, 13)
    notices = SlaNotice.objects.filter(clock=reaction).order_by("kind")
    assert [(n.kind, n.due_at) for n in notices] == [("breach", msk(2, 13)), ("warning", msk(2, 13))]
    assert_matches_log(reaction)


@pytest.mark.django_db
def test_a_later_deadline_may_warn_again_but_never_breach_twice(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    sweep.sla_sweep(now=msk(2, 12, 31))
    # a pause after the warning keeps the (spent) warning instant: no second warning
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                  now=msk(2, 12, 40))
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("open"),
                                  now=msk(3, 9))
    reaction = clock(ticket, "reaction")
    assert reaction.due_at == msk(3, 9, 20) and reaction.warned_at == msk(2, 12, 31)
    assert sweep.sla_sweep(now=msk(3, 9, 1)).warned == 0
    # a due time moved later by hand moves the warning: it may be sent again
    sla_services.clock_override_due(actor=people.fiona, ticket_id=ticket.pk, metric="reaction",
                                    due_at=msk(3, 12), reason="customer agreed", now=msk(3, 9, 5))
    assert clock(ticket, "reaction").warned_at is None
    assert sweep.sla_sweep(now=msk(3, 11, 30)).warned == 1
    assert len(sla_events(ticket, EventKind.SLA_WARNING)) == 2
    assert sweep.sla_sweep(now=msk(3, 12, 1)).breached == 1
    sla_services.clock_override_due(actor=people.fiona, ticket_id=ticket.pk, metric="reaction",
                                    due_at=msk(3, 15), reason="again", now=msk(3, 12, 2))
    assert sweep.sla_sweep(now=msk(3, 16)).breached == 0  # breached once, stays breached
    assert clock(ticket, "reaction").breached_at == msk(3, 12)
    assert_matches_log(clock(ticket, "reaction"))


@pytest.mark.django_db
def test_after_downtime_a_late_clock_breaches_without_a_stale_warning(sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    result = sweep.sla_sweep(now=msk(4, 10))
    assert result.breached == 2  # reaction and resolution both ran out while nobody swept
    assert result.warned == 0 and result.suppressed == 2
    assert len(sla_events(ticket, EventKind.SLA_BREACHED)) == 2
    assert sla_events(ticket, EventKind.SLA_WARNING) == []


@pytest.mark.django_db
def test_breached_unassigned_ticket_goes_to_the_responsible_person_when_the_policy_says_so(sla, people, now):
    sla.standard.responsible_user = people.fiona
    sla.standard.assign_on_breach = True
    sla.standard.save()
    ticket = factories.ticket(requester=people.alice, now=now)
    sweep.sla_sweep(now=msk(2, 14))
    ticket.refresh_from_db()
    assert ticket.assignee_id == people.fiona.pk
    assigned = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED)
    assert assigned.actor_id is None


@pytest.mark.django_db
def test_paused_and_stopped_clocks_are_not_swept(sla, people, now):
    paused = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=paused.pk, status=factories.status("paused"),
                                  now=msk(2, 12, 10))
    answered = factories.ticket(requester=people.alice, now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=answered.pk, body_text="hi", now=msk(2, 12, 10))
    result = sweep.sla_sweep(now=msk(2, 14))
    assert result.breached == 0 + 0  # paused ones have budget left; the answered reaction is stopped
    assert not SlaNotice.objects.filter(clock__ticket=paused).exists()
    assert not SlaNotice.objects.filter(clock__ticket=answered, clock__metric="reaction").exists()


@pytest.mark.skipif(not settings.DATABASE_IS_POSTGRES, reason="SKIP LOCKED needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sweeping_at_once_announce_each_breach_once(sla, people, now):
    tickets = [factories.ticket(requester=people.alice, now=now + timedelta(seconds=i)) for i in range(60)]
    barrier = threading.Barrier(2)
    results: list[sweep.SweepResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(sweep.sla_sweep(now=msk(4, 12), batch_size=7))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.breached for r in results) == 120  # 60 tickets x 2 clocks, split between the workers
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACHED).count() == 2
    assert SlaNotice.objects.filter(kind="breach").count() == 120
    assert not SlaClock.objects.filter(state="running", breached_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_sweep_of_many_breaches_wakes_each_dispatcher_with_one_statement(
    django_capture_on_commit_callbacks, sla, people, now
):
    tickets = [factories.ticket(requester=people.alice, now=now, team=people.second_line) for _ in range(6)]
    # the callbacks run as the capture ends, inside the query capture
    with CaptureQueriesContext(connection) as seen, django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sweep.sla_sweep(now=now + timedelta(days=30))
    assert result.breached == 2 * len(tickets)  # reaction and resolution of each
    wake_ups = [query["sql"] for query in seen.captured_queries if 'INSERT INTO "core_wakeup"' in query["sql"]]
    assert len(wake_ups) == 1, wake_ups  # notifications and triggers together, once for 12 events
    assert len(callbacks) >= 2 * result.breached  # every event still registered its kick
