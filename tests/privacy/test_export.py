"""The export: who may download whose data, and that a requester's archive never carries notes."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from otklik.accounts.models import User
from otklik.audit.models import AuditEntry, AuditKind
from otklik.testing.personas import PASSWORD
from tests.access.world import (
    PERSONAS,
    World,
    internal_field_marker,
    internal_file_name,
    internal_marker,
    public_field_marker,
    public_file_name,
    public_marker,
)

ADMINS = frozenset({"adam"})


def _client(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _archive(response: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("data.json")), files


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    response = Client().get(reverse("privacy:my_export"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_requester_export_has_own_tickets_without_internal_content(world: World) -> None:
    alice = world.user("alice")
    document, files = _archive(_client(alice).get(reverse("privacy:my_export")))
    text = json.dumps(document, ensure_ascii=False)
    assert document["profile"]["email"] == alice.email
    numbers = [ticket["number"] for ticket in document["tickets"]]
    # Her own request only: Bob's ticket is visible through organization sharing but is not hers.
    assert numbers == [world.tickets["alice_first"].number]
    assert public_marker("alice_first") in text
    assert public_field_marker("alice_first") in text
    assert internal_marker("alice_first") not in text
    assert internal_field_marker("alice_first") not in text
    assert "bob_second" not in text
    names = "\n".join(files)
    assert public_file_name("alice_first") in names
    assert internal_file_name("alice_first") not in names
    assert all(b"internal bytes" not in content for content in files.values())
    assert any(entry["event"] == AuditKind.LOGIN for entry in document["sign_ins_and_audit"])
    assert AuditEntry.objects.filter(kind=AuditKind.DATA_EXPORTED, actor=alice, object_id=str(alice.pk)).exists()


@pytest.mark.django_db
def test_watched_ticket_is_exported_as_the_watcher_sees_it(world: World) -> None:
    carol = world.user("carol")
    world.ticket("alice_first").watchers.add(carol)
    document, _files = _archive(_client(carol).get(reverse("privacy:my_export")))
    roles = {ticket["number"]: ticket["role"] for ticket in document["tickets"]}
    assert roles == {
        world.tickets["carol_unrouted"].number: "requester", world.tickets["alice_first"].number: "watcher"
    }
    assert internal_marker("alice_first") not in json.dumps(document)


@pytest.mark.django_db
def test_admin_export_of_a_requester_is_still_the_requester_view(world: World) -> None:
    alice = world.user("alice")
    document, files = _archive(_client(world.user("adam")).get(reverse("privacy:user_export", args=[alice.pk])))
    assert document["profile"]["email"] == alice.email
    assert internal_marker("alice_first") not in json.dumps(document)
    assert public_marker("alice_first") in json.dumps(document)
    assert not any(internal_file_name("alice_first") in name for name in files)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix_for_someone_elses_export(world: World, persona: str) -> None:
    target = world.user("carol" if persona != "carol" else "bob")
    response = _client(world.user(persona)).get(reverse("privacy:user_export", args=[target.pk]))
    if persona in ADMINS:
        document, _files = _archive(response)
        assert document["profile"]["email"] == target.email
    else:
        assert response.status_code == 404
        assert not AuditEntry.objects.filter(kind=AuditKind.DATA_EXPORTED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix_for_anonymise_page(world: World, persona: str) -> None:
    target = world.user("carol" if persona != "carol" else "bob")
    client = _client(world.user(persona))
    url = reverse("privacy:user_anonymise", args=[target.pk])
    response = client.post(url, {"confirm_email": target.email})
    target.refresh_from_db()
    if persona in ADMINS:
        assert response.status_code == 302
        assert target.email.endswith("@anonymised.invalid")
    else:
        assert response.status_code == 404
        assert client.get(url).status_code == 404
        assert target.is_active


@pytest.mark.django_db
def test_anonymise_needs_the_typed_email(world: World) -> None:
    carol = world.user("carol")
    client = _client(world.user("adam"))
    url = reverse("privacy:user_anonymise", args=[carol.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"confirm_email": "someone@else.example"})
    assert response.status_code == 400
    carol.refresh_from_db()
    assert carol.email == "carol@b.example"


@pytest.mark.django_db
def test_each_persona_exports_only_themselves(world: World) -> None:
    for persona in PERSONAS:
        user = world.user(persona)
        document, _files = _archive(_client(user).get(reverse("privacy:my_export")))
        assert document["profile"]["id"] == user.pk
        others = [u.email for name, u in world.people.all_users().items() if name != persona]
        profile = json.dumps(document["profile"])
        assert not any(email in profile for email in others)


@pytest.mark.django_db
def test_profile_page_links_to_the_export(people: Any) -> None:
    response = _client(people.alice).get(reverse("profile"))
    assert reverse("privacy:my_export") in response.content.decode()


def test_export_costs_the_same_for_few_and_many_tickets(world: World) -> None:
    """Tickets, messages, files and fields are read per batch, not per ticket."""
    from otklik.privacy.export import personal_data
    from otklik.testing import factories
    from otklik.testing.queries import count_queries

    alice = world.user("alice")
    personal_data(alice)  # warms the person's own cached relations (organization)
    few = count_queries(lambda: personal_data(alice))
    created = world.ticket(sorted(world.tickets)[0]).created_at
    for index in range(10):
        factories.ticket(requester=alice, subject=f"More {index}", now=created)
    many = count_queries(lambda: personal_data(alice))
    assert len(personal_data(alice)[0]["tickets"]) >= 10
    assert few == many
