"""Who may see and do what through the API, persona by persona, ticket by ticket.

Absent and forbidden answer alike (404); a ticket the caller sees but may not change answers 403.
"""

from __future__ import annotations

import pytest

from otklik.tickets.models import Ticket

PERSONAS = ("alice", "bob", "carol", "fiona", "sam", "mia", "rita", "adam")
TICKETS = ("alice_ticket", "carol_ticket", "bob_ticket")

SEES = {
    "alice": {"alice_ticket"},
    "bob": {"bob_ticket"},
    "carol": {"carol_ticket"},
    "fiona": {"alice_ticket", "bob_ticket"},  # her team's ticket and the unrouted first-line queue
    "sam": {"carol_ticket"},
    "mia": {"alice_ticket", "carol_ticket", "bob_ticket"},
    "rita": {"alice_ticket", "carol_ticket", "bob_ticket"},
    "adam": {"alice_ticket", "carol_ticket", "bob_ticket"},
}
STAFF = {"fiona", "sam", "mia", "rita", "adam"}
WRITERS = {"fiona", "sam", "mia", "adam"}  # Rita audits read-only


def _number(world, name: str) -> int:
    ticket: Ticket = getattr(world, name)
    return ticket.number


@pytest.mark.parametrize("persona", PERSONAS)
def test_ticket_list_is_exactly_what_the_persona_sees(persona, people, world, client_for):
    client = client_for(getattr(people, persona))

    response = client.get("/api/v1/tickets/")

    assert response.status_code == 200
    numbers = {row["number"] for row in response.json()["results"]}
    assert numbers == {_number(world, name) for name in SEES[persona]}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("ticket_name", TICKETS)
def test_ticket_detail_and_conversation(persona, ticket_name, people, world, client_for):
    client = client_for(getattr(people, persona))
    number = _number(world, ticket_name)
    visible = ticket_name in SEES[persona]

    detail = client.get(f"/api/v1/tickets/{number}/")
    messages = client.get(f"/api/v1/tickets/{number}/messages/")
    events = client.get(f"/api/v1/tickets/{number}/events/")
    files = client.get(f"/api/v1/tickets/{number}/attachments/")

    expected = 200 if visible else 404
    assert (detail.status_code, messages.status_code, events.status_code, files.status_code) == (expected,) * 4
    if not visible:
        assert detail.json()["error"]["code"] == "not_found"
        return
    internal = [row for row in messages.json()["results"] if row["is_internal"]]
    event_kinds = {row["kind"] for row in events.json()["results"]}
    file_names = {row["filename"] for row in files.json()["results"]}
    if ticket_name == "alice_ticket":
        assert bool(internal) == (persona in STAFF)
        assert ("note_added" in event_kinds) == (persona in STAFF)
        expected_files = {"howto.txt", "ad-dump.txt"} if persona in STAFF else {"howto.txt"}
        assert file_names == expected_files


