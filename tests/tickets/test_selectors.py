from __future__ import annotations

import pytest

from otklik.core.errors import NotFound
from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import changes, selectors, services
from otklik.tickets.selectors import TicketFilters
from otklik.web.queues import queue_counts

pytestmark = pytest.mark.django_db


def _make(people, now, count: int) -> None:
    for index in range(count):
        ticket = factories.ticket(requester=people.alice if index % 2 else people.bob, now=now,
                                  subject=f"Printer {index}")
        changes.ticket_assign(actor=people.fiona, ticket_id=ticket.pk, assignee=people.fiona, now=now)


@pytest.mark.parametrize("viewer_name", ["fiona", "alice", "mia", "adam"])
def test_ticket_list_costs_the_same_queries_for_2_and_20_rows(people, now, viewer_name):
    viewer = getattr(people, viewer_name)

    def render_rows() -> None:
        for ticket in selectors.ticket_list(viewer):
            _ = (ticket.status.label, ticket.priority.color, ticket.assignee, ticket.team, ticket.requester,
                 ticket.organization, ticket.category, ticket.request_type)

    _make(people, now, 2)
    small = count_queries(render_rows)
    _make(people, now, 18)
    large = count_queries(render_rows)
    assert small == large
    assert small <= 3


def test_timeline_queries_do_not_grow_with_messages(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)

    def render() -> None:
        for message in selectors.ticket_messages(people.fiona, ticket):
            _ = (message.author, list(message.attachments.all()))
        for event in selectors.ticket_events(people.fiona, ticket):
            _ = event.actor

    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="a", now=now)
    small = count_queries(render)
    for index in range(10):
        services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text=f"b{index}", now=now)
    assert count_queries(render) == small


def test_filters_and_visibility(people, now):
    _make(people, now, 4)
    factories.ticket(requester=people.carol, now=now, subject="Carol's VPN")
    fiona_sees = selectors.ticket_list(people.fiona, TicketFilters(text="vpn"))
    assert [t.subject for t in fiona_sees] == ["Carol's VPN"]
    assert selectors.ticket_list(people.alice, TicketFilters(text="vpn")).count() == 0
    assert selectors.ticket_list(people.fiona, TicketFilters(assignee_ids=(people.fiona.pk,))).count() == 4
    assert selectors.ticket_list(people.fiona, TicketFilters(unassigned=True)).count() == 1
    counts = queue_counts(people.fiona)
    assert counts["mine"] == 4 and counts["unassigned"] == 1 and counts["all"] == 5


def test_absent_and_forbidden_are_the_same_not_found(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    with pytest.raises(NotFound):
        selectors.ticket_get_for(people.carol, ticket.pk)
    with pytest.raises(NotFound):
        selectors.ticket_get_for(people.carol, ticket.pk + 1000)
    assert selectors.ticket_get_by_number_for(people.alice, ticket.number).pk == ticket.pk


def test_requesters_never_get_internal_notes(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="secret", now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="public", now=now)
    alice_sees = [m.body_text for m in selectors.ticket_messages(people.alice, ticket)]
    assert "secret" not in alice_sees and "public" in alice_sees
    assert "secret" in [m.body_text for m in selectors.ticket_messages(people.fiona, ticket)]
