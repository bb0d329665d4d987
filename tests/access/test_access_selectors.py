"""Channel: the read side (selectors and access helpers) that every page, API list, search, export,
report and bot answer is built on."""

from __future__ import annotations

import pytest

from otklik.accounts import access
from otklik.core.errors import NotFound
from otklik.tickets import selectors
from otklik.tickets.models import Ticket
from otklik.web.queues import queue_counts
from tests.access.world import (
    HANDLED,
    PERSONAS,
    TICKETS,
    VISIBLE,
    World,
    internal_field_marker,
    internal_marker,
    public_field_marker,
    public_marker,
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_show_exactly_the_visible_tickets(world: World, persona: str) -> None:
    viewer = world.user(persona)
    listed = {t.pk for t in selectors.ticket_list(viewer)}
    wanted = {world.tickets[key].pk for key in VISIBLE[persona]}
    assert listed == wanted
    assert queue_counts(viewer)["all"] == len(wanted)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", TICKETS)
def test_one_ticket_by_id_and_by_number(world: World, persona: str, key: str) -> None:
    viewer = world.user(persona)
    ticket = world.tickets[key]
    if key in VISIBLE[persona]:
        assert selectors.ticket_get_for(viewer, ticket.pk).pk == ticket.pk
        assert selectors.ticket_get_by_number_for(viewer, ticket.number).pk == ticket.pk
    else:
        with pytest.raises(NotFound):
            selectors.ticket_get_for(viewer, ticket.pk)
        with pytest.raises(NotFound):
            selectors.ticket_get_by_number_for(viewer, ticket.number)


@pytest.mark.parametrize("persona", PERSONAS)
def test_absent_and_forbidden_raise_the_same(world: World, persona: str) -> None:
    viewer = world.user(persona)
    missing = Ticket.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    errors = []
    for ticket_id in (missing, *[world.tickets[k].pk for k in TICKETS if k not in VISIBLE[persona]]):
        with pytest.raises(NotFound) as caught:
            selectors.ticket_get_for(viewer, ticket_id)
        errors.append((type(caught.value), caught.value.code, caught.value.message))
    assert len(set(errors)) == 1


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", TICKETS)
def test_conversation_fields_and_files(world: World, persona: str, key: str) -> None:
    viewer = world.user(persona)
    ticket = world.tickets[key]
    bodies = {m.body_text for m in selectors.ticket_messages(viewer, ticket)}
    fields = access.visible_fields(viewer, ticket)
    files = set(access.attachments_visible_to(viewer, ticket).values_list("pk", flat=True))
    sees, handles = key in VISIBLE[persona], key in HANDLED[persona]
    # Messages are filtered even when a caller passes a ticket the viewer may not see.
    assert (public_marker(key) in bodies) is sees
    assert (internal_marker(key) in bodies) is handles
    assert (fields.get("asset") == public_field_marker(key)) is sees
    assert (fields.get("cost_centre") == internal_field_marker(key)) is handles
    assert (world.public_files[key].pk in files) is sees
    assert (world.internal_files[key].pk in files) is handles
    assert access.can_see_internal_on(viewer, ticket) is handles


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", TICKETS)
def test_history_shows_staff_everything_and_requesters_the_outline(world: World, persona: str, key: str) -> None:
    viewer = world.user(persona)
    kinds = {event.kind for event in selectors.ticket_events(viewer, world.tickets[key])}
    if key in HANDLED[persona]:
        assert {"note_added", "fields_changed"} <= kinds
    elif key in VISIBLE[persona] and not access.can_see_internal(viewer):
        assert kinds <= {"created", "status_changed"}
        assert "note_added" not in kinds


@pytest.mark.parametrize("persona", PERSONAS)
def test_attachment_lookup_by_token(world: World, persona: str) -> None:
    viewer = world.user(persona)
    for key in TICKETS:
        for attachment, allowed in (
            (world.public_files[key], key in VISIBLE[persona]),
            (world.internal_files[key], key in HANDLED[persona]),
        ):
            if allowed:
                assert access.attachment_get_for(viewer, attachment.token).pk == attachment.pk
            else:
                with pytest.raises(NotFound):
                    access.attachment_get_for(viewer, attachment.token)
    with pytest.raises(NotFound):
        access.attachment_get_for(viewer, "no-such-token")


def test_requesters_see_people_by_name_never_by_address(world: World) -> None:
    alice, fiona = world.user("alice"), world.user("fiona")
    nameless = type(fiona).objects.create_user(email="nameless@otklik.test", role="agent", password="x-password-1")
    assert access.person_label(alice, fiona) == "Fiona"
    assert "@" not in access.person_label(alice, nameless)
    assert access.person_label(fiona, nameless) == "nameless@otklik.test"
    assert access.person_label(alice, alice) == "Alice"


def test_organization_sharing_is_a_per_organization_switch(world: World) -> None:
    alice = world.user("alice")
    assert access.is_visible(alice, world.tickets["bob_second"].pk)
    world.people.org_a.shares_tickets = False
    world.people.org_a.save()
    alice = world.user("alice")
    assert not access.is_visible(alice, world.tickets["bob_second"].pk)
    assert access.is_visible(alice, world.tickets["alice_first"].pk)


def test_anonymous_and_inactive_see_nothing(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not access.tickets_visible_to(None).exists()
    assert not access.tickets_visible_to(AnonymousUser()).exists()  # type: ignore[arg-type]
    alice = world.user("alice")
    alice.is_active = False
    alice.save()
    assert not access.tickets_visible_to(alice).exists()
    assert not access.messages_visible_to(alice, world.tickets["alice_first"]).exists()


def test_requesters_may_not_fill_internal_only_fields(world: World) -> None:
    from otklik.core.errors import PermissionDenied

    request_type_id = world.request_type.pk
    access.ensure_may_set_fields(world.user("alice"), request_type_id, ["asset"])
    access.ensure_may_set_fields(world.user("fiona"), request_type_id, ["asset", "cost_centre"])
    with pytest.raises(PermissionDenied):
        access.ensure_may_set_fields(world.user("alice"), request_type_id, ["asset", "cost_centre"])


def test_a_requester_cannot_set_an_internal_field_through_the_services(world: World) -> None:
    from django.utils import timezone

    from otklik.core.errors import DomainError
    from otklik.tickets import services

    alice = world.user("alice")
    with pytest.raises(DomainError):
        services.ticket_create(actor=alice, requester=alice, subject="sneaky", request_type=world.request_type,
                               fields={"asset": "x", "cost_centre": "approved"}, now=timezone.now())


# Which personas' scopes are personal parts only (a requester whose organization does not share tickets,
# the only-assigned agent) and which include whole teams, the unrouted queue or a shared organization.
PERSONAL_SCOPES = ("carol", "otto")
WIDE_SCOPES = ("alice", "bob", "fiona", "sam", "mia", "rita", "gina")


@pytest.mark.parametrize("persona", PERSONAL_SCOPES)
def test_a_personal_scope_is_a_union_of_index_lookups(world: World, persona: str) -> None:
    # "requester = me OR assignee = me OR watched by me" makes PostgreSQL read every ticket; each part
    # alone is one index lookup. The visible set itself is proven by the tests above.
    sql = str(access.tickets_visible_to(world.user(persona)).query)
    assert "UNION ALL" in sql
    assert " OR " not in sql


@pytest.mark.parametrize("persona", WIDE_SCOPES)
def test_a_wide_scope_stays_one_condition(world: World, persona: str) -> None:
    # A team or a big customer covers a large share of the tickets: a union of its ids would be hashed
    # before a list's sort and limit could walk an index.
    viewer = world.user(persona)
    sql = str(access.tickets_visible_to(viewer).query)
    assert "UNION" not in sql
    assert " OR " in sql
    assert not access.scope_is_personal(viewer)


@pytest.mark.parametrize("persona", PERSONAL_SCOPES)
def test_personal_scopes_are_told_to_callers(world: World, persona: str) -> None:
    assert access.scope_is_personal(world.user(persona))
    assert not access.scope_is_personal(world.user("adam"))  # every ticket is the widest scope
