"""Queue counts from kept counts (issue #16): exact, inside each viewer's scope, after every kind of write."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from otklik.accounts.access import tickets_visible_to
from otklik.accounts.models import Role, User
from otklik.core.errors import DomainError
from otklik.testing import factories
from otklik.testing.concurrency import beside_an_open_transaction
from otklik.testing.queries import count_queries
from otklik.tickets import changes, services
from otklik.tickets.counts import counts_fold, kept_counts
from otklik.tickets.models import Status, Ticket, TicketCount
from otklik.web.queues import queue_counts, queues

pytestmark = pytest.mark.django_db


def recomputed(viewer: User) -> dict[str, int]:
    """Each queue's count the slow way: its condition over the viewer's visible tickets."""
    return {queue.key: tickets_visible_to(viewer).filter(queue.condition(viewer)).count() for queue in queues()}


def ticket_groups() -> dict[tuple[int | None, int | None, int], int]:
    rows = Ticket.objects.order_by().values_list("team_id", "assignee_id", "status_id").annotate(n=Count("pk"))
    return {(team, assignee, status): n for team, assignee, status, n in rows}


def kept_groups() -> dict[tuple[int | None, int | None, int], int]:
    return {(row.team_id, row.assignee_id, row.status_id): row.n for row in kept_counts()}


def test_closed_tickets_count_only_in_all(people, now):
    factories.ticket(requester=people.alice, team=people.first_line, now=now)
    done = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    changes.ticket_assign(actor=people.fiona, ticket_id=done.pk, assignee=people.fiona, now=now)
    changes.ticket_close(actor=people.fiona, ticket_id=done.pk, now=now)
    counts = queue_counts(people.fiona)
    assert (counts["unassigned"], counts["mine"], counts["all"]) == (1, 0, 2)


def test_administrators_all_count_is_exact(people, now):
    for _ in range(3):
        factories.ticket(requester=people.alice, now=now)
    assert queue_counts(people.adam)["all"] == Ticket.objects.count() == 3


def test_kept_counts_follow_writes_that_bypass_the_services(people, now):
    """Triggers keep the counts, so QuerySet.update, bulk_create and delete are counted too."""
    first = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    factories.ticket(requester=people.bob, now=now)
    Ticket.objects.filter(pk=first.pk).update(team=people.second_line, assignee=people.sam)
    Ticket.objects.bulk_create([
        Ticket(number=900 + index, subject="loaded", requester=people.carol, priority=first.priority,
               status=factories.status("closed"), team=people.first_line, created_at=now, updated_at=now)
        for index in range(3)
    ])
    Ticket.objects.filter(pk=first.pk).update(subject="only the subject")  # moves nothing
    assert kept_groups() == ticket_groups()
    Ticket.objects.filter(subject="loaded").first().delete()  # type: ignore[union-attr]
    assert kept_groups() == ticket_groups()
    assert sum(kept_groups().values()) == Ticket.objects.count() == 4


def test_folding_keeps_every_sum_in_fewer_rows(people, now):
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    for assignee in (people.fiona, people.mia, None, people.fiona):
        changes.ticket_assign(actor=people.adam, ticket_id=ticket.pk, assignee=assignee, now=now)
    before, rows = kept_groups(), TicketCount.objects.count()
    assert counts_fold() == rows
    assert kept_groups() == before == ticket_groups()
    assert TicketCount.objects.count() < rows
    assert TicketCount.objects.filter(n=0).count() == 0


def _other_agent(people) -> User:
    """An agent of no team who may see only tickets assigned to them (the narrowest staff scope)."""
    return User.objects.create_user(username="nina@otklik.test", email="nina@otklik.test", password="x",
                                    first_name="Nina", role=Role.AGENT, only_assigned_to_me=True)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_counts_equal_a_recomputation_after_random_changes(people, now, seed):
    """A random sequence of creates, reassignments, team moves, status changes, watches and merges; after
    it every viewer's counts (admin, manager, first and second line, an only-assigned agent, an agent who
    is a requester, requesters of a sharing and a non-sharing organization) equal a direct count, before
    and after the kept rows are folded."""
    rng = random.Random(seed)
    nina = _other_agent(people)
    staff = [people.fiona, people.sam, people.mia, nina, None]
    teams = [people.first_line, people.second_line, None]
    statuses = list(Status.objects.all())
    askers = [people.alice, people.bob, people.carol, people.sam, nina]
    tickets: list[Ticket] = []
    for step in range(40):
        moment = now + timedelta(minutes=step)
        action = rng.choice(["create", "create", "assign", "team", "status", "watch", "merge"])
        if action == "create" or not tickets:
            tickets.append(factories.ticket(requester=rng.choice(askers), team=rng.choice(teams), now=moment))
            continue
        ticket = rng.choice(tickets)
        if action == "assign":
            changes.ticket_assign(actor=people.adam, ticket_id=ticket.pk, assignee=rng.choice(staff), now=moment)
        elif action == "team":
            changes.ticket_change_team(actor=people.adam, ticket_id=ticket.pk, team=rng.choice(teams), now=moment)
        elif action == "status":
            changes.ticket_change_status(actor=people.adam, ticket_id=ticket.pk, status=rng.choice(statuses),
                                          now=moment)
        elif action == "watch":
            services.ticket_watch(actor=people.adam, ticket_id=ticket.pk,
                                  user_id=rng.choice([people.fiona, people.sam, nina, people.carol]).pk, now=moment)
        else:
            target = rng.choice(tickets)
            # A merge the rules refuse (into itself, closed, already merged) is no step.
            with contextlib.suppress(DomainError):
                changes.ticket_merge(actor=people.adam, source_id=ticket.pk, target_id=target.pk, now=moment)
    viewers = [people.adam, people.mia, people.fiona, people.sam, nina, people.alice, people.carol]
    for fold in (False, True):
        if fold:
            counts_fold()
        for viewer in viewers:
            assert queue_counts(viewer) == recomputed(viewer), (viewer.email, fold)


def test_an_agent_who_asked_counts_their_request_outside_their_team(people, now):
    """Sam (second line) asks the first line: his request is visible to him as a requester only, and
    counts in his "all"; the first line's other tickets do not."""
    factories.ticket(requester=people.sam, team=people.first_line, now=now)
    factories.ticket(requester=people.alice, team=people.first_line, now=now)
    counts = queue_counts(people.sam)
    assert counts == recomputed(people.sam)
    assert (counts["all"], counts["team"], counts["unassigned"]) == (1, 0, 1)


