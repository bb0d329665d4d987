"""The requester portal: catalogue rules, request forms, the conversation without notes, rating, links."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import CustomField, SubmitRule, Ticket, TicketRating
from otklik.web.links import ticket_magic_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(people):
    request_type = factories.request_type("printer", name="Printer does not work", name_ru="Не работает принтер",
                                          group="Hardware", requester_sets_priority=True, team=people.first_line)
    CustomField.objects.create(request_type=request_type, code="room", label="Room", label_ru="Кабинет",
                               required=True, order=1)
    CustomField.objects.create(request_type=request_type, code="asset", label="Asset tag", internal_only=True,
                               order=2)
    return request_type


def test_catalogue_offers_only_what_the_requester_may_submit(people, printer, client_for):
    factories.request_type("tender", name="Tender", submit_rule=SubmitRule.DEPARTMENT_HEADS)
    org_only = factories.request_type("orgs", name="Org B service", submit_rule=SubmitRule.ORGANIZATIONS)
    org_only.allowed_organizations.add(people.org_b)
    alice, carol = client_for(people.alice), client_for(people.carol)
    alice_page = alice.get("/portal/new/").content.decode()
    assert "Printer does not work" in alice_page and "Tender" not in alice_page and "Org B service" not in alice_page
    assert "Org B service" in carol.get("/portal/new/").content.decode()
    assert alice.get("/portal/new/tender/").status_code == 404
    assert "Printer" not in alice.get("/portal/new/?q=vpn").content.decode()
    people.alice.is_department_head = True
    people.alice.save()
    assert "Tender" in alice.get("/portal/new/").content.decode()


def test_submit_enforces_required_fields_and_confirms_with_the_number(people, printer, client_for):
    alice = client_for(people.alice)
    form_page = alice.get("/portal/new/printer/").content.decode()
    assert "Asset tag" not in form_page  # internal-only fields are staff's
    assert 'name="priority"' in form_page  # criticality, since this type allows it
    response = alice.post("/portal/new/printer/", {"subject": "Paper jam"})
    assert response.status_code == 200
    assert response.context["form"].errors["field_room"] == ["This field is required."]
    assert not Ticket.objects.exists()
    response = alice.post("/portal/new/printer/", {
        "subject": "Paper jam", "body": "It blinks", "field_room": "305",
        "priority": factories.priority("high").pk,
        "attachments": [SimpleUploadedFile("jam.jpg", b"jpeg", content_type="image/jpeg")],
    })
    ticket = Ticket.objects.get()
    assert response.url == f"/portal/requests/{ticket.number}/created/"
    assert (ticket.fields, ticket.priority.code, ticket.team, ticket.requester) == (
        {"room": "305"}, "high", people.first_line, people.alice)
    assert ticket.attachments.get().filename == "jam.jpg"
    confirmation = alice.get(response.url).content.decode()
    assert f"#{ticket.number}" in confirmation


def test_requester_upload_limit(people, printer, client_for, settings):
    settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = 3
    response = client_for(people.alice).post("/portal/new/printer/", {
        "subject": "x", "field_room": "1", "attachments": [SimpleUploadedFile("big.pdf", b"1234")]})
    assert "big.pdf is larger than" in str(response.context["form"].errors["attachments"])
    assert not Ticket.objects.exists()


def test_conversation_never_shows_internal_notes_or_their_files(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, subject="Mail", body="Mail is down", now=now)
    note = services.ticket_add_note(
        actor=people.fiona, ticket_id=ticket.pk, body_text="SECRET-NOTE", now=now,
        attachments=[InboundAttachment(filename="secret.txt", content=b"s")],
    )
    reply = services.ticket_reply(
        actor=people.fiona, ticket_id=ticket.pk, body_text="We are on it", now=now,
        attachments=[InboundAttachment(filename="howto.txt", content=b"h")],
    )
    alice = client_for(people.alice)
    html = alice.get(f"/tickets/{ticket.number}/").content.decode()
    assert "We are on it" in html and "howto.txt" in html
    assert "SECRET-NOTE" not in html and "secret.txt" not in html
    assert alice.get(f"/files/{note.attachments.get().token}/").status_code == 404
    download = alice.get(f"/files/{reply.attachments.get().token}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"h"
    assert client_for(people.carol).get(f"/files/{reply.attachments.get().token}/").status_code == 404
    assert client_for(people.fiona).get(f"/files/{note.attachments.get().token}/").status_code == 200


def test_other_requesters_get_404(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)
    assert client_for(people.carol).get(f"/tickets/{ticket.number}/").status_code == 404
    assert client_for(people.bob).get(f"/tickets/{ticket.number}/").status_code == 404  # org A does not share
    assert client_for(people.carol).post(f"/portal/requests/{ticket.number}/reply/", {"body": "hi"}).status_code == 404
    anonymous = Client().get(f"/tickets/{ticket.number}/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_shared_organization_tab(people, now, client_for):
    people.org_a.shares_tickets = True
    people.org_a.save()
    factories.ticket(requester=people.bob, subject="Bob's request", now=now)
    alice = client_for(people.alice)
    assert "Bob&#x27;s request" not in alice.get("/portal/").content.decode()
    assert "Bob&#x27;s request" in alice.get("/portal/?scope=organization").content.decode()
    assert "Bob&#x27;s request" not in client_for(people.carol).get("/portal/?scope=organization").content.decode()


def test_my_requests_lists_watched_tickets_once(people, now, client_for):
    own = factories.ticket(requester=people.alice, subject="Alice's own request", now=now)
    watched = factories.ticket(requester=people.bob, subject="Bob's watched request", now=now)
    factories.ticket(requester=people.bob, subject="Bob's other request", now=now)
    for ticket in (own, watched):  # watching her own request too: it must not be listed twice
        services.ticket_watch(actor=people.adam, ticket_id=ticket.pk, user_id=people.alice.pk, now=now)
    page = client_for(people.alice).get("/portal/").content.decode()
    assert page.count("Alice&#x27;s own request") == 1 and page.count("Bob&#x27;s watched request") == 1
    assert "Bob&#x27;s other request" not in page


def test_list_costs_the_same_queries_for_2_and_20_requests(people, now, client_for):
    alice = client_for(people.alice)
    for _ in range(2):
        factories.ticket(requester=people.alice, now=now)
    two = count_queries(lambda: alice.get("/portal/"))
    for _ in range(18):
        factories.ticket(requester=people.alice, now=now)
    assert count_queries(lambda: alice.get("/portal/")) == two


def test_reply_close_reopen_and_rate_once(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)
    alice = client_for(people.alice)
    alice.post(f"/portal/requests/{ticket.number}/reply/", {"body": "Any news?"})
    assert ticket.messages.filter(body_text="Any news?", is_internal=False).exists()
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now)
    page = alice.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Rate the answer" in page
    response = alice.post(f"/portal/requests/{ticket.number}/rate/", {"score": "2", "comment": "Still broken"},
                          follow=True)
    assert TicketRating.objects.get(ticket=ticket).score == 2
    page = response.content.decode()
    assert "Would you like us to look again?" in page and "Rate the answer" not in page
    again = alice.post(f"/portal/requests/{ticket.number}/rate/", {"score": "5"}, follow=True)
    assert TicketRating.objects.count() == 1
    assert "Rate the answer" not in again.content.decode()
    alice.post(f"/portal/requests/{ticket.number}/reopen/")
    ticket.refresh_from_db()
    assert ticket.status.kind == "open"
    alice.post(f"/portal/requests/{ticket.number}/close/")
    ticket.refresh_from_db()
    assert ticket.status.kind == "closed"
    closed_reply = alice.post(f"/portal/requests/{ticket.number}/reply/", {"body": "one more"}, follow=True)
    assert "This ticket is closed. Please open a new request." in [str(m) for m in closed_reply.context["messages"]]


def test_magic_link_opens_one_ticket_for_a_limited_time(people, now, settings):
    settings.OTKLIK_MAGIC_LINK_DAYS = 2
    ticket = factories.ticket(requester=people.alice, subject="By email", now=now)
    other = factories.ticket(requester=people.alice, subject="Another one", now=now)
    link = ticket_magic_link(ticket, people.alice)
    assert link.startswith("/r/")
    visitor = Client()
    response = visitor.get(link)
    assert response["Location"] == f"/tickets/{ticket.number}/"
    page = visitor.get(response["Location"]).content.decode()
    assert "By email" in page
    visitor.post(f"/portal/requests/{ticket.number}/reply/", {"body": "Thanks, via the link"})
    assert ticket.messages.get(body_text="Thanks, via the link").author == people.alice
    # Only that ticket, and nothing else of the account.
    assert visitor.get(f"/tickets/{other.number}/").status_code == 302
    assert visitor.get("/portal/").status_code == 302
    # Tampered or expired tokens open nothing.
    assert Client().get(link[:-3] + "xyz/").status_code == 404
    with time_machine.travel(timedelta(days=3), tick=False):
        late = Client()
        assert late.get(link).status_code == 404
    # Staff accounts never sign in by link.
    assert Client().get(ticket_magic_link(ticket, people.fiona)).status_code == 404


def test_granted_session_expires_with_the_link(people, now, settings):
    settings.OTKLIK_MAGIC_LINK_DAYS = 1
    ticket = factories.ticket(requester=people.alice, now=now)
    visitor = Client()
    visitor.get(ticket_magic_link(ticket, people.alice))
    assert visitor.get(f"/tickets/{ticket.number}/").status_code == 200
    with time_machine.travel(timedelta(days=1, minutes=1)):
        assert visitor.get(f"/tickets/{ticket.number}/").status_code == 302


def test_a_changed_request_type_counts_on_the_next_submit(people, printer, client_for):
    """The form's request type comes from the cached configuration (creates round 5): a change of the type, its
    fields or its routing is seen by the very next submit, and a switched-off type is gone at once."""
    alice = client_for(people.alice)
    form = {"subject": "Paper jam", "body": "It blinks", "field_room": "305"}
    assert alice.post("/portal/new/printer/", form).status_code == 302
    category = factories.category("Printers")

    printer.team = people.second_line
    printer.category = category
    printer.save()
    CustomField.objects.create(request_type=printer, code="floor", label="Floor", required=True, order=3)

    refused = alice.post("/portal/new/printer/", form)
    assert refused.status_code == 200 and "field_floor" in refused.context["form"].errors
    assert alice.post("/portal/new/printer/", {**form, "field_floor": "3"}).status_code == 302
    latest = Ticket.objects.order_by("-id").first()
    assert latest is not None
    assert (latest.team, latest.category, latest.fields) == (people.second_line, category,
                                                             {"room": "305", "floor": "3"})

    printer.is_active = False
    printer.save()
    assert alice.get("/portal/new/printer/").status_code == 404
    assert alice.post("/portal/new/printer/", {**form, "field_floor": "3"}).status_code == 404
    assert Ticket.objects.count() == 2
