"""The agent's ticket page: header edits, reply and note, attachments, watchers, links, merge, canned replies."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from otklik.automation.models import CannedReply
from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import EventKind, Message, Ticket, TicketLink
from otklik.web.canned import fill_placeholders

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(people, now):
    return factories.ticket(requester=people.alice, subject="VPN is down", now=now)


# Measured (third round, issue #16; before: 28 on SQLite, 36 on PostgreSQL with the two-factor query).
# Choice lists and configuration flags are remembered between requests (otklik.core.lookups), the
# ticket's visibility is known from the read that found it, links are read in one query, watchers and
# the type's fields once. A query that comes back fails here: lower the figure when one goes, raise it
# only in a change that explains why.
# Fourth round: the panels beside the conversation (SLA, macros, tags, trackers, the reply box's pickers,
# the requester's other tickets and ratings) come after the page in one request (23 -> 12); their own
# count is pinned in tests/web/test_ticket_panels.py.
# Round 8: the request-type picker of the fields editor shows the remembered configuration (12 -> 11).
# Ticket page round 2: the ticket read answers `handles` and whether the ticket has any link or watcher,
# the messages' read whether each has files (most tickets have none of these: their reads are skipped),
# and the request types are remembered with their fields (11 -> 7 without files, links or watchers).
TICKET_PAGE_QUERIES = {"postgresql": 7, "sqlite": 7}
# Each of these present costs its one read, whatever the number of messages.
WITH_FILES_AND_WATCHERS = 2


def test_page_costs_the_same_queries_for_2_and_20_messages(people, now, ticket, client_for, settings):
    # Remembered lists outlive the test: on a loaded machine the 5 s default expired between requests.
    settings.OTKLIK_LOOKUP_CACHE_SECONDS = 300
    fiona = client_for(people.fiona)
    url = f"/tickets/{ticket.number}/"
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="note", now=now)
    assert fiona.get(url).status_code == 200  # warm-up: the remembered choice lists are read once
    assert count_queries(lambda: fiona.get(url)) == TICKET_PAGE_QUERIES[connection.vendor]
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="file", now=now,
                             attachments=[InboundAttachment(filename="first.txt", content=b"x")])
    services.ticket_watch(actor=people.fiona, ticket_id=ticket.pk, user_id=people.fiona.pk, now=now)
    assert fiona.get(url).status_code == 200
    two = count_queries(lambda: fiona.get(url))
    assert two == TICKET_PAGE_QUERIES[connection.vendor] + WITH_FILES_AND_WATCHERS
    for index in range(9):
        services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text=f"reply {index}", now=now)
        services.ticket_add_note(
            actor=people.fiona, ticket_id=ticket.pk, body_text=f"note {index}", now=now,
            attachments=[InboundAttachment(filename=f"{index}.txt", content=b"x")],
        )
        services.ticket_watch(actor=people.fiona, ticket_id=ticket.pk, user_id=people.fiona.pk, now=now)
    changes.ticket_assign(actor=people.fiona, ticket_id=ticket.pk, assignee=people.sam, now=now)
    assert fiona.get(url).status_code == 200  # warm again: the changes above dropped remembered lists
    twenty = count_queries(lambda: fiona.get(url))
    response = fiona.get(url)
    assert response.content.decode().count('class="timeline-item') == 20
    assert two == twenty


def test_links_are_read_only_for_a_ticket_that_has_some(people, now, ticket, client_for, settings):
    settings.OTKLIK_LOOKUP_CACHE_SECONDS = 300
    fiona = client_for(people.fiona)
    url = f"/tickets/{ticket.number}/"
    assert fiona.get(url).status_code == 200
    assert count_queries(lambda: fiona.get(url)) == TICKET_PAGE_QUERIES[connection.vendor]
    other = factories.ticket(requester=people.alice, subject="Printer on fire", now=now)
    changes.ticket_link(actor=people.fiona, ticket_id=ticket.pk, other_id=other.pk, kind="related", now=now)
    page = fiona.get(url).content.decode()
    assert f"#{other.number}</a> Printer on fire" in page
    assert count_queries(lambda: fiona.get(url)) == TICKET_PAGE_QUERIES[connection.vendor] + 1


def test_notes_are_unmistakable_and_history_is_in_words(people, now, ticket, client_for):
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="Only for us", now=now)
    changes.ticket_assign(actor=people.fiona, ticket_id=ticket.pk, assignee=people.sam, now=now)
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    assert "timeline-note" in html and "Internal note — not visible to the requester" in html
    assert "Assignee: nobody → Sam" in html


def test_header_fields_change_in_place(people, now, ticket, client_for):
    fiona = client_for(people.fiona)
    url = f"/tickets/{ticket.number}/update/"
    response = fiona.post(url, {"field": "priority", "value": factories.priority("critical").pk},
                          HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="ticket-header"' in response.content.decode() and "<html" not in response.content.decode()
    fiona.post(url, {"field": "assignee", "value": "me"})
    fiona.post(url, {"field": "status", "value": factories.status("in_progress").pk})
    fiona.post(url, {"field": "subject", "value": "  VPN is down  again "})
    category = factories.category("Network")
    fiona.post(url, {"field": "category", "value": category.pk})
    # Bad input becomes a message, not an error page.
    response = fiona.post(url, {"field": "priority", "value": "999999"}, follow=True)
    assert response.status_code == 200
    assert "Unknown value." in [str(m) for m in response.context["messages"]]
    fiona.post(url, {"field": "team", "value": people.second_line.pk})
    ticket.refresh_from_db()
    assert (ticket.priority.code, ticket.team, ticket.status.code, ticket.subject, ticket.category) == (
        "critical", people.second_line, "in_progress", "VPN is down again", category)
    assert ticket.assignee is None  # Fiona is not in the second line: the team change let her go
    assert fiona.get(f"/tickets/{ticket.number}/").status_code == 404


def test_reply_with_files_and_status_in_one_action(people, now, ticket, client_for):
    fiona = client_for(people.fiona)
    screenshot = SimpleUploadedFile("screenshot.png", b"\x89PNG fake", content_type="image/png")
    response = fiona.post(f"/tickets/{ticket.number}/reply/", {
        "body": "Fixed, please check", "new_status": factories.status("resolved").pk, "attachments": [screenshot],
    })
    assert response.status_code == 302
    ticket.refresh_from_db()
    reply = ticket.messages.get(body_text="Fixed, please check")
    assert not reply.is_internal and ticket.status.code == "resolved"
    assert [a.filename for a in reply.attachments.all()] == ["screenshot.png"]
    response = fiona.post(f"/tickets/{ticket.number}/reply/", {"body": "   "}, follow=True)
    assert "Write a message or attach a file." in [str(m) for m in response.context["messages"]]


def test_upload_over_the_limit_is_refused_before_anything_is_written(people, ticket, client_for, settings):
    settings.OTKLIK_MAX_UPLOAD_BYTES = 10
    big = SimpleUploadedFile("big.bin", b"x" * 11)
    response = client_for(people.fiona).post(f"/tickets/{ticket.number}/note/",
                                             {"body": "see file", "attachments": [big]}, follow=True)
    assert any("big.bin is larger than" in str(m) for m in response.context["messages"])
    assert not Message.objects.filter(is_internal=True).exists()


def test_note_watchers_links_and_merge(people, now, ticket, client_for):
    other = factories.ticket(requester=people.alice, subject="VPN again", now=now)
    fiona = client_for(people.fiona)
    fiona.post(f"/tickets/{ticket.number}/note/", {"body": "Called her"})
    assert ticket.messages.get(body_text="Called her").is_internal
    fiona.post(f"/tickets/{ticket.number}/watchers/", {"user": "me"})
    fiona.post(f"/tickets/{ticket.number}/watchers/", {"user": people.sam.pk})
    assert set(ticket.watchers.values_list("pk", flat=True)) == {people.fiona.pk, people.sam.pk}
    fiona.post(f"/tickets/{ticket.number}/watchers/", {"user": people.sam.pk, "action": "remove"})
    assert list(ticket.watchers.values_list("pk", flat=True)) == [people.fiona.pk]
    fiona.post(f"/tickets/{ticket.number}/link/", {"other": f"#{other.number}", "kind": "related"})
    assert TicketLink.objects.filter(from_ticket=ticket, to_ticket=other, kind="related").exists()
    unconfirmed = fiona.post(f"/tickets/{ticket.number}/merge/", {"target": other.number})
    assert unconfirmed.status_code == 400  # the page again, the reason under the merge field
    assert "Tick the box to confirm the merge." in unconfirmed.content.decode()
    response = fiona.post(f"/tickets/{ticket.number}/merge/", {"target": other.number, "confirm": "yes"})
    assert response.url == f"/tickets/{other.number}/"
    assert Ticket.objects.get(pk=ticket.pk).merged_into_id == other.pk


def test_actions_on_an_invisible_ticket_answer_404(people, now, client_for):
    hidden = factories.ticket(requester=people.carol, now=now, team=people.second_line)
    fiona = client_for(people.fiona)
    assert fiona.get(f"/tickets/{hidden.number}/").status_code == 404
    assert fiona.get("/tickets/999999/").status_code == 404
    for action in ["reply", "note", "update", "watchers", "link", "merge"]:
        assert fiona.post(f"/tickets/{hidden.number}/{action}/", {"body": "x", "field": "status"}).status_code == 404
    assert not hidden.messages.filter(body_text="x").exists()
    # Linking to a ticket she cannot see says "not found", like a number that does not exist.
    mine = factories.ticket(requester=people.alice, now=now)
    response = fiona.post(f"/tickets/{mine.number}/link/", {"other": hidden.number, "kind": "related"}, follow=True)
    assert "The ticket was not found." in [str(m) for m in response.context["messages"]]


def test_canned_replies_fill_placeholders_for_the_ticket(people, now, ticket, client_for):
    people.fiona.signature = "Fiona, IT support"
    people.fiona.save()
    canned = CannedReply.objects.create(
        title="Hello", body="Hi {requester.first_name}, about #{ticket.number}: done.\n{agent.signature} {bogus.x}",
    )
    personal = CannedReply.objects.create(title="Sam's", body="x", owner=people.sam)
    team_only = CannedReply.objects.create(title="2nd line", body="x", team=people.second_line)
    fiona = client_for(people.fiona)
    # The reply box's pickers come after the page, with its other panels.
    page = fiona.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="reply-tools"' in page and "Hello" not in page
    page = fiona.get(f"/tickets/{ticket.number}/panels/").content.decode()
    assert "Hello" in page and "Sam&#x27;s" not in page and "2nd line" not in page
    assert fiona.get(f"/tickets/{ticket.number}/panels/reply-tools/").content.decode().count("<option") >= 2
    text = fiona.get(f"/tickets/{ticket.number}/canned/{canned.pk}/").content.decode()
    assert text == f"Hi Alice, about #{ticket.number}: done.\nFiona, IT support {{bogus.x}}"
    assert fiona.get(f"/tickets/{ticket.number}/canned/{personal.pk}/").status_code == 404
    assert fiona.get(f"/tickets/{ticket.number}/canned/{team_only.pk}/").status_code == 404
    assert fill_placeholders("{ticket.subject}", ticket=ticket, agent=people.fiona) == "VPN is down"


def test_requester_and_other_tickets_card_shows_only_visible_tickets(people, now, ticket, client_for):
    factories.ticket(requester=people.alice, subject="Visible other", now=now)
    factories.ticket(requester=people.alice, subject="Second-line other", now=now, team=people.second_line)
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/panels/requester/").content.decode()
    assert "Visible other" in html and "Second-line other" not in html


def test_history_hides_nothing_from_staff_but_the_events_the_messages_show(people, now, ticket, client_for):
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now)
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Status: New → Resolved" in html
    assert ticket.events.filter(kind=EventKind.RESOLVED).exists()
