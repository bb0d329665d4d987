"""`access.ensure_can` decides visibility from the ticket row when the row proves it (the viewer is the ticket's
own active requester, or sees every ticket) and asks the scope's SQL otherwise: for every persona, ticket and
action of the matrix, active and deactivated, its answer is the one the SQL alone gives, and the shortcut is taken
(no query) exactly where the row proves visibility."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core.errors import NotFound, PermissionDenied
from otklik.tickets.models import Ticket
from tests.access.world import PERSONAS, TICKETS, World

pytestmark = pytest.mark.django_db

ACTIONS: tuple[access.Action, ...] = get_args(access.Action)


def _outcome(viewer: User, action: access.Action, ticket: Ticket) -> str:
    try:
        access.ensure_can(viewer, action, ticket)
    except NotFound:
        return "not found"
    except PermissionDenied:
        return "denied"
    return "allowed"


def test_ensure_can_answers_as_the_scopes_sql(bare_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[str] = set()
    shortcut = access._row_proves_visible
    for persona, key, active in itertools.product(PERSONAS, TICKETS, (True, False)):
        viewer = User.objects.get(pk=bare_world.user(persona).pk)
        viewer.is_active = active
        ticket = Ticket.objects.get(pk=bare_world.ticket(key).pk)
        fast = {action: _outcome(viewer, action, ticket) for action in ACTIONS}
        monkeypatch.setattr(access, "_row_proves_visible", lambda viewer, ticket: False)
        slow = {action: _outcome(viewer, action, ticket) for action in ACTIONS}
        monkeypatch.setattr(access, "_row_proves_visible", shortcut)
        assert fast == slow, (persona, key, active)
        assert shortcut(viewer, ticket) == (
            active and (viewer.is_superuser or ticket.requester_id == viewer.pk or viewer.role == "admin"))
        assert not shortcut(viewer, ticket) or access.tickets_visible_to(viewer).filter(pk=ticket.pk).exists()
        seen.update(slow.values())
    # The matrix reaches every answer, so a check that always said one thing would fail above.
    assert seen == {"allowed", "denied", "not found"}


def test_a_requesters_reply_to_their_own_ticket_is_checked_without_a_query(bare_world: World) -> None:
    alice = User.objects.get(pk=bare_world.user("alice").pk)
    ticket = Ticket.objects.get(pk=bare_world.ticket("alice_first").pk)
    assert ticket.requester_id == alice.pk
    with CaptureQueriesContext(connection) as queries:
        access.ensure_can(alice, "reply", ticket)
    assert len(queries) == 0
    alice.is_active = False  # a deactivated requester is asked the SQL, which sees nothing
    with pytest.raises(NotFound):
        access.ensure_can(alice, "reply", ticket)
