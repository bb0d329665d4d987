"""`access.with_handles` answers `handles` in the ticket's own read, for every persona and ticket of the
matrix, exactly as the separate question does; and the page trusts it only within one read-only request."""

from __future__ import annotations

import pytest

from otklik.accounts import access
from otklik.core.errors import NotFound
from otklik.tickets.models import Ticket
from otklik.tickets.selectors import ticket_read_by_number
from tests.access.world import PERSONAS, TICKETS, World

pytestmark = pytest.mark.django_db


def test_the_annotation_is_the_rule_for_every_persona_and_ticket(bare_world: World) -> None:
    for persona in PERSONAS:
        viewer = bare_world.user(persona)
        for key in TICKETS:
            ticket = bare_world.ticket(key)
            expected = access.handles(viewer, ticket)  # outside a request: asked of the database
            row = access.with_handles(viewer, Ticket.objects.filter(pk=ticket.pk)).get()
            # No annotation where `handles` answers without a query (requesters, administrators); SQL's
            # NULL (no assignee, no other part true) is no, as in the WHERE of `tickets_handled_by`.
            assert bool(getattr(row, "viewer_handles", expected)) == expected, (persona, key)


def test_a_read_by_number_remembers_visibility_and_handles_for_the_request(
        bare_world: World, django_assert_num_queries) -> None:
    for persona in PERSONAS:
        viewer = bare_world.user(persona)
        for key in TICKETS:
            ticket = bare_world.ticket(key)
            visible = access.is_visible(viewer, ticket.pk)
            handles = access.handles(viewer, ticket)
            status = ticket.status.code
            with access.remembered_for_request():
                try:
                    found = ticket_read_by_number(viewer, ticket.number)
                except NotFound:
                    assert not visible, (persona, key)
                    continue
                assert visible, (persona, key)
                with django_assert_num_queries(0):
                    assert access.is_visible(viewer, found.pk)
                    assert access.handles(viewer, found) == handles, (persona, key)
                    assert found.status.code == status  # the configuration is attached
