from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from otklik.accounts.models import User
from otklik.api.tokens import token_create
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Attachment, Message, Ticket

ClientFor = Callable[..., APIClient]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for(now: datetime) -> ClientFor:
    def make(user: User, scopes: tuple[str, ...] = ("read", "write")) -> APIClient:
        issued = token_create(actor=user, user=user, name="test", scopes=scopes, now=now)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        return client

    return make


@dataclass(frozen=True)
class World:
    """Alice's ticket in the first line with a public reply and an internal note (each with a file),
    Carol's in the second line, and Bob's not yet routed to any team."""

    alice_ticket: Ticket
    carol_ticket: Ticket
    bob_ticket: Ticket
    reply: Message
    note: Message
    reply_file: Attachment
    note_file: Attachment


@pytest.fixture
def world(people: Personas, now: datetime) -> World:
    alice_ticket = factories.ticket(requester=people.alice, subject="VPN is down", team=people.first_line, now=now)
    carol_ticket = factories.ticket(requester=people.carol, subject="Mail quota", team=people.second_line, now=now)
    bob_ticket = factories.ticket(requester=people.bob, subject="New laptop", now=now)
    reply = services.ticket_reply(
        actor=people.fiona,
        ticket_id=alice_ticket.pk,
        body_text="Try reconnecting.",
        attachments=[InboundAttachment("howto.txt", b"public steps", "text/plain")],
        now=now,
    )
    note = services.ticket_add_note(
        actor=people.fiona,
        ticket_id=alice_ticket.pk,
        body_text="Her account is locked in AD.",
        attachments=[InboundAttachment("ad-dump.txt", b"secret internal", "text/plain")],
        now=now,
    )
    return World(
        alice_ticket=Ticket.objects.get(pk=alice_ticket.pk),
        carol_ticket=carol_ticket,
        bob_ticket=bob_ticket,
        reply=reply,
        note=note,
        reply_file=reply.attachments.get(),
        note_file=note.attachments.get(),
    )