def test_queue_counts_cost_the_same_queries_for_few_and_many_tickets(people, now):
    factories.ticket(requester=people.alice, team=people.first_line, now=now)
    queue_counts(people.fiona)  # warm-up: what the viewer object remembers (teams, organization)
    few = count_queries(lambda: queue_counts(people.fiona))
    for _ in range(5):
        factories.ticket(requester=people.alice, team=people.first_line, now=now)
    assert count_queries(lambda: queue_counts(people.fiona)) == few


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # leaves migrated rows for later tests
def test_postgres_ticket_inserts_do_not_wait_for_each_others_counts(people, now):
    """Kept counts are appended, never updated in place: a second insert of the same team, status and
    assignee does not wait for the first one's commit (a counter row would hold it until then). Rows are
    inserted directly, so only the database's own upkeep of the counts is between the two."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time by design")
    template = factories.ticket(requester=people.alice, team=people.first_line, now=now)

    def insert(number: int) -> None:
        Ticket.objects.bulk_create([Ticket(
            number=number, subject="same key", requester=people.alice, priority=template.priority,
            status=template.status, team=people.first_line, created_at=now, updated_at=now)])

    beside_an_open_transaction(lambda: insert(10_001), lambda: insert(10_002))
    assert kept_groups() == ticket_groups()
    assert sum(kept_groups().values()) == 3


def test_the_queues_of_ids_count_what_their_conditions_hold(people, now):
    """The SLA and watching queues are counted on id queries compiled once (`web.queues._add_by_ids`): the
    same answer as each queue's condition over the visible tickets (`pk__in` of the same queries), with
    tickets in several of those queues at once, some outside the viewer's scope and one closed."""
    from django.utils import timezone

    from otklik.sla.models import HolidayCalendar, Schedule, SlaPolicy
    from otklik.sla.selectors import due_soon_ticket_ids, overdue_ticket_ids

    every_day = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    schedule = Schedule.objects.create(name="Always", timezone="UTC", week=every_day,
                                       holiday_calendar=HolidayCalendar.objects.create(name="None"))
    SlaPolicy.objects.create(name="Fast", schedule=schedule, is_default=True, position=1, reaction_minutes=60,
                             resolution_minutes=600, warn_before_minutes=50)
    right_now = timezone.now()
    late = [factories.ticket(requester=asker, team=team, now=right_now - timedelta(days=3))
            for asker, team in ((people.alice, people.first_line), (people.carol, people.second_line),
                                (people.alice, None), (people.alice, people.first_line))]
    soon = [factories.ticket(requester=people.alice, team=team, now=right_now - timedelta(minutes=20))
            for team in (people.first_line, people.second_line)]
    for ticket in (late[0], late[1], soon[0]):
        services.ticket_watch(actor=people.adam, ticket_id=ticket.pk, user_id=people.fiona.pk, now=right_now)
    changes.ticket_close(actor=people.adam, ticket_id=late[3].pk, now=right_now)
    assert overdue_ticket_ids(timezone.now()).exists() and due_soon_ticket_ids(timezone.now()).exists()
    for viewer in (people.fiona, people.sam, people.mia, people.adam, people.alice, people.carol):
        assert queue_counts(viewer) == recomputed(viewer), viewer.email
    fiona = queue_counts(people.fiona)
    assert fiona["watching"] == 3 and fiona["overdue"] >= 2 and fiona["due_soon"] >= 1
