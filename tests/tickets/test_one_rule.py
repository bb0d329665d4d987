"""Issue 11, "one rule, one path": each rule below is one function, and every channel that needs it calls
that function, so the channels cannot drift apart again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from otklik.accounts.models import Role, User
from otklik.accounts.services import requester_for_email
from otklik.core.errors import InvalidInput
from otklik.testing.personas import Personas
from otklik.tickets import changes, services, uploads
from otklik.tickets.inbound import InboundMessage

# ---------------------------------------------------------------- requester from an email address


def test_every_channel_makes_the_same_requester_from_an_address(people: Personas, now: datetime) -> None:
    services.ticket_ingest(inbound=InboundMessage(
        sender_email=" Nina.Newton@B.example ", sender_name="Nina   Newton", channel="email", subject="Hi",
        body_text="hello", external_id="<nina@mail>", watcher_emails=("Pavel@a.example",),
    ), now=now)
    nina = User.objects.get(email="nina.newton@b.example")
    assert (nina.first_name, nina.last_name, nina.organization, nina.role) == ("Nina", "Newton", people.org_b,
                                                                               Role.REQUESTER)
    assert not nina.has_usable_password()
    client = Client()
    client.force_login(people.fiona)
    client.post("/tickets/new/", {"requester_email": "Olga@A.example", "requester_name": " Olga  Orlova ",
                                  "subject": "Call", "body": "by phone", "source": "phone"})
    olga = User.objects.get(email="olga@a.example")
    assert (olga.first_name, olga.last_name, olga.organization) == ("Olga", "Orlova", people.org_a)
    assert User.objects.get(email="pavel@a.example").organization == people.org_a
    assert requester_for_email("NINA.newton@b.example") == nina  # found, not made twice


def test_a_bad_address_names_the_callers_field(db: None) -> None:
    with pytest.raises(InvalidInput) as caught:
        requester_for_email("not-an-address", error_field="requester_email")
    assert set(caught.value.errors) == {"requester_email"}


def test_no_ticket_on_behalf_of_a_disabled_account(people: Personas, now: datetime) -> None:
    people.alice.is_active = False
    people.alice.save()
    with pytest.raises(InvalidInput):
        services.ticket_create_on_behalf(actor=people.fiona, requester=people.alice, subject="Call",
                                         body_text="", now=now)


# ---------------------------------------------------------------- upload limit


def test_one_upload_limit_for_forms_services_and_the_api(people: Personas, now: datetime, settings: Any) -> None:
    from rest_framework.test import APIClient

    import otklik.web.forms
    from otklik.api.tokens import token_create
    from otklik.testing import factories

    assert vars(otklik.web.forms)["upload_limit"] is uploads.upload_limit
    settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = 10
    settings.OTKLIK_MAX_UPLOAD_BYTES = 1000
    assert (uploads.upload_limit(people.alice), uploads.upload_limit(None)) == (10, 10)
    assert uploads.upload_limit(people.fiona) == 1000
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    client = APIClient()
    token = token_create(actor=people.alice, user=people.alice, name="t", scopes=("read", "write"), now=now)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    upload = SimpleUploadedFile("big.txt", b"x" * 50, content_type="text/plain")
    answer = client.post(f"/api/v1/tickets/{ticket.number}/attachments/", {"file": upload}, format="multipart")
    # Refused by the requester's limit before the file is read, with the field named.
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == {"file"}


# ---------------------------------------------------------------- category subtree


def test_one_subtree_rule_for_reports_automation_and_sla(people: Personas, now: datetime) -> None:
    from otklik.automation.conditions import MatchContext, conditions_match, conditions_q
    from otklik.automation.models import AssignmentRule
    from otklik.reports.filters import category_subtree
    from otklik.sla.models import SlaPolicy
    from otklik.sla.policies import PolicyBook, TicketFacts
    from otklik.testing import factories
    from otklik.tickets.models import Category, Ticket, category_in_subtree

    hardware = factories.category("Hardware")
    printers = factories.category("Printers", parent=hardware)
    lasers = factories.category("Lasers", parent=printers)
    lookalike = factories.category("Hardware extra")  # shares the name's prefix, not the path
    expected = {hardware.pk, printers.pk, lasers.pk}
    everything = list(Category.objects.all())
    assert {c.pk for c in everything if category_in_subtree(hardware, pk=c.pk, path=c.path)} == expected
    assert set(category_subtree(hardware.pk)) == expected

    rule = AssignmentRule.objects.create(name="tree", include_subcategories=True)
    rule.categories.set([hardware])
    tickets = {c.pk: factories.ticket(requester=people.alice, category=c, now=now) for c in everything}
    matched = {pk for pk, t in tickets.items() if conditions_match(rule, t, MatchContext(at=now))}
    queried = set(Ticket.objects.filter(conditions_q(rule)).values_list("category_id", flat=True))
    assert matched == queried == expected

    policy = SlaPolicy.objects.exclude(is_default=True).first() or SlaPolicy.objects.first()
    if policy is None:
        pytest.skip("no SLA policy configured by the migrations")
    policy.include_subcategories = True
    policy.is_default = False
    policy.is_active = True
    policy.save()
    policy.categories.set([hardware])
    book = PolicyBook()
    by_sla = {c.pk for c in everything if book.match(TicketFacts(None, c.pk, None, None)) == policy}
    assert by_sla == expected
    assert lookalike.pk not in by_sla


# ---------------------------------------------------------------- rules that lived in views


def test_only_staff_route_a_new_ticket_in_every_channel(people: Personas, now: datetime) -> None:
    from otklik.core.errors import PermissionDenied

    for options in ({"team": people.second_line}, {"watchers": [people.bob]}):
        with pytest.raises(PermissionDenied):
            services.ticket_create(actor=people.alice, requester=people.alice, subject="Mine", now=now, **options)
    ticket = services.ticket_create_on_behalf(actor=people.fiona, requester=people.alice, subject="Routed",
                                              body_text="", team=people.second_line, watchers=[people.bob], now=now)
    assert ticket.team == people.second_line and list(ticket.watchers.all()) == [people.bob]
    # An email's Cc'd people are the channel's routing, not the sender's choice: still watchers.
    result = services.ticket_ingest(inbound=InboundMessage(
        sender_email=people.alice.email, channel="email", subject="Copying Bob", body_text="hi",
        external_id="<cc@mail>", watcher_emails=(people.bob.email,), team_id=people.first_line.pk,
    ), now=now)
    assert result.ticket.team == people.first_line and list(result.ticket.watchers.all()) == [people.bob]


def test_may_rate_is_the_one_answer_for_portal_bot_and_service(people: Personas, now: datetime) -> None:
    from otklik.core.errors import PermissionDenied
    from otklik.telegram.requests import ticket_buttons
    from otklik.testing import factories
    from otklik.tickets import selectors
    from otklik.tickets.models import RATING_LOW_SCORE

    people.org_a.shares_tickets = True
    people.org_a.save()
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now)
    ticket.refresh_from_db()

    def rate_buttons(user: User) -> bool:
        return any(button["callback_data"].startswith("rate:") for row in ticket_buttons(ticket, user)
                   for button in row)

    # Bob sees the ticket through his organization but did not ask: neither offered nor allowed to rate.
    assert not selectors.may_rate(people.bob, ticket) and not rate_buttons(people.bob)
    with pytest.raises(PermissionDenied):
        changes.ticket_rate(actor=people.bob, ticket_id=ticket.pk, score=5, now=now)
    assert selectors.may_rate(people.alice, ticket) and rate_buttons(people.alice)
    rating = changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=RATING_LOW_SCORE, now=now)
    assert rating.is_low
    assert not selectors.may_rate(people.alice, ticket) and not rate_buttons(people.alice)


def test_the_public_side_is_one_selector(people: Personas, now: datetime) -> None:
    from otklik.accounts import access
    from otklik.testing import factories

    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Public answer", now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="Secret note", now=now)
    for viewer in (people.alice, people.fiona, people.adam):
        texts = {m.body_text for m in access.messages_public_side(viewer, ticket)}
        assert texts == {"It does not print.", "Public answer"}, viewer
    assert not access.messages_public_side(people.carol, ticket).exists()
