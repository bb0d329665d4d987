"""Channels the matrix once missed (issue 11): ticket history (events), notifications in-app and by email,
SLA endpoints and pages, search snippets. Every persona of world.py, including the ones that broke it:
Sam (an agent who is a ticket's requester), Otto (an only-assigned agent who watches a ticket) and Gina
(an agent of another team). The internal side of a ticket is for `HANDLED` only, in every channel.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from otklik.accounts import access
from otklik.api.tokens import token_create
from otklik.notifications.models import Notification
from otklik.notifications.services import notifications_process
from otklik.search.selectors import search
from otklik.tickets import selectors
from tests.access.world import HANDLED, PERSONAS, TICKETS, VISIBLE, World, internal_marker

# What anyone who sees a ticket without handling it may read of its history.
OUTLINE = {"created", "status_changed"}


def _api(world: World, persona: str, now: datetime) -> APIClient:
    user = world.user(persona)
    issued = token_create(actor=user, user=user, name="matrix", scopes=("read",), now=now)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_handles_is_the_relation_to_the_ticket(world: World, persona: str) -> None:
    viewer = world.user(persona)
    got = {key for key in TICKETS if access.handles(viewer, world.ticket(key))}
    assert got == HANDLED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_history_through_the_selector_and_the_api(world: World, persona: str, now: datetime) -> None:
    client = _api(world, persona, now)
    problems = []
    for key in TICKETS:
        ticket = world.ticket(key)
        selected = {event.kind for event in selectors.ticket_events(world.user(persona), ticket)}
        response = client.get(f"/api/v1/tickets/{ticket.number}/events/?limit=100")
        if key not in VISIBLE[persona]:
            if response.status_code != 404:
                problems.append(f"{key}: expected 404, got {response.status_code}")
            continue
        rows = response.json()["results"]
        listed = {row["kind"] for row in rows}
        if key in HANDLED[persona]:
            if not {"note_added", "fields_changed"} <= listed or not {"note_added"} <= selected:
                problems.append(f"{key}: staff history incomplete: {sorted(listed)}")
        elif not (listed <= OUTLINE and selected <= OUTLINE):
            problems.append(f"{key}: staff events leaked: {sorted((listed | selected) - OUTLINE)}")
        if key not in HANDLED[persona] and "INTERNAL-FIELD" in str(rows):
            problems.append(f"{key}: an internal field's value in the history")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", PERSONAS)
def test_sla_endpoint_and_page_are_for_those_who_handle_the_ticket(world: World, persona: str,
                                                                   now: datetime) -> None:
    api = _api(world, persona, now)
    web = Client()
    web.force_login(world.user(persona))
    problems = []
    for key in TICKETS:
        number = world.tickets[key].number
        want = 200 if key in HANDLED[persona] else 404
        got = (api.get(f"/api/v1/tickets/{number}/sla/").status_code, web.get(f"/sla/tickets/{number}/").status_code)
        if got != (want, want):
            problems.append(f"{key}: expected {want} from the API and the page, got {got}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", PERSONAS)
def test_search_snippets_of_notes_only_for_those_who_handle(world: World, persona: str) -> None:
    viewer = world.user(persona)
    # Only the notes carry this word: a hit is a note's snippet.
    found = {hit.ticket_id for hit in search(viewer, "INTERNAL")}
    assert found == {world.tickets[key].pk for key in HANDLED[persona]}


def test_notifications_in_app_and_email_carry_notes_only_to_those_who_handle(world: World, now: datetime) -> None:
    """The world's notes were written before Otto started watching; they are delivered now, when he is a
    watcher, and so are new notes. Nobody who does not handle a ticket gets a note's words."""
    mail.outbox.clear()
    from otklik.tickets import services

    # Fiona handles alice_first and watches it too: the positive control that notes are delivered at all.
    services.ticket_watch(actor=None, ticket_id=world.tickets["alice_first"].pk, user_id=world.user("fiona").pk,
                          now=now)
    for key in TICKETS:
        services.ticket_add_note(actor=world.user("mia"), ticket_id=world.tickets[key].pk,
                                 body_text=internal_marker(key) + "-later", now=now)
    assert notifications_process(now=now) > 0
    by_address = {world.user(persona).email: persona for persona in PERSONAS}
    problems = []
    for notice in Notification.objects.select_related("recipient"):
        persona = by_address.get(notice.recipient.email)
        for key in TICKETS:
            if persona is not None and key not in HANDLED[persona] and internal_marker(key) in notice.body:
                problems.append(f"in-app: {persona} got the note of {key}")
    for message in mail.outbox:
        text = "\n".join([str(message.subject), str(message.body), *(str(part) for part, _mime in
                                                            getattr(message, "alternatives", []))])
        for address in [*message.to, *message.cc, *message.bcc]:
            persona = by_address.get(address.lower())
            for key in TICKETS:
                if persona is not None and key not in HANDLED[persona] and internal_marker(key) in text:
                    problems.append(f"email: {persona} got the note of {key}")
    assert not problems, "\n".join(problems)
    # The test can fail: the people who handle a ticket do hear about its notes.
    fiona = world.user("fiona")
    assert Notification.objects.filter(recipient=fiona, body__contains=internal_marker("alice_first")).exists()


def test_the_note_text_helper_asks_the_ticket_not_the_role(world: World) -> None:
    from otklik.notifications.services import _message_text

    note = world.notes["alice_first"]
    assert _message_text(note, world.user("otto")) == ""
    assert _message_text(world.notes["sam_asks_first"], world.user("sam")) == ""
    assert internal_marker("alice_first") in _message_text(note, world.user("fiona"))
