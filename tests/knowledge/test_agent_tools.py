"""Similar resolved tickets and reply-to-draft on the agent's ticket page, scoped by access."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otklik.knowledge import selectors
from otklik.knowledge.models import Article, ArticleStatus, Audience
from otklik.testing.personas import Personas
from otklik.tickets import services
from otklik.tickets.models import Status, StatusKind, Ticket
from tests.access.world import HANDLED, PERSONAS, VISIBLE, World, build_world, public_marker
from tests.knowledge.conftest import Library


@pytest.fixture
def world(people: Personas, now: datetime) -> World:
    built = build_world(people, now, with_files=False)
    resolved = Status.objects.filter(kind=StatusKind.RESOLVED).first()
    assert resolved is not None
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in built.tickets.values()]).update(status=resolved)
    return built


def _client(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_similar_tickets_are_only_resolved_tickets_the_viewer_sees(world: World, persona: str, now: datetime) -> None:
    viewer = world.user(persona)
    fresh = services.ticket_create(actor=world.people.adam, requester=world.people.alice,
                                   subject="Subject of a new question", body_text="?", now=now)
    found = selectors.similar_tickets(viewer, fresh)
    keys = {key for key, ticket in world.tickets.items() if ticket.pk in {item.ticket.pk for item in found}}
    assert keys == set(VISIBLE[persona])
    for item in found:
        key = next(k for k, t in world.tickets.items() if t.pk == item.ticket.pk)
        assert item.resolution == public_marker(key)  # the staff reply, never the internal note


def test_open_tickets_and_the_ticket_itself_are_not_similar(world: World) -> None:
    open_status = Status.objects.exclude(kind__in=[StatusKind.RESOLVED, StatusKind.CLOSED]).first()
    assert open_status is not None
    Ticket.objects.filter(pk=world.tickets["bob_second"].pk).update(status=open_status)
    found = selectors.similar_tickets(world.people.adam, world.ticket("alice_first"))
    assert {item.ticket.pk for item in found} == {world.tickets[k].pk for k in ("carol_unrouted", "sam_asks_first")}


@pytest.mark.parametrize("persona", PERSONAS)
def test_similar_route_is_for_staff_who_see_the_ticket(world: World, persona: str) -> None:
    client = _client(world, persona)
    for key, ticket in world.tickets.items():
        response = client.get(reverse("knowledge:similar", args=[ticket.number]))
        # Staff who handle the ticket: an agent who only asked for it or watches it sees it as a requester.
        allowed = key in HANDLED[persona]
        assert response.status_code == (200 if allowed else 404), key
        if allowed:
            body = response.content.decode()
            for other in world.tickets:
                if other != key:
                    assert (f"Subject of {other}" in body) is (other in VISIBLE[persona]), (key, other)


def _resolved(world: World, now: datetime, *, subject: str, body: str, team: str | None = "first_line") -> Ticket:
    """A resolved ticket of Carol's (not shared), routed to a team or not, with a public staff reply."""
    resolved = Status.objects.filter(kind=StatusKind.RESOLVED).first()
    ticket = services._ticket_create(  # set-up: routed as a channel would
        actor=world.people.carol, requester=world.people.carol, subject=subject, body_text=body,
        team=getattr(world.people, team) if team else None, now=now)
    services.ticket_reply(actor=world.people.adam, ticket_id=ticket.pk, body_text=f"Answer to {subject}", now=now)
    Ticket.objects.filter(pk=ticket.pk).update(status=resolved)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize("window", [selectors.SIMILAR_CANDIDATES, 1])
