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
