"""Request types say who may submit them; every intake channel that exists enforces the same rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from otklik.accounts.models import User
from otklik.core.errors import PermissionDenied
from otklik.testing.personas import Personas
from otklik.tickets import services
from otklik.tickets.inbound import InboundMessage
from otklik.tickets.models import RequestType, SubmitRule, Ticket


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
