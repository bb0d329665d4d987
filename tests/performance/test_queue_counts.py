"""Queue counts: active queues counted over active tickets only, the administrator's "all" estimated at scale."""

from __future__ import annotations

import pytest
from django.db import connection

from otklik.testing import factories
from otklik.tickets import services
from otklik.web import queues

pytestmark = pytest.mark.django_db


def test_closed_tickets_count_only_in_all(people, now):
    factories.ticket(requester=people.alice, team=people.first_line, now=now)
    done = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    services.ticket_assign(actor=people.fiona, ticket_id=done.pk, assignee=people.fiona, now=now)
    services.ticket_close(actor=people.fiona, ticket_id=done.pk, now=now)
    counts = queues.queue_counts(people.fiona)
    assert (counts["unassigned"], counts["mine"], counts["all"]) == (1, 0, 2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the planner's estimate")
def test_administrators_all_count_is_the_estimate_at_a_large_desk(people, now, monkeypatch):
    factories.ticket(requester=people.alice, now=now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'tickets_ticket'::regclass")
        estimate = cursor.fetchone()[0]
    monkeypatch.setattr(queues, "ESTIMATE_ABOVE", estimate - 1)
    assert queues.queue_counts(people.adam)["all"] == estimate
    assert queues.queue_counts(people.fiona)["all"] == 1  # others: exact, within their scope
    monkeypatch.setattr(queues, "ESTIMATE_ABOVE", estimate)
    assert queues.queue_counts(people.adam)["all"] == 1
