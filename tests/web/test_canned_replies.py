"""Canned replies: one model for agents and triggers, personal and team replies managed by agents,
the demo's bilingual set, inserted in the requester's language."""

from __future__ import annotations

import pytest

from otklik.automation.models import CannedReply, Trigger
from otklik.demodata.seed import seed_reference_data
from otklik.testing import factories

pytestmark = pytest.mark.django_db


def test_agents_manage_their_own_and_their_teams_replies(people, client_for):
    fiona = client_for(people.fiona)
    fiona.post("/canned/", {"title": "Mine", "body": "Hi {requester.first_name}"})
    fiona.post("/canned/", {"title": "Ours", "body": "Hello team", "body_ru": "Привет",
                            "team": people.first_line.pk})
    mine = CannedReply.objects.get(title="Mine")
    ours = CannedReply.objects.get(title="Ours")
    assert (mine.owner_id, mine.team_id) == (people.fiona.pk, None)
    assert (ours.owner_id, ours.team_id) == (None, people.first_line.pk)
    # Not a team of hers: refused by the form's choices, nothing written.
    fiona.post("/canned/", {"title": "Theirs", "body": "x", "team": people.second_line.pk})
    assert not CannedReply.objects.filter(title="Theirs").exists()
    # Sam sees neither on his page, and cannot edit or delete Fiona's.
    sam = client_for(people.sam)
    assert "Mine" not in sam.get("/canned/").content.decode()
    assert sam.get(f"/canned/{mine.pk}/").status_code == 404
    sam.post(f"/canned/{mine.pk}/delete/")
    assert CannedReply.objects.filter(pk=mine.pk).exists()
    # Mia is in the first line too: she edits the team's reply.
    client_for(people.mia).post(f"/canned/{ours.pk}/", {"title": "Ours v2", "body": "Hello again",
                                                        "team": people.first_line.pk})
    assert CannedReply.objects.get(pk=ours.pk).title == "Ours v2"
    fiona.post(f"/canned/{mine.pk}/delete/")
    assert not CannedReply.objects.filter(pk=mine.pk).exists()


def test_shared_replies_are_for_administrators_and_auditors_write_nothing(people, client_for):
    shared = CannedReply.objects.create(title="Shared", body="x")
    client_for(people.fiona).post(f"/canned/{shared.pk}/delete/")
    assert CannedReply.objects.filter(pk=shared.pk).exists()
    client_for(people.rita).post("/canned/", {"title": "Audit", "body": "x"})
    assert not CannedReply.objects.filter(title="Audit").exists()
    assert client_for(people.alice).get("/canned/").status_code == 404


def test_inserted_in_the_requesters_language_and_usable_by_triggers(people, now, client_for):
    people.alice.language = "ru"
    people.alice.save(update_fields=["language"])
    ticket = factories.ticket(requester=people.alice, subject="VPN", now=now)
    reply = CannedReply.objects.create(title="Hi", body="Hello {requester.first_name}",
                                       body_ru="Здравствуйте, {requester.first_name}")
    text = client_for(people.fiona).get(f"/tickets/{ticket.number}/canned/{reply.pk}/").content.decode()
    assert text == "Здравствуйте, Alice"
    # The same row is what a trigger sends: one model.
    assert Trigger._meta.get_field("send_reply").related_model is CannedReply


def test_the_demo_ships_a_bilingual_set(db):
    seed_reference_data()
    shared = CannedReply.objects.filter(owner__isnull=True, team__isnull=True)
    assert shared.count() >= 5
    assert all(reply.body_ru for reply in shared)
    seed_reference_data()  # idempotent
    assert CannedReply.objects.filter(owner__isnull=True, team__isnull=True).count() == shared.count()
