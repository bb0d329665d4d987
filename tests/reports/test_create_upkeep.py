"""A new ticket's report row and its rollups are written together, once (create path, round 8 of issue #16)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Sum

from otklik.reports import rollups
from otklik.reports.models import GroupRollup, HourlyCount, MonthlyRollup, TicketTimes
from otklik.testing import factories
from otklik.testing.personas import Personas


def _totals() -> tuple[int, int, int]:
    return (MonthlyRollup.objects.aggregate(n=Sum("new"))["n"] or 0,
            HourlyCount.objects.filter(fdim="").aggregate(n=Sum("new"))["n"] or 0,
            GroupRollup.objects.filter(fdim="", dim="team").aggregate(n=Sum("count"))["n"] or 0)


def test_a_second_insert_of_the_same_ticket_adds_nothing(people: Personas, now: datetime) -> None:
    """The create path's row INSERT gates its rollups (one statement on PostgreSQL): a ticket whose row a
    nested event already wrote is not counted twice, and the answer says so."""
    before = _totals()
    ticket = factories.ticket(requester=people.alice, now=now)
    counted = _totals()
    assert [after - earlier for after, earlier in zip(counted, before, strict=True)] == [1, 1, 1]

    again = TicketTimes(ticket_id=ticket.pk, calendar_key="")
    rollups.snapshot(again, ticket)

    assert rollups.insert_new(again) is False
    assert _totals() == counted
    assert TicketTimes.objects.filter(ticket_id=ticket.pk).count() == 1


def test_a_first_insert_writes_the_row_and_counts_it(people: Personas, now: datetime) -> None:
    ticket = factories.ticket(requester=people.alice, now=now)
    TicketTimes.objects.filter(ticket_id=ticket.pk).delete()  # as if the create had not written it
    before = _totals()
    times = TicketTimes(ticket_id=ticket.pk, calendar_key="")
    rollups.snapshot(times, ticket)

    assert rollups.insert_new(times) is True
    assert TicketTimes.objects.filter(ticket_id=ticket.pk).count() == 1
    assert [after - earlier for after, earlier in zip(_totals(), before, strict=True)] == [1, 1, 1]
