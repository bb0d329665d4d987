"""Rollups equal a recomputation: after random sequences of replies and status changes made through the
services, each ticket's kept durations equal (a) a rebuild from its history and (b) an independent oracle
that replays the sequence with the definitions of docs/reports.md."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otklik.core.errors import DomainError
from otklik.reports.facts import desk_calendar, rebuild
from otklik.reports.models import TicketTimes
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import changes, services
from otklik.tickets.models import DONE_KINDS, Status
from tests.reports.conftest import Desk, msk

CODES = ["open", "in_progress", "needs_clarification", "paused", "resolved", "closed"]
ACTION = st.tuples(st.sampled_from(["staff_reply", "requester_reply", *CODES]), st.integers(1, 60 * 40))


def _oracle(created: datetime, timeline: list[tuple[datetime, str]], resolved_at: datetime,
            statuses: dict[str, Status]) -> tuple[int, int]:
    """Counting spans: from each status change to the next, while the status neither pauses nor is done."""
    calendar = desk_calendar().calendar
    assert calendar is not None
    total = working = 0
    points = [(created, "new"), *timeline]
    for (start, code), (end, _next) in zip(points, [*points[1:], (resolved_at, "")], strict=True):
        end = min(end, resolved_at)
        status = statuses[code]
        if end > start and not status.pauses_sla and status.kind not in DONE_KINDS:
            total += int((end - start).total_seconds())
            working += calendar.business_seconds_between(start, end)
    return total, working


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=12))
def test_kept_durations_equal_recomputation(people: Personas, desk: Desk,
                                            actions: list[tuple[str, int]]) -> None:
    statuses = {status.code: status for status in Status.objects.all()}
    moment = msk(2026, 3, 2, 10, 0)
    ticket = factories.ticket(requester=people.alice, team=people.second_line, now=moment, actor=people.sam)
    timeline: list[tuple[datetime, str]] = []
    for action, minutes in actions:
        moment += timedelta(minutes=minutes)
        try:
            if action == "staff_reply":
                services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="answer", now=moment)
            elif action == "requester_reply":
                services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="more", now=moment)
            else:
                changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=statuses[action],
                                              now=moment)
        except DomainError:
            continue
        ticket.refresh_from_db()
        if not timeline or timeline[-1][1] != ticket.status.code:
            timeline.append((moment, ticket.status.code))
    ticket.refresh_from_db()
    live = TicketTimes.objects.get(ticket=ticket)
    if ticket.resolved_at is None:
        assert live.resolution_seconds is None
    else:
        assert (live.resolution_seconds, live.resolution_working_seconds) == _oracle(
            ticket.created_at, timeline, ticket.resolved_at, statuses)
    if ticket.first_response_at is not None:
        assert live.first_response_seconds == int((ticket.first_response_at - ticket.created_at).total_seconds())
    kept = {row.pk: (row.first_response_seconds, row.first_response_working_seconds, row.resolution_seconds,
                     row.resolution_working_seconds, row.reopen_count, row.staff_replies)
            for row in TicketTimes.objects.all()}
    rebuild()
    assert kept == {row.pk: (row.first_response_seconds, row.first_response_working_seconds,
                             row.resolution_seconds, row.resolution_working_seconds, row.reopen_count,
                             row.staff_replies) for row in TicketTimes.objects.all()}
