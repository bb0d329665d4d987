"""The ticket's read by number answers visibility and `handles` for every persona and ticket of the matrix
exactly as the separate questions do (`access.row_answers`, tests/access/test_access_row_answers.py); and the
page trusts those answers only within one read-only request."""

from __future__ import annotations

import pytest

from otklik.accounts import access
from otklik.core.errors import NotFound
from otklik.tickets.selectors import ticket_read_by_number
from tests.access.world import PERSONAS, TICKETS, World

pytestmark = pytest.mark.django_db


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
