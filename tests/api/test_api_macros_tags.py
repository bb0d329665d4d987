"""Tags and macros over the API: tags in the ticket JSON (staff only), PATCH replaces them, `?tag=` filters,
macros are listed for who may apply them and applied through the services."""

from __future__ import annotations

import pytest

from otklik.automation.models import Macro, MacroText
from otklik.testing import factories
from otklik.tickets.models import EventKind, Message

pytestmark = pytest.mark.django_db


def test_tags_read_written_and_filtered(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, subject="VPN down", now=now)
    factories.ticket(requester=people.alice, subject="Other", now=now)
    fiona = client_for(people.fiona)
    changed = fiona.patch(f"/api/v1/tickets/{ticket.number}/", {"tags": ["VPN", "Срочно"]}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["tags"] == ["vpn", "срочно"]
    assert ticket.events.filter(kind=EventKind.TAGS_CHANGED).count() == 1
    listed = fiona.get("/api/v1/tickets/", {"tag": "СРОЧНО"}).json()
    assert [row["number"] for row in listed["results"]] == [ticket.number]
    assert listed["results"][0]["tags"] == ["vpn", "срочно"]
    # The requester sees her ticket, not the support team's labels, and may not set them.
    alice = client_for(people.alice)
    assert alice.get(f"/api/v1/tickets/{ticket.number}/").json()["tags"] == []
    assert alice.patch(f"/api/v1/tickets/{ticket.number}/", {"tags": []}, format="json").status_code == 403
    too_long = fiona.patch(f"/api/v1/tickets/{ticket.number}/", {"tags": ["x" * 60]}, format="json")
    assert too_long.status_code == 400
    assert fiona.patch(f"/api/v1/tickets/{ticket.number}/", {"tags": []}, format="json").json()["tags"] == []


def test_macros_listed_and_applied(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)
    macro = Macro.objects.create(
        title="Need more info",
        text_kind=MacroText.REPLY,
        body="Which room?",
        set_status=factories.status("needs_clarification"),
    )
    Macro.objects.create(title="Sam's", owner=people.sam)
    fiona = client_for(people.fiona)
    rows = fiona.get("/api/v1/macros/").json()["results"]
    assert [(row["title"], row["scope"]) for row in rows] == [("Need more info", "shared")]
    assert client_for(people.alice).get("/api/v1/macros/").json()["results"] == []
    assert client_for(people.rita).get("/api/v1/macros/").json()["results"] == []
    applied = fiona.post(f"/api/v1/tickets/{ticket.number}/macros/{macro.pk}/apply/")
    assert applied.status_code == 200, applied.content
    assert applied.json()["status"]["code"] == "needs_clarification"
    assert Message.objects.filter(ticket=ticket, body_text="Which room?").exists()
    assert client_for(people.rita).post(f"/api/v1/tickets/{ticket.number}/macros/{macro.pk}/apply/").status_code == 403
    assert client_for(people.sam).post(f"/api/v1/tickets/{ticket.number}/macros/{macro.pk}/apply/").status_code == 404
    assert fiona.post(f"/api/v1/tickets/{ticket.number}/macros/999999/apply/").status_code == 404
    read_only = client_for(people.fiona, scopes=("read",))
    assert read_only.post(f"/api/v1/tickets/{ticket.number}/macros/{macro.pk}/apply/").status_code == 403
