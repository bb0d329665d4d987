"""Macros and tags in the workspace: the ticket page's panels, one-click apply, bulk apply, the tag filter
of the list (one query per page), and the macro management page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.automation.models import Macro, MacroAssignee, MacroText
from otklik.testing import factories
from otklik.tickets.models import EventKind, Message
from otklik.tickets.tags import tags_ensure, ticket_change_tags

pytestmark = pytest.mark.django_db


def test_ticket_page_offers_macros_and_tags_in_place(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)
    macro = Macro.objects.create(
        title="Need more info",
        title_ru="Нужны подробности",
        text_kind=MacroText.REPLY,
        body="Which room, {requester.first_name}?",
        set_status=factories.status("needs_clarification"),
    )
    Macro.objects.create(title="Sam's own", owner=people.sam)
    fiona = client_for(people.fiona)
    # Both panels come after the page (one request for all its panels, or each alone).
    page = fiona.get(f"/tickets/{ticket.number}/panels/").content.decode()
    assert "Need more info" in page and "Sam&#x27;s own" not in page and "Sam's own" not in page
    assert 'id="tags-panel"' in page
    assert "Need more info" in fiona.get(f"/tickets/{ticket.number}/panels/macros/").content.decode()
    assert 'id="tags-panel"' in fiona.get(f"/tickets/{ticket.number}/panels/tags/").content.decode()
    # Tags in place: the panel comes back for HTMX.
    panel = fiona.post(f"/tickets/{ticket.number}/tags/", {"add": "VPN, Принтер"}, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    body = panel.content.decode()
    assert 'id="tags-panel"' in body and "vpn" in body and "принтер" in body and "<html" not in body
    fiona.post(f"/tickets/{ticket.number}/tags/", {"remove": "vpn"})
    assert list(ticket.tags.values_list("name", flat=True)) == ["принтер"]
    too_long = fiona.post(f"/tickets/{ticket.number}/tags/", {"add": "x" * 60}, HTTP_HX_REQUEST="true")
    assert too_long.status_code == 200 and 'role="alert"' in too_long.content.decode()
    # One click applies the macro as Fiona.
    response = fiona.post(f"/tickets/{ticket.number}/macros/{macro.pk}/apply/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status.code == "needs_clarification"
    assert Message.objects.filter(ticket=ticket, author=people.fiona, body_text="Which room, Alice?").exists()
    history = fiona.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Tags added: vpn, принтер" in history and "· Need more info" in history


def test_read_only_and_outsiders_cannot_apply_or_tag(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)
    macro = Macro.objects.create(title="Prio", set_priority=factories.priority("high"))
    rita = client_for(people.rita)
    assert 'id="macro-panel"' not in rita.get(f"/tickets/{ticket.number}/").content.decode()
    rita.post(f"/tickets/{ticket.number}/macros/{macro.pk}/apply/")
    rita.post(f"/tickets/{ticket.number}/tags/", {"add": "x"})
    assert client_for(people.sam).post(f"/tickets/{ticket.number}/macros/{macro.pk}/apply/").status_code == 404
    assert client_for(people.alice).post(f"/tickets/{ticket.number}/tags/", {"add": "x"}).status_code == 404
    personal = Macro.objects.create(title="Mine", owner=people.sam, set_priority=factories.priority("high"))
    assert client_for(people.fiona).post(f"/tickets/{ticket.number}/macros/{personal.pk}/apply/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.priority.code == "normal" and not ticket.tags.exists()
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_escalation_leaves_the_agent_on_the_list(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)
    macro = Macro.objects.create(
        title="Escalate",
        set_team=people.second_line,
        text_kind=MacroText.NOTE,
        body="See the logs",
        assignee_action=MacroAssignee.UNASSIGN,
    )
    response = client_for(people.fiona).post(f"/tickets/{ticket.number}/macros/{macro.pk}/apply/")
    assert response.status_code == 302 and response["Location"] == "/"
    ticket.refresh_from_db()
    assert ticket.team_id == people.second_line.pk


def test_bulk_macro_and_tag_filter_with_one_query_per_page(people, now, client_for):
    tickets = [factories.ticket(requester=people.alice, subject=f"T{n}", now=now) for n in range(3)]
    macro = Macro.objects.create(title="Tag it")
    macro.add_tags.set(tags_ensure(["bulk"]))
    fiona = client_for(people.fiona)
    assert "Tag it" in fiona.get("/?queue=all").content.decode()
    fiona.post("/tickets/bulk/", {"action": "macro", "macro": macro.pk, "tickets": [t.pk for t in tickets[:2]]})
    listed = fiona.get("/?queue=all&tag=BULK").content.decode()
    # rows by their number: a short subject like "T2" can turn up inside a random token of the page
    shown = [f'data-ticket="{ticket.number}"' in listed for ticket in tickets]
    assert shown == [True, True, False]

    def count(rows: int) -> int:
        for ticket in [factories.ticket(requester=people.bob, now=now) for _n in range(rows)]:
            ticket_change_tags(actor=people.fiona, ticket_id=ticket.pk, add=["a", "b"], now=now)
        with CaptureQueriesContext(connection) as queries:
            assert fiona.get("/?queue=all").status_code == 200
        return len(queries)

    assert count(2) == count(18)


def test_agents_manage_their_macros(people, client_for):
    fiona = client_for(people.fiona)
    response = fiona.post(
        "/macros/",
        {
            "title": "Resolved: password reset",
            "title_ru": "Решено: сброс пароля",
            "text_kind": "reply",
            "body": "Your password was reset.",
            "set_status": factories.status("resolved").pk,
            "add_tags": "password",
            "assignee_action": "me",
        },
    )
    assert response.status_code == 302
    mine = Macro.objects.get(title="Resolved: password reset")
    assert mine.owner_id == people.fiona.pk and mine.assignee_action == "me"
    page = fiona.get("/macros/").content.decode()
    assert "Resolved: password reset" in page and "add tags: password" in page
    bad = fiona.post("/macros/", {"title": "No text", "text_kind": "reply"})
    assert bad.status_code == 200 and not Macro.objects.filter(title="No text").exists()
    sam = client_for(people.sam)
    assert sam.get(f"/macros/{mine.pk}/").status_code == 404
    sam.post(f"/macros/{mine.pk}/delete/")
    assert Macro.objects.filter(pk=mine.pk).exists()
    assert client_for(people.alice).get("/macros/").status_code == 404
    client_for(people.rita).post("/macros/", {"title": "Audit"})
    assert not Macro.objects.filter(title="Audit").exists()
    fiona.post(f"/macros/{mine.pk}/delete/")
    assert not Macro.objects.filter(pk=mine.pk).exists()


def test_the_demo_brings_a_bilingual_set_that_works(now):
    from otklik.accounts.models import Role, Team, User
    from otklik.automation.macros import macro_apply
    from otklik.demodata.seed import seed_reference_data

    seed_reference_data()
    shared = Macro.objects.filter(owner__isnull=True, team__isnull=True)
    assert shared.count() >= 4 and all(macro.title_ru for macro in shared)
    seed_reference_data()  # idempotent
    assert Macro.objects.filter(owner__isnull=True, team__isnull=True).count() == shared.count()
    first_line = Team.objects.get(name="First line")
    agent = User.objects.filter(role=Role.AGENT, teams=first_line).first()
    requester = User.objects.filter(role=Role.REQUESTER).first()
    assert agent is not None and requester is not None
    ticket = factories.ticket(requester=requester, now=now, team=first_line)
    macro_apply(actor=agent, ticket_id=ticket.pk, macro_id=shared.get(title="Need more info").pk, now=now)
    ticket.refresh_from_db()
    assert ticket.status.code == "needs_clarification" and ticket.assignee_id == agent.pk
    macro_apply(actor=agent, ticket_id=ticket.pk, macro_id=shared.get(title="Escalate to 2nd line").pk, now=now)
    ticket.refresh_from_db()
    assert ticket.team is not None and ticket.team.name == "Second line" and ticket.assignee_id is None
