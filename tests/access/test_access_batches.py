"""The many-ticket selectors (`*_in`) answer exactly what the per-ticket ones answer, for every persona
and every ticket of the access world: one rule, two shapes."""

from __future__ import annotations

import pytest

from otklik.accounts import access
from tests.access.world import PERSONAS, World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", PERSONAS)
def test_batches_agree_with_single_ticket_answers(world: World, persona: str) -> None:
    viewer = world.user(persona)
    tickets = [world.ticket(key) for key in sorted(world.tickets)]
    ids = [ticket.pk for ticket in tickets]
    assert access.handled_ticket_ids(viewer, ids) == {t.pk for t in tickets if access.handles(viewer, t)}
    single_messages = {m.pk for t in tickets for m in access.messages_visible_to(viewer, t)}
    assert set(access.messages_visible_in(viewer, ids).values_list("pk", flat=True)) == single_messages
    single_files = {a.pk for t in tickets for a in access.attachments_visible_to(viewer, t)}
    assert set(access.attachments_visible_in(viewer, ids).values_list("pk", flat=True)) == single_files
    fields = access.visible_fields_in(viewer, tickets)
    assert fields == {t.pk: access.visible_fields(viewer, t) for t in tickets}


def test_visible_pairs_agree_with_is_visible_for_every_persona_and_ticket(world: World) -> None:
    # Notifications ask for a whole batch of (recipient, ticket) pairs at once; the answer must be the
    # per-ticket `is_visible`, including for the requester's own tickets answered without a query, and for
    # a person who is no longer active.
    people = [world.user(persona) for persona in PERSONAS]
    tickets = [world.ticket(key) for key in sorted(world.tickets)]
    gone = people[0]
    gone.is_active = False
    pairs = [(viewer, ticket) for viewer in [*people[1:], gone] for ticket in tickets]
    expected = {(viewer.pk, ticket.pk) for viewer, ticket in pairs if access.is_visible(viewer, ticket.pk)}
    assert access.visible_pairs(pairs) == expected
    assert any(ticket.requester_id == viewer.pk for viewer, ticket in pairs if viewer.is_active)
    assert not any(viewer_id == gone.pk for viewer_id, _ticket_id in expected)
