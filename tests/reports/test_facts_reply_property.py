"""A requester's reply keeps the ticket's report row without recomputing it when nothing in it can change
(`facts._durations_hold`, issue #16 round 5): after random sequences of replies (the requester's, the staff's,
a call logged late), status changes, key changes, ratings and edits of the desk's calendar and of a status's
pausing, the row after each reply or status change equals a recomputation from the ticket and its history
(every stored field: durations, rollup key and months, report dimensions, latest score)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from otklik.core.errors import DomainError
from otklik.reports import facts
from otklik.reports.models import TicketTimes
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import changes, services
from otklik.tickets.models import Priority, Status, Ticket, TicketEvent
from tests.reports.conftest import OFFICE_WEEK, Desk, msk

CODES = ["open", "in_progress", "needs_clarification", "paused", "resolved", "closed"]
ACTION = st.tuples(
    st.sampled_from(["requester_reply", "requester_reply", "staff_reply", "late_call", "priority", "rate",
                     "edit_calendar", "edit_pausing", *CODES]),
    st.integers(1, 60 * 40),
)


def _recomputed(ticket_id: int) -> dict[str, object]:
    [row] = facts._computed([ticket_id], facts.status_maps(), facts.desk_calendar())
    return {name: getattr(row, name) for name in facts.FIELDS}


def _kept(ticket_id: int) -> dict[str, object]:
    row = TicketTimes.objects.get(ticket_id=ticket_id)
    return {name: getattr(row, name) for name in facts.FIELDS}


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=14))
# An answered ticket whose calendar changed before the requester's reply (the row was measured on the old one),
# and one whose requester answers while a paused status's pausing was edited.
@example(actions=[("staff_reply", 30), ("edit_calendar", 10), ("requester_reply", 10)])
@example(actions=[("needs_clarification", 30), ("edit_pausing", 10), ("requester_reply", 10), ("resolved", 5)])
def test_row_after_each_reply_equals_recomputation(people: Personas, desk: Desk,
                                                   actions: list[tuple[str, int]]) -> None:
    statuses = {status.code: status for status in Status.objects.all()}
    priorities = list(Priority.objects.all())
    moment = msk(2026, 3, 2, 10, 0)
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=moment, actor=people.sam)
    pausing = Status.objects.get(code="needs_clarification").pauses_sla
    try:
        _run(people, desk, ticket, actions, statuses, priorities, moment)
    finally:  # hypothesis runs its examples in one test transaction: the edits must not reach the next one
        desk.schedule.week = OFFICE_WEEK
        desk.schedule.save()
        restored = Status.objects.get(code="needs_clarification")
        restored.pauses_sla = pausing
        restored.save()


def _run(people: Personas, desk: Desk, ticket: Ticket, actions: list[tuple[str, int]],
         statuses: dict[str, Status], priorities: list[Priority], moment: datetime) -> None:
    shorter = False
    for step, (action, minutes) in enumerate(actions):
        last_event = TicketEvent.objects.filter(ticket=ticket).order_by("-pk").values_list("pk", flat=True)[0]
        moment += timedelta(minutes=minutes)
        try:
            if action == "requester_reply":
                services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="more", now=moment)
            elif action == "staff_reply":
                services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="answer", now=moment)
            elif action == "late_call":  # a call logged late: it may come before the first response
                services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="called", now=moment,
                                      happened_at=moment - timedelta(minutes=minutes // 2 + 1))
            elif action == "priority":
                changes.ticket_change_priority(actor=people.sam, ticket_id=ticket.pk,
                                               priority=priorities[step % len(priorities)], now=moment)
            elif action == "rate":
                changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=1 + step % 5, now=moment)
            elif action == "edit_calendar":  # the desk calendar's content changes (a new key)
                shorter = not shorter
                hours = [["10:00", "17:00"]] if shorter else [["09:00", "18:00"]]
                desk.schedule.week = {**OFFICE_WEEK, **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), hours)}
                desk.schedule.save()
            elif action == "edit_pausing":  # a status's pausing is edited
                paused = Status.objects.get(code="needs_clarification")
                paused.pauses_sla = not paused.pauses_sla
                paused.save()
            else:
                changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=statuses[action],
                                             now=moment)
        except DomainError:
            continue
        # A reply or status change that recorded a fact event (setting the status a ticket has records none):
        # the receiver refreshed the row for it, so it must equal a recomputation, config edits included.
        if TicketEvent.objects.filter(ticket=ticket, pk__gt=last_event, kind__in=facts.FACT_EVENTS).exists():
            assert _kept(ticket.pk) == _recomputed(ticket.pk), (step, action)

