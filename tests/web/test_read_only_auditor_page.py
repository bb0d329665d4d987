"""A read-only auditor sees a ticket page with every control disabled and no answer editor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otklik.testing import factories

pytestmark = pytest.mark.django_db


def test_auditor_page_is_read_only_and_agent_page_is_not(client, people, now):
    ticket = factories.ticket(requester=people.alice, now=now, team=people.first_line, actor=people.fiona)
    url = reverse("ticket", args=[ticket.number])

    client.force_login(people.rita)
    page = client.get(url).content.decode()
    assert 'id="read-only-notice"' in page
    assert '<fieldset class="ticket-fieldset" disabled>' in page
    assert reverse("ticket_reply", args=[ticket.number]) not in page

    client.force_login(people.fiona)
    page = client.get(url).content.decode()
    assert 'id="read-only-notice"' not in page
    assert '<fieldset class="ticket-fieldset">' in page
    assert reverse("ticket_reply", args=[ticket.number]) in page
