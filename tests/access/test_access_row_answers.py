"""`access.row_answers` decides visibility and `handles` on a ticket row already read (the ticket page's read by
number), and `access.keys_answers` on tickets known by key (a search's hits), exactly as the SQL of
`tickets_visible_to` and `tickets_handled_by` does: for every persona and ticket of the matrix, with and without
the viewer watching it, assigned to it, and deactivated."""

from __future__ import annotations

import itertools

import pytest

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.tickets.models import Ticket
from tests.access.world import PERSONAS, TICKETS, World

pytestmark = pytest.mark.django_db


def _sql_answers(viewer: User, ticket: Ticket) -> tuple[bool, bool]:
    return (access.tickets_visible_to(viewer).filter(pk=ticket.pk).exists(),
            access.tickets_handled_by(viewer).filter(pk=ticket.pk).exists())


def _watches(viewer: User, ticket: Ticket) -> bool:
    return ticket.watchers.filter(pk=viewer.pk).exists()


def test_the_row_and_key_answers_are_the_scopes_for_every_persona_ticket_and_relation(bare_world: World) -> None:
    seen = set()
    for persona, key, watch, assign in itertools.product(PERSONAS, TICKETS, (False, True), (False, True)):
        viewer = User.objects.get(pk=bare_world.user(persona).pk)
        ticket = Ticket.objects.get(pk=bare_world.ticket(key).pk)
        kept_watchers, kept_assignee = list(ticket.watchers.all()), ticket.assignee_id
        if watch:
            ticket.watchers.add(viewer)
        if assign:
            Ticket.objects.filter(pk=ticket.pk).update(assignee=viewer)
            ticket.refresh_from_db()
        expected = _sql_answers(viewer, ticket)
        assert access.row_answers(viewer, ticket, watched=_watches(viewer, ticket)) == expected, (
            persona, key, watch, assign)
        seen.add(expected)
        viewer.is_active = False  # a deactivated person sees nothing, whatever their relation
        assert access.row_answers(viewer, ticket, watched=_watches(viewer, ticket)) == (False, False)
        assert _sql_answers(viewer, ticket) == (False, False)
        ticket.watchers.set(kept_watchers)
        Ticket.objects.filter(pk=ticket.pk).update(assignee_id=kept_assignee)
    # The matrix reaches every kind of answer, so a rule that always said one thing would fail above.
    assert seen == {(False, False), (True, False), (True, True)}
    # The same world (its set-up is most of this test's time) for the answers by key.
    _assert_answers_by_key_are_the_scopes(bare_world)


def _assert_answers_by_key_are_the_scopes(bare_world: World) -> None:
    """`keys_answers` (a search's hits) reads the tickets' columns and asks about watching only where it changes
    the answer: the same answers as the SQL for every persona over every ticket at once, watched or assigned."""
    tickets = [Ticket.objects.get(pk=bare_world.ticket(key).pk) for key in TICKETS]
    ids = [ticket.pk for ticket in tickets]
    missing = max(ids) + 1000
    seen: set[tuple[bool, bool]] = set()
    for persona, relation in itertools.product(PERSONAS, ("none", "watch", "assign")):
        viewer = User.objects.get(pk=bare_world.user(persona).pk)
        changed = tickets[len(tickets) // 2]
        kept_watchers, kept_assignee = list(changed.watchers.all()), changed.assignee_id
        if relation == "watch":
            changed.watchers.add(viewer)
        elif relation == "assign":
            Ticket.objects.filter(pk=changed.pk).update(assignee=viewer)
        answers = access.keys_answers(viewer, [*ids, missing])
        visible = set(access.tickets_visible_to(viewer).filter(pk__in=ids).values_list("pk", flat=True))
        handled = set(access.tickets_handled_by(viewer).filter(pk__in=ids).values_list("pk", flat=True))
        expected = {pk: (pk in visible, pk in handled) for pk in ids}
        assert {pk: answers.get(pk, (False, False)) for pk in ids} == expected, (persona, relation)
        assert missing not in answers
        seen.update(expected.values())
        viewer.is_active = False
        assert not any(visible for visible, _handled in access.keys_answers(viewer, ids).values())
        changed.watchers.set(kept_watchers)
        Ticket.objects.filter(pk=changed.pk).update(assignee_id=kept_assignee)
    assert seen == {(False, False), (True, False), (True, True)}
