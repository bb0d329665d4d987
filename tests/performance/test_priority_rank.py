"""Ticket.priority_rank follows the ticket's priority and the priority's rank; the sort uses its index."""

from __future__ import annotations

import pytest
from django.db import connection

from otklik.testing import factories
from otklik.tickets import changes, selectors
from otklik.tickets.models import Priority, Ticket

pytestmark = pytest.mark.django_db


def test_rank_follows_priority_changes_and_rank_edits(people, now):
    low = Priority.objects.create(code="low-x", name="Low", rank=1)
    high = Priority.objects.create(code="high-x", name="High", rank=9)
    first = factories.ticket(requester=people.alice, actor=people.fiona, priority=low, now=now)
    second = factories.ticket(requester=people.alice, actor=people.fiona, priority=low, now=now)
    assert Ticket.objects.get(pk=first.pk).priority_rank == 1
    changes.ticket_change_priority(actor=people.fiona, ticket_id=second.pk, priority=high, now=now)
    assert Ticket.objects.get(pk=second.pk).priority_rank == 9
    low.rank = 20
    low.save()
    assert Ticket.objects.get(pk=first.pk).priority_rank == 20
    ordered = list(selectors.ticket_list(people.adam, sort="priority").values_list("pk", flat=True))
    assert ordered.index(first.pk) < ordered.index(second.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the plan")
def test_open_by_priority_sort_walks_the_rank_index(people, now):
    factories.ticket(requester=people.alice, now=now)
    query = selectors.ticket_list(people.adam, sort="priority").order_by("-priority_rank", "-updated_at", "-id")[:50]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_priority_rank" in plan, plan