@pytest.mark.parametrize("persona", PERSONAS)
def test_attachment_downloads(persona, people, world, client_for):
    client = client_for(getattr(people, persona))
    sees_ticket = "alice_ticket" in SEES[persona]

    public = client.get(f"/api/v1/attachments/{world.reply_file.token}/")
    internal = client.get(f"/api/v1/attachments/{world.note_file.token}/")

    assert public.status_code == (200 if sees_ticket else 404)
    assert internal.status_code == (200 if sees_ticket and persona in STAFF else 404)
    if public.status_code == 200:
        assert b"".join(public.streaming_content) == b"public steps"
        assert public["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("persona", PERSONAS)
def test_unknown_ticket_and_file_are_404_for_everyone(persona, people, world, client_for):
    client = client_for(getattr(people, persona))

    assert client.get("/api/v1/tickets/999999/").status_code == 404
    assert client.post("/api/v1/tickets/999999/replies/", {"body_text": "x"}, format="json").status_code == 404
    assert client.get("/api/v1/attachments/no-such-token/").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("ticket_name", TICKETS)
def test_public_reply(persona, ticket_name, people, world, client_for):
    client = client_for(getattr(people, persona))
    number = _number(world, ticket_name)

    response = client.post(f"/api/v1/tickets/{number}/replies/", {"body_text": "Any news?"}, format="json")

    if ticket_name not in SEES[persona]:
        assert response.status_code == 404
    elif persona in WRITERS or persona in {"alice", "bob", "carol"}:
        assert response.status_code == 201, response.json()
        assert response.json()["is_internal"] is False
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("ticket_name", TICKETS)
def test_internal_note_and_field_changes(persona, ticket_name, people, world, client_for):
    client = client_for(getattr(people, persona))
    number = _number(world, ticket_name)

    note = client.post(f"/api/v1/tickets/{number}/notes/", {"body_text": "internal"}, format="json")
    change = client.patch(f"/api/v1/tickets/{number}/", {"priority": "high"}, format="json")

    if ticket_name not in SEES[persona]:
        assert (note.status_code, change.status_code) == (404, 404)
    elif persona in WRITERS:
        assert (note.status_code, change.status_code) == (201, 200)
        assert change.json()["priority"]["code"] == "high"
    else:
        assert (note.status_code, change.status_code) == (403, 403)


def test_requester_never_sees_other_peoples_email(people, world, client_for):
    client = client_for(people.alice)

    messages = client.get(f"/api/v1/tickets/{world.alice_ticket.number}/messages/").json()["results"]
    authors = {row["author"]["id"]: row["author"] for row in messages}

    assert authors[people.alice.pk]["email"] == "alice@a.example"
    assert authors[people.fiona.pk]["email"] is None
    assert authors[people.fiona.pk]["name"] == "Fiona"


@pytest.mark.parametrize(
    ("persona", "visible_users"),
    [
        ("alice", {"alice"}),
        ("fiona", {"alice", "bob", "carol", "fiona", "sam", "mia", "rita", "adam"}),
    ],
)
def test_user_directory(persona, visible_users, people, world, client_for):
    client = client_for(getattr(people, persona))

    emails = {row["email"] for row in client.get("/api/v1/users/?limit=100").json()["results"]}

    assert emails == {getattr(people, name).email for name in visible_users}
    other = people.carol.pk
    assert client.get(f"/api/v1/users/{other}/").status_code == (200 if persona == "fiona" else 404)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("ticket_name", TICKETS)
def test_state_changes(persona, ticket_name, people, world, client_for):
    client = client_for(getattr(people, persona))
    ticket: Ticket = getattr(world, ticket_name)
    base = f"/api/v1/tickets/{ticket.number}"
    own = ticket.requester_id == getattr(people, persona).pk

    assign = client.post(f"{base}/assign/", {"assignee": people.adam.pk}, format="json")
    resolve = client.post(f"{base}/resolve/")
    close = client.post(f"{base}/close/")

    statuses = (assign.status_code, resolve.status_code, close.status_code)
    if ticket_name not in SEES[persona]:
        assert statuses == (404, 404, 404)
    elif persona in WRITERS:
        assert statuses == (200, 200, 200)
    elif own:
        assert statuses == (403, 403, 200)  # requesters close their own requests, nothing more
    else:
        assert statuses == (403, 403, 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_webhook_administration_is_for_administrators(persona, people, client_for):
    user = getattr(people, persona)
    scopes = ("read", "write", "admin") if persona == "adam" else ("read", "write")
    client = client_for(user, scopes)

    listing = client.get("/api/v1/webhooks/")
    created = client.post("/api/v1/webhooks/", {"name": "x", "url": "http://127.0.0.1:9/"}, format="json")

    expected = (200, 201) if persona == "adam" else (403, 403)
    assert (listing.status_code, created.status_code) == expected


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("ticket_name", TICKETS)
def test_sla_clocks_are_staff_only(persona, ticket_name, people, world, client_for):
    response = client_for(getattr(people, persona)).get(f"/api/v1/tickets/{_number(world, ticket_name)}/sla/")

    visible_to_staff = ticket_name in SEES[persona] and persona in STAFF
    assert response.status_code == (200 if visible_to_staff else 404)
