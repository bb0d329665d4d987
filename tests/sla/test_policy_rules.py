"""The policy that applies to one ticket comes from remembered rules (issue #16, create path round 8):
no read of the policy book per create or reply, the same answer as the book, and no stale policy used."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.sla.models import SlaPolicy
from otklik.sla.policies import PolicyBook, TicketFacts, policy_for
from otklik.testing import factories


def _policy_reads(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return sum('FROM "sla_slapolicy"' in query["sql"] for query in captured.captured_queries)


def test_a_create_that_matches_no_policy_reads_no_policy(people, now):
    for policy in SlaPolicy.objects.filter(is_active=True):  # a desk without SLA levels
        policy.is_active = False
        policy.save()
    factories.ticket(requester=people.alice, now=now)  # warm: the rules are remembered

    assert _policy_reads(lambda: factories.ticket(requester=people.alice, now=now)) == 0


def test_the_matching_policy_is_read_alone_and_equals_the_books(sla, people, now):
    urgent = factories.priority("high")
    fast = SlaPolicy.objects.create(name="Fast", schedule=sla.schedule, position=5, reaction_minutes=10)
    fast.priorities.set([urgent])
    facts = TicketFacts(None, None, None, urgent.pk)
    policy_for(facts)  # warm

    with CaptureQueriesContext(connection) as captured:
        found = policy_for(facts)

    assert found == PolicyBook().match(facts) == fast
    assert len(captured.captured_queries) == 1  # the policy row with its schedule, not the book
    assert found is not None and SlaPolicy.schedule.is_cached(found)
    assert policy_for(TicketFacts(None, None, None, None)) == sla.standard


def test_a_changed_match_set_is_seen_by_the_next_ticket(sla, people, now):
    urgent, low = factories.priority("high"), factories.priority("normal")
    fast = SlaPolicy.objects.create(name="Fast", schedule=sla.schedule, position=5, reaction_minutes=10)
    fast.priorities.set([urgent])
    assert policy_for(TicketFacts(None, None, None, low.pk)) == sla.standard  # remembered

    fast.priorities.add(low)  # m2m change drops the remembered rules

    assert policy_for(TicketFacts(None, None, None, low.pk)) == fast


def test_a_policy_switched_off_elsewhere_is_not_used(sla, people, now):
    """Another process's change reaches this one's memory only after OTKLIK_LOOKUP_CACHE_SECONDS: the rows
    decide meanwhile (here the change bypasses signals, as another process's would)."""
    urgent = factories.priority("high")
    fast = SlaPolicy.objects.create(name="Fast", schedule=sla.schedule, position=5, reaction_minutes=10)
    fast.priorities.set([urgent])
    facts = TicketFacts(None, None, None, urgent.pk)
    assert policy_for(facts) == fast

    SlaPolicy.objects.filter(pk=fast.pk).update(is_active=False)

    assert policy_for(facts) == sla.standard


def test_a_deleted_row_of_a_match_set_is_seen_by_the_next_ticket(sla, people, now):
    """Deleting the only organization of a policy empties its set (the link goes without a signal), and an
    empty set matches every ticket: the remembered rules follow the book."""
    from otklik.accounts.models import Organization

    only = Organization.objects.create(name="Gone Ltd")
    narrow = SlaPolicy.objects.create(name="Narrow", schedule=sla.schedule, position=5, reaction_minutes=10)
    narrow.organizations.set([only])
    facts = TicketFacts(None, None, None, None)
    assert policy_for(facts) == sla.standard  # remembered

    only.delete()

    assert policy_for(facts) == PolicyBook().match(facts) == narrow
