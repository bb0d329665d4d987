from __future__ import annotations

from otklik.testing import factories
from otklik.tickets.models import EventKind, Ticket


def test_ticket_create_numbers_tickets_from_one_and_records_creation(people, now):
    first = factories.ticket(requester=people.alice, now=now)
    second = factories.ticket(requester=people.bob, now=now)

    assert (first.number, second.number) == (1, 2)
    assert first.status.kind == "new"
    assert list(first.events.values_list("kind", flat=True)) == [EventKind.CREATED]
    assert Ticket.objects.get(pk=first.pk).organization == people.org_a
