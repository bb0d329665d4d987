"""The queue's tag names (`web.selectors.attach_tag_names`, one read of names) are the tags a prefetch gives, in
the same order, for every row: hostile names included, a row without tags, and no read for no rows."""

from __future__ import annotations

from datetime import datetime

import pytest

from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.testing.queries import count_queries
from otklik.tickets.models import Tag, Ticket
from otklik.web.selectors import attach_tag_names


@pytest.mark.django_db
def test_tag_names_are_the_prefetched_tags_in_their_order(people: Personas, now: datetime) -> None:
    names = ["vpn", "<script>", "a&b", "тег", "Zz", "aa"]
    tags = [Tag.objects.create(name=name) for name in names]
    tickets = [factories.ticket(requester=people.alice, now=now) for _ in range(4)]
    tickets[0].tags.add(*tags)
    tickets[1].tags.add(tags[3], tags[0])
    tickets[3].tags.add(tags[5])
    rows = list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("id"))
    assert count_queries(lambda: attach_tag_names(rows)) == 1
    prefetched = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("id").prefetch_related("tags")
    assert [row.tag_names for row in rows] == [[tag.name for tag in t.tags.all()] for t in prefetched]  # type: ignore[attr-defined]
    assert rows[2].tag_names == []  # type: ignore[attr-defined]
    assert count_queries(lambda: attach_tag_names([])) == 0