def test_a_better_match_the_viewer_cannot_see_is_never_offered(
    world: World, now: datetime, window: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Also with a window of one candidate: the newest match is then not the viewer's, and the match runs
    again inside their scope."""
    monkeypatch.setattr(selectors, "SIMILAR_CANDIDATES", window)
    hidden = _resolved(world, now, subject="Printer jams paper tray", body="?", team="second_line")
    shown = _resolved(world, now, subject="Printer jams", body="?", team="first_line")
    probe = services.ticket_create(actor=world.people.adam, requester=world.people.carol,
                                   subject="Printer jams paper tray", body_text="?", now=now)
    fiona = {item.ticket.pk for item in selectors.similar_tickets(world.user("fiona"), probe)}
    sam = {item.ticket.pk for item in selectors.similar_tickets(world.user("sam"), probe)}
    adam = {item.ticket.pk for item in selectors.similar_tickets(world.user("adam"), probe)}
    assert shown.pk in fiona and hidden.pk not in fiona  # first line: the second line's ticket stays hidden
    assert hidden.pk in sam and shown.pk not in sam
    assert {hidden.pk, shown.pk} <= adam or (window == 1 and len(adam) == 1)
    assert not selectors.similar_tickets(world.user("gina"), probe)  # another team's agent sees none of them


def test_merged_and_unresolved_tickets_are_not_similar(world: World, now: datetime) -> None:
    merged = _resolved(world, now, subject="Scanner driver crashes", body="?")
    target = _resolved(world, now, subject="Scanner driver crashes again", body="?")
    unresolved = _resolved(world, now, subject="Scanner driver crashes", body="?")
    Ticket.objects.filter(pk=merged.pk).update(merged_into=target)
    open_status = Status.objects.exclude(kind__in=[StatusKind.RESOLVED, StatusKind.CLOSED]).first()
    Ticket.objects.filter(pk=unresolved.pk).update(status=open_status)
    probe = services.ticket_create(actor=world.people.adam, requester=world.people.carol,
                                   subject="Scanner driver crashes", body_text="?", now=now)
    found = {item.ticket.pk for item in selectors.similar_tickets(world.user("adam"), probe)}
    assert target.pk in found
    assert merged.pk not in found and unresolved.pk not in found and probe.pk not in found


def test_the_words_of_an_internal_note_never_drive_the_match(world: World, now: datetime) -> None:
    other = _resolved(world, now, subject="Quarterly payroll export", body="?")
    probe = services.ticket_create(actor=world.people.adam, requester=world.people.carol,
                                   subject="Monitor flickers", body_text="The screen blinks", now=now)
    services.ticket_add_note(actor=world.people.adam, ticket_id=probe.pk,
                             body_text="Quarterly payroll export", now=now)
    found = {item.ticket.pk for item in selectors.similar_tickets(world.user("adam"), probe)}
    assert other.pk not in found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored vectors exist on PostgreSQL only")
def test_on_postgresql_the_first_message_words_find_tickets_too(world: World, now: datetime) -> None:
    """The subject says little; the first message names the trouble: its words match other subjects."""
    match = _resolved(world, now, subject="Keyboards stopped typing", body="?")
    probe = services.ticket_create(actor=world.people.adam, requester=world.people.carol, subject="Help",
                                   body_text="My keyboard stopped typing this morning", now=now)
    assert [item.ticket.pk for item in selectors.similar_tickets(world.user("adam"), probe)] == [match.pk]


def _resolved_tickets(world: World, count: int, now: datetime) -> None:
    resolved = Status.objects.filter(kind=StatusKind.RESOLVED).first()
    for index in range(count):
        ticket = services.ticket_create(actor=world.people.adam, requester=world.people.carol,
                                        subject=f"Laptop battery drains {index}", body_text="?", now=now)
        services.ticket_reply(actor=world.people.adam, ticket_id=ticket.pk, body_text=f"Fixed {index}", now=now)
        Ticket.objects.filter(pk=ticket.pk).update(status=resolved)


@pytest.mark.parametrize("rows", [2, 20])
def test_similar_tickets_cost_the_same_queries_for_2_and_20_rows(world: World, now: datetime, rows: int) -> None:
    _resolved_tickets(world, rows, now)
    probe = services.ticket_create(actor=world.people.adam, requester=world.people.carol,
                                   subject="Laptop battery", body_text="?", now=now)
    viewer = world.user("adam")
    with CaptureQueriesContext(connection) as queries:
        found = selectors.similar_tickets(viewer, probe)
        resolutions = [item.resolution for item in found]
    assert len(found) == min(rows, 5)
    assert all(text.startswith("Fixed ") for text in resolutions)
    assert len(queries) <= 3


def test_a_reply_becomes_an_internal_draft_in_one_click(world: World) -> None:
    reply = world.replies["alice_first"]
    response = _client(world, "fiona").post(reverse("knowledge:draft_from_message", args=[reply.pk]))
    draft = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:knowledge_article_change", args=[draft.pk])
    assert (draft.status, draft.audience, draft.title_en, draft.body_en) == (
        ArticleStatus.DRAFT, Audience.INTERNAL, "Subject of alice_first", public_marker("alice_first"))
    assert list(draft.revisions.values_list("number", flat=True)) == [1]


@pytest.mark.parametrize("persona", PERSONAS)
def test_reply_to_draft_is_refused_to_whoever_does_not_handle_the_ticket(world: World, persona: str) -> None:
    reply = world.replies["alice_first"]
    response = _client(world, persona).post(reverse("knowledge:draft_from_message", args=[reply.pk]))
    if persona in {"fiona", "mia", "adam"}:
        assert response.status_code == 302 and Article.objects.count() == 1
    else:
        # Requesters and staff who do not see the ticket: 404; the read-only auditor and Otto (he sees it only
        # as a watcher): refused with a message.
        assert response.status_code == (302 if persona in {"rita", "otto"} else 404)
        assert Article.objects.count() == 0


def test_internal_notes_never_become_articles(world: World) -> None:
    note = world.notes["alice_first"]
    _client(world, "fiona").post(reverse("knowledge:draft_from_message", args=[note.pk]))
    assert Article.objects.count() == 0


def test_the_agent_ticket_page_offers_the_picker_and_loads_similar_tickets(world: World, library: Library) -> None:
    number = world.tickets["alice_first"].number
    client = _client(world, "fiona")
    body = client.get(reverse("ticket", args=[number])).content.decode()
    # The article picker is one of the reply box's tools, which arrive after the page with the other panels.
    assert reverse("ticket_panels", args=[number]) in body
    tools = client.get(reverse("ticket_panel_reply_tools", args=[number])).content.decode()
    assert reverse("knowledge:article_link", args=[library.internal.slug]) in tools
    assert reverse("knowledge:article_link", args=[library.draft.slug]) not in tools
    assert reverse("knowledge:similar", args=[world.tickets["alice_first"].number]) in body
    assert reverse("knowledge:draft_from_message", args=[world.replies["alice_first"].pk]) in body
    assert reverse("knowledge:draft_from_message", args=[world.notes["alice_first"].pk]) not in body


def test_article_link_is_plain_text_for_the_reply_box(world: World, library: Library) -> None:
    response = _client(world, "fiona").get(reverse("knowledge:article_link", args=[library.public.slug]))
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().endswith(reverse("knowledge:article", args=[library.public.slug]))
