"""The portal tells a requester when to expect the first answer: the reaction clock's due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse

from otklik.sla.selectors import promised_reply_by
from otklik.testing import factories
from otklik.tickets import services


def test_requester_sees_the_reaction_due_time_until_the_first_answer(client, sla, people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    due = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 60 working minutes after 12:00 Moscow time
    assert promised_reply_by(ticket, now) == due
    assert promised_reply_by(ticket, due + timedelta(seconds=1)) is None  # a missed promise is not repeated

    client.force_login(people.alice)
    with time_machine.travel(now, tick=False):
        page = client.get(reverse("ticket", args=[ticket.number])).content.decode()
    assert 'id="reply-by"' in page

    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Looking into it", now=now)
    assert promised_reply_by(ticket, now) is None
    with time_machine.travel(now, tick=False):
        page = client.get(reverse("ticket", args=[ticket.number])).content.decode()
    assert 'id="reply-by"' not in page
