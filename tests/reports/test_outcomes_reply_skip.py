"""A requester's reply rewrites the ticket's SLA outcome rows only when they differ from what the rewrite would
write (`outcomes.clocks_in_sync`, issue #16 round 6): after random sequences of the requester's replies (some
logged late, which can add a stopped next-reply cycle), the staff's replies and status changes, the outcome rows
and the SLA tally after each reply equal a full resync's; and a requester's reply still rewrites rows that
differ."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from otklik.core.errors import DomainError
from otklik.reports import outcomes, tallies
from otklik.reports.models import SlaOutcome
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import changes, services
from otklik.tickets.models import Status, Ticket, TicketEvent
from tests.reports.conftest import Desk, msk

CODES = ["in_progress", "needs_clarification", "resolved"]
ACTION = st.tuples(
    st.sampled_from(["requester_reply", "requester_reply", "late_requester", "staff_reply", *CODES]),
    st.integers(1, 60 * 12),
)


def _outcome_rows(ticket_id: int) -> list[dict[str, Any]]:
    return [dict(row) for row in SlaOutcome.objects.filter(ticket_id=ticket_id).order_by("clock_id").values()]


def _tally() -> list[tuple[Any, ...]]:
    return sorted(tallies.SLA.model._default_manager.values_list())


def _resynced(ticket_id: int) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The rows and tally after a full rewrite (in a savepoint rolled back: the test's state is left alone)."""
    found: tuple[list[dict[str, Any]], list[tuple[Any, ...]]] = ([], [])
    try:
        with transaction.atomic():
            outcomes.sync_clocks([ticket_id])
            found = _outcome_rows(ticket_id), _tally()
            raise _Undo
    except _Undo:
        pass
    return found


class _Undo(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=12))
# A requester's message logged late between a staff answer and the next one: its next-reply cycle is replayed
# and stopped at once, a new stopped clock the reply must add to the outcome rows.
@example(actions=[("staff_reply", 30), ("requester_reply", 30), ("staff_reply", 60), ("staff_reply", 120),
                  ("late_requester", 60)])
def test_outcome_rows_after_each_requester_reply_equal_a_resync(people: Personas, desk: Desk,
                                                                actions: list[tuple[str, int]]) -> None:
    desk.policy.next_reply_minutes = 120
    desk.policy.save()
    statuses = {status.code: status for status in Status.objects.all()}
    moment = msk(2026, 3, 2, 10, 0)
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=moment, actor=people.sam)
    _run(people, ticket, actions, statuses, moment)


def _run(people: Personas, ticket: Ticket, actions: list[tuple[str, int]], statuses: dict[str, Status],
         moment: datetime) -> None:
    staff_replies: list[datetime] = []
    for step, (action, minutes) in enumerate(actions):
        last_event = TicketEvent.objects.filter(ticket=ticket).order_by("-pk").values_list("pk", flat=True)[0]
        moment += timedelta(minutes=minutes)
        try:
            if action == "requester_reply":
                services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="more", now=moment)
            elif action == "late_requester":  # brought in later by the system (an import): between the last two
                before = staff_replies[-2:] if len(staff_replies) >= 2 else [moment - timedelta(minutes=minutes)]
                happened = before[0] + (before[-1] - before[0]) / 2 + timedelta(minutes=1)
                services.ticket_reply(actor=None, ticket_id=ticket.pk, body_text="from the old system",
                                      happened_at=min(happened, moment - timedelta(minutes=1)), now=moment)
            elif action == "staff_reply":
                services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="answer", now=moment)
                staff_replies.append(moment)
            else:
                changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=statuses[action],
                                             now=moment)
        except DomainError:
            continue
        replies = TicketEvent.objects.filter(ticket=ticket, pk__gt=last_event, kind="replied")
        if any(outcomes.is_requester_reply(event) for event in replies):
            assert (_outcome_rows(ticket.pk), _tally()) == _resynced(ticket.pk), (step, action)


@pytest.mark.django_db
def test_a_requester_reply_rewrites_rows_that_differ_and_writes_none_that_do_not(people: Personas,
                                                                                 desk: Desk) -> None:
    moment = msk(2026, 3, 2, 10, 0)
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=moment, actor=people.sam)
    services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="answer", now=moment + timedelta(minutes=20))
    rows = _outcome_rows(ticket.pk)
    assert rows  # the reaction clock stopped at the answer
    table = SlaOutcome._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="thanks",
                              now=moment + timedelta(minutes=30))
    assert not [q for q in queries if table in q["sql"] and "DELETE" in q["sql"]]
    assert _outcome_rows(ticket.pk) == rows
    # Rows that differ from the clocks (here: one lost) are rewritten by the next requester's reply.
    SlaOutcome.objects.filter(ticket_id=ticket.pk).delete()
    assert not outcomes.clocks_in_sync(ticket.pk)
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="and more",
                          now=moment + timedelta(minutes=40))
    assert _outcome_rows(ticket.pk) == rows
    assert outcomes.clocks_in_sync(ticket.pk)
