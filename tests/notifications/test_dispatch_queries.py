"""The notification worker handles a batch of events with a fixed number of statements (issue #16, round 3).

Before this round each event cost about eight statements and two savepoint pairs (its claim, its handler,
its ticket, watchers, message, actor, templates, preferences, the recipient's access, each bell row in a
savepoint). Mail notices still cost the email channel's own statements each (`outbound_enqueue`), so the
people here keep mail off for these topics and the count is the worker's own.
"""

from __future__ import annotations

import pytest

from otklik.notifications import outbox, topics
from otklik.notifications.models import Notification, NotificationPreference, OutboxReceipt
from otklik.notifications.services import OUTBOX_CONSUMER, notifications_process
from otklik.testing import factories
from otklik.testing.queries import count_queries
from otklik.tickets import changes, services
from otklik.tickets.models import Source, TicketEvent

pytestmark = pytest.mark.django_db

# A run of one batch (savepoints included, the test runs in a transaction): the cursor, the pending events,
# their receipts (one INSERT), the batch's savepoint pair, tickets, watchers, messages, the assignees named
# by assignment events, the actors, templates, preferences; the access reads of the recipients who are not
# the ticket's requester, per person and not per event (Bob: his organization and his scope; Sam: his teams
# and his scope); the keys delivered before, the bell rows (one INSERT); then the cursor's advance check.
DISPATCH = 26


def _email_requests(people, now, count: int) -> None:
    """What email intake records: a new request by email and the requester's reply, for `count` tickets
    assigned to Sam and watched by Bob."""
    for number in range(count):
        ticket = factories.ticket(requester=people.alice, source=Source.EMAIL, subject=f"Request {number}",
                                  watchers=[people.bob], now=now)
        changes.ticket_assign(actor=None, ticket_id=ticket.pk, assignee=people.sam, now=now)
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="More details.", now=now)


def test_a_batch_of_events_costs_the_same_statements_for_2_tickets_as_for_8(people, now):
    for person, topic in ((people.bob, topics.WATCHER_UPDATE), (people.sam, topics.ASSIGNEE_ASSIGNED),
                          (people.sam, topics.ASSIGNEE_REQUESTER_REPLIED)):
        NotificationPreference.objects.create(user=person, topic=topic, email=False, in_app=True)
    notifications_process(now=now)  # whatever the set-up recorded
    _email_requests(people, now, 2)
    few = count_queries(lambda: notifications_process(now=now))
    _email_requests(people, now, 8)
    many = count_queries(lambda: notifications_process(now=now))

    assert (few, many) == (DISPATCH, DISPATCH)
    # And the work was done: per ticket Alice's "received", Sam's "assigned" and "the requester replied",
    # Bob's two watcher updates (created, replied); Alice hears nothing of her own reply.
    assert Notification.objects.filter(topic=topics.REQUESTER_RECEIVED, recipient=people.alice).count() == 10
    assert Notification.objects.filter(recipient=people.sam).count() == 20
    assert Notification.objects.filter(topic=topics.WATCHER_UPDATE, recipient=people.bob).count() == 20


def test_a_failing_batch_is_handled_event_by_event_and_only_the_broken_event_fails(people, now):
    notifications_process(now=now)
    factories.ticket(requester=people.alice, now=now)
    factories.ticket(requester=people.alice, now=now)
    first, second = TicketEvent.objects.order_by("-pk")[:2][::-1]
    seen: list[object] = []

    def batch(events):
        seen.append([event.pk for event in events])
        Notification.objects.create(recipient=people.alice, topic=topics.AUTOMATION_NOTICE, title="rolled back",
                                    dedupe_key="batch", created_at=now)
        raise RuntimeError("one bad event")

    def one(event):
        if event.pk == first.pk:
            raise RuntimeError("template server down")
        seen.append(event.pk)

    outbox.outbox_run(consumer="test.batch", handler=one, batch_handler=batch, now=now)
    assert seen == [[first.pk, second.pk], second.pk]
    assert not Notification.objects.filter(dedupe_key="batch").exists()  # the batch's writes are rolled back
    states = dict(OutboxReceipt.objects.filter(consumer="test.batch").values_list("event_id", "state"))
    assert states == {first.pk: "failed", second.pk: "done"}
    assert OUTBOX_CONSUMER != "test.batch"
