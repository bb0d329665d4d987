"""Request types say who may submit them; every intake channel that exists enforces the same rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from otklik.accounts.models import User
from otklik.api import selectors as api_selectors
from otklik.api.tokens import token_create
from otklik.core.errors import PermissionDenied
from otklik.testing.personas import Personas
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets import services
from otklik.tickets.inbound import InboundMessage
from otklik.tickets.models import RequestType, SubmitRule, Ticket
from otklik.web import selectors as web_selectors


def _via_service(user: User, request_type: RequestType, now: datetime) -> bool:
    try:
        services.ticket_create(actor=user, requester=user, subject="Tender", body_text="please",
                               request_type=request_type, now=now)
    except PermissionDenied:
        return False
    return True


def _via_intake(user: User, request_type: RequestType, now: datetime) -> bool:
    """Email, Telegram and chat adapters hand their InboundMessage to ticket_ingest."""
    try:
        services.ticket_ingest(inbound=InboundMessage(
            sender_email=user.email, channel="email", subject="Tender", body_text="please",
            request_type_code=request_type.code, external_id=f"<{user.pk}-{request_type.code}@mail>",
        ), now=now)
    except PermissionDenied:
        return False
    return True


def _via_portal(user: User, request_type: RequestType, now: datetime) -> bool:
    try:
        url = reverse("portal_submit", args=[request_type.code])
    except NoReverseMatch:
        pytest.skip("the portal is not mounted")
    client = Client()
    client.force_login(user)
    before = Ticket.objects.filter(request_type=request_type).count()
    page = client.get(url)
    if page.status_code == 404:
        assert client.post(url, {"subject": "Tender", "body": "please"}).status_code == 404
        assert Ticket.objects.filter(request_type=request_type).count() == before
        return False
    assert page.status_code == 200
    client.post(url, {"subject": "Tender", "body": "please"})
    return Ticket.objects.filter(request_type=request_type).count() == before + 1


CHANNELS: dict[str, Callable[[User, RequestType, datetime], bool]] = {
    "service": _via_service, "intake": _via_intake, "portal": _via_portal,
}


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_department_heads_only(people: Personas, now: datetime, channel: str) -> None:
    tenders = RequestType.objects.create(code="tender", name="Tender", submit_rule=SubmitRule.DEPARTMENT_HEADS)
    people.bob.is_department_head = True
    people.bob.save()
    submit = CHANNELS[channel]
    assert not submit(people.alice, tenders, now)
    assert submit(people.bob, tenders, now)
    assert Ticket.objects.filter(request_type=tenders, requester=people.alice).count() == 0


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_chosen_organizations_only(people: Personas, now: datetime, channel: str) -> None:
    payroll = RequestType.objects.create(code="payroll", name="Payroll", submit_rule=SubmitRule.ORGANIZATIONS)
    payroll.allowed_organizations.add(people.org_a)
    submit = CHANNELS[channel]
    assert not submit(people.carol, payroll, now)
    assert submit(people.alice, payroll, now)


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_staff_only_types_refuse_requesters(people: Personas, now: datetime, channel: str) -> None:
    internal = RequestType.objects.create(code="access-change", name="Access", submit_rule=SubmitRule.STAFF)
    assert not CHANNELS[channel](people.alice, internal, now)


# ---------------------------------------------------------------- on behalf (issue 11: one submit rule)


def _on_behalf_service(agent: User, requester: User, request_type: RequestType, now: datetime) -> bool:
    try:
        services.ticket_create_on_behalf(actor=agent, requester=requester, subject="Access", body_text="by phone",
                                         request_type=request_type, now=now)
    except PermissionDenied:
        return False
    return True


def _on_behalf_api(agent: User, requester: User, request_type: RequestType, now: datetime) -> bool:
    token = token_create(actor=agent, user=agent, name="t", scopes=("read", "write"), now=now)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    answer = client.post("/api/v1/tickets/", {"subject": "Access", "requester": requester.pk,
                                              "request_type": request_type.code}, format="json")
    assert answer.status_code in {201, 403}, answer.content
    return answer.status_code == 201


def _on_behalf_phone_form(agent: User, requester: User, request_type: RequestType, now: datetime) -> bool:
    client = Client()
    client.force_login(agent)
    before = Ticket.objects.filter(request_type=request_type).count()
    client.post(reverse("ticket_new"), {"requester_email": requester.email, "subject": "Access", "body": "by phone",
                                        "source": "phone", "request_type": request_type.pk})
    return Ticket.objects.filter(request_type=request_type).count() == before + 1


ON_BEHALF: dict[str, Callable[[User, User, RequestType, datetime], bool]] = {
    "service": _on_behalf_service, "api": _on_behalf_api, "phone_form": _on_behalf_phone_form,
}


@pytest.mark.parametrize("channel", sorted(ON_BEHALF))
def test_staff_filing_for_a_requester_may_use_staff_only_types(people: Personas, now: datetime, channel: str) -> None:
    """Decided in issue 11: the staff member classifies a phoned-in request, so staff-only types are open;
    the requester still may not pick them themselves."""
    internal = RequestType.objects.create(code="access-change", name="Access", submit_rule=SubmitRule.STAFF)
    assert ON_BEHALF[channel](people.fiona, people.alice, internal, now)
    assert Ticket.objects.get(request_type=internal).requester == people.alice
    assert not _via_service(people.alice, internal, now)


@pytest.mark.parametrize("channel", sorted(ON_BEHALF))
def test_on_behalf_keeps_the_requesters_organization_rule(people: Personas, now: datetime, channel: str) -> None:
    payroll = RequestType.objects.create(code="payroll", name="Payroll", submit_rule=SubmitRule.ORGANIZATIONS)
    payroll.allowed_organizations.add(people.org_a)
    assert ON_BEHALF[channel](people.fiona, people.alice, payroll, now)
    assert not ON_BEHALF[channel](people.fiona, people.carol, payroll, now)


def test_every_listing_is_the_one_submit_rule(people: Personas) -> None:
    """The portal catalogue, the API list, the bot's menu and the service check answer alike for everyone."""
    people.bob.is_department_head = True
    people.bob.save()
    types = [
        RequestType.objects.create(code="all", name="All"),
        RequestType.objects.create(code="heads", name="Heads", submit_rule=SubmitRule.DEPARTMENT_HEADS),
        RequestType.objects.create(code="staff", name="Staff", submit_rule=SubmitRule.STAFF),
        RequestType.objects.create(code="orgs", name="Orgs", submit_rule=SubmitRule.ORGANIZATIONS),
    ]
    types[3].allowed_organizations.add(people.org_a, people.org_b)
    for user in people.all_users().values():
        expected = {t.code for t in types if ticket_selectors.request_type_may_submit(user, t)}
        assert {t.code for t in web_selectors.request_types_for(user)} == expected, user
        assert {t.code for t in api_selectors.request_types_for(user)} == expected, user
        assert {t.code for t in ticket_selectors.request_types_submittable(user)} == expected, user
    assert {t.code for t in web_selectors.request_types_for(people.bob)} == {"all", "heads", "orgs"}
    assert {t.code for t in web_selectors.request_types_for(people.fiona)} == {"all", "heads", "staff", "orgs"}
