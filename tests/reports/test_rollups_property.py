"""Monthly rollups equal a recomputation from the raw rows: after random sequences of events made through the
services (create, replies, pauses, resolve, reopen, close, merge, team/category/priority changes) across
month boundaries, the rows kept event by event equal (a) the sums recomputed from the tickets and their
durations and (b) what `reports_rebuild` writes from scratch. And the reports read from the rollups equal
the same reports read from the per-ticket rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otklik.accounts.models import Role, User
from otklik.core.errors import DomainError
from otklik.reports import monthly, rollups
from otklik.reports.facts import rebuild_all
from otklik.reports.filters import ReportFilters, scoped_copies, scoped_rows, scoped_tickets, zone
from otklik.reports.models import (
    COPIED_DIMENSIONS,
    AgentWork,
    MonthlyRollup,
    ReportRating,
    SlaOutcome,
    TicketTimes,
)
from otklik.reports.selectors import breakdown, monthly_trend, second_line, with_latest_score
from otklik.sla.models import ClockState, SlaClock
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import changes, services
from otklik.tickets.models import (
    Category,
    EventKind,
    Priority,
    RequestType,
    Status,
    Ticket,
    TicketEvent,
    TicketRating,
)
from tests.reports.conftest import Desk, msk

KINDS = [
    "create",
    "staff_reply",
    "requester_reply",
    "open",
    "needs_clarification",
    "paused",
    "resolve",
    "reopen",
    "close",
    "merge",
    "team",
    "category",
    "priority",
    "assign_lead",
    "watch_lead",
    "unroute",
    "assign_sam",
    "request_type",
    "rate",
]
# (what, which ticket (index modulo the tickets made so far), minutes later: up to ~9 days, so months roll)
ACTION = st.tuples(st.sampled_from(KINDS), st.integers(0, 7), st.integers(1, 60 * 24 * 9))


def _act(
    people: Personas,
    lead: User,
    tickets: list[Ticket],
    kind: str,
    index: int,
    moment: datetime,
    statuses: dict[str, Status],
    categories: list[Category],
    priorities: list[Priority],
) -> None:
    now = moment
    if kind == "create" or not tickets:
        team = [people.second_line, people.first_line][index % 2]
        tickets.append(factories.ticket(requester=people.alice, team=team, now=now, actor=people.sam))
        return
    ticket = tickets[index % len(tickets)]
    actor = people.adam
    if kind == "staff_reply":
        services.ticket_reply(actor=actor, ticket_id=ticket.pk, body_text="answer", now=now)
    elif kind == "requester_reply":
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="more", now=now)
    elif kind in ("open", "needs_clarification", "paused"):
        changes.ticket_change_status(actor=actor, ticket_id=ticket.pk, status=statuses[kind], now=now)
    elif kind == "resolve":
        changes.ticket_resolve(actor=actor, ticket_id=ticket.pk, now=now)
    elif kind == "reopen":
        changes.ticket_reopen(actor=actor, ticket_id=ticket.pk, now=now)
    elif kind == "close":
        changes.ticket_close(actor=actor, ticket_id=ticket.pk, now=now)
    elif kind == "merge":
        target = tickets[(index + 1) % len(tickets)]
        changes.ticket_merge(actor=actor, source_id=ticket.pk, target_id=target.pk, now=now)
    elif kind == "team":
        team = people.first_line if ticket.team_id == people.second_line.pk else people.second_line
        changes.ticket_change_team(actor=actor, ticket_id=ticket.pk, team=team, now=now)
    elif kind == "category":
        changes.ticket_change_category(
            actor=actor, ticket_id=ticket.pk, category=categories[index % 3] if index % 4 else None, now=now
        )
    elif kind == "assign_lead":  # the second line's manager takes a ticket, whatever its team
        changes.ticket_assign(actor=actor, ticket_id=ticket.pk, assignee=lead, now=now)
    elif kind == "assign_sam":
        changes.ticket_assign(actor=actor, ticket_id=ticket.pk, assignee=people.sam, now=now)
    elif kind == "request_type":
        kinds = list(RequestType.objects.order_by("pk")) or [factories.request_type("incident")]
        changes.ticket_change_request_type(
            actor=actor, ticket_id=ticket.pk, request_type=kinds[index % len(kinds)] if index % 3 else None, now=now
        )
    elif kind == "watch_lead":
        services.ticket_watch(actor=actor, ticket_id=ticket.pk, user_id=lead.pk, now=now)
    elif kind == "unroute":
        changes.ticket_change_team(actor=actor, ticket_id=ticket.pk, team=None, now=now)
    elif kind == "rate":  # the requester rates a resolved ticket (refused on an open one)
        changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=index % 5 + 1, now=now)
    elif kind == "priority":
        changes.ticket_change_priority(
            actor=actor, ticket_id=ticket.pk, priority=priorities[index % len(priorities)], now=now
        )


DIMENSIONS = [name for name in rollups.DIMENSION_FIELDS if name != "merged"]


def _dimensions() -> dict[int, tuple[object, ...]]:
    return {row[0]: tuple(row[1:]) for row in TicketTimes.objects.values_list("pk", *DIMENSIONS, "merged")}


def _ticket_dimensions() -> dict[int, tuple[object, ...]]:
    return {
        row[0]: (*row[1:-1], row[-1] is not None)
        for row in Ticket.objects.filter(report_times__isnull=False).values_list("pk", *DIMENSIONS, "merged_into_id")
    }


def _outcomes() -> set[tuple[object, ...]]:
    return set(
        SlaOutcome.objects.values_list(
            "pk", "ticket_id", "metric", "policy_id", "stopped_at", "met", *COPIED_DIMENSIONS
        )
    )


def _outcomes_from_clocks() -> set[tuple[object, ...]]:
    fields = [name if name != "merged" else "merged_into_id" for name in COPIED_DIMENSIONS]
    return {
        (*row[:-1], row[-1] is not None)
        for row in SlaClock.objects.filter(state=ClockState.STOPPED).values_list(
            "pk", "ticket_id", "metric", "policy_id", "stopped_at", "met", *(f"ticket__{name}" for name in fields)
        )
    }


def _latest_scores() -> dict[int, int | None]:
    return dict(TicketTimes.objects.values_list("pk", "latest_score"))


def _ratings() -> set[tuple[object, ...]]:
    return set(ReportRating.objects.values_list("pk", "ticket_id", "created_at", "score", *COPIED_DIMENSIONS))


def _ratings_from_source() -> set[tuple[object, ...]]:
    fields = [name if name != "merged" else "merged_into_id" for name in COPIED_DIMENSIONS]
    return {
        (*row[:-1], row[-1] is not None)
        for row in TicketRating.objects.values_list(
            "pk", "ticket_id", "created_at", "score", *(f"ticket__{name}" for name in fields)
        )
    }


def _work() -> set[tuple[object, ...]]:
    return set(
        AgentWork.objects.values_list("ticket_id", "actor_id", "day", "events", "replies", "notes", *COPIED_DIMENSIONS)
    )


def _work_from_events() -> set[tuple[object, ...]]:
    fields = [name if name != "merged" else "merged_into_id" for name in COPIED_DIMENSIONS]
    tickets = {row[0]: (*row[1:-1], row[-1] is not None) for row in Ticket.objects.values_list("pk", *fields)}
    found: dict[tuple[object, ...], list[int]] = {}
    for ticket_id, actor_id, kind, data, at in TicketEvent.objects.filter(actor__isnull=False).values_list(
        "ticket_id", "actor_id", "kind", "data", "created_at"
    ):
        slot = found.setdefault((ticket_id, actor_id, timezone.localtime(at, zone()).date()), [0, 0, 0])
        slot[0] += 1
        slot[1] += int(kind == EventKind.REPLIED and data.get("by") == "staff")
        slot[2] += int(kind == EventKind.NOTE_ADDED)
    return {(*key, *counts, *tickets[key[0]]) for key, counts in found.items()}


@dataclass
class Played:
    lead: User  # the second line's manager the actions involve
    hardware: Category  # the parent category (its subtree holds "Printers")
    last: datetime  # the moment of the last action


def play(people: Personas, actions: list[tuple[str, int, int]]) -> Played:
    """Run the drawn actions on a small desk from 28 January 2026 (Moscow)."""
    statuses = {status.code: status for status in Status.objects.all()}
    parent = Category.objects.filter(name="Hardware").first() or Category.objects.create(name="Hardware")
    categories = [parent, Category.objects.get_or_create(name="Printers", parent=parent)[0],
                  Category.objects.get_or_create(name="Software")[0]]
    priorities = list(Priority.objects.order_by("rank"))
    # A manager of the second line only: their figures are the team's rollups plus, from the per-ticket
    # rows, the tickets assigned to or watched by them elsewhere (first line, unrouted).
    # (Hypothesis runs every example in the same test database: the rows add up across examples.)
    lead = User.objects.filter(email="lead@otklik.test").first() or User.objects.create_user(
        email="lead@otklik.test", password="x", first_name="Lead", role=Role.MANAGER
    )
    people.second_line.members.add(lead)
    moment = msk(2026, 1, 28, 10, 0)
    tickets: list[Ticket] = []
    for kind, index, minutes in actions:
        moment += timedelta(minutes=minutes)
        try:
            _act(people, lead, tickets, kind, index, moment, statuses, categories, priorities)
        except DomainError:
            continue  # a step the rules refuse (reopening an open ticket, merging a merged one) changes nothing
    return Played(lead, parent, moment)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, min_size=1, max_size=14))
def test_rollups_equal_recomputation(people: Personas, desk: Desk, actions: list[tuple[str, int, int]]) -> None:
    played = play(people, actions)
    lead, parent, moment = played.lead, played.hardware, played.last
    kept = rollups.stored()
    assert kept == rollups.recomputed_from_tickets()
    # The report dimensions on the per-ticket rows equal the tickets' own fields (kept event by event) and
    # what the rebuild writes from scratch.
    dims = _dimensions()
    assert dims == _ticket_dimensions()
    # The latest rating's score on the report rows (the breakdown by rating) equals the ratings' own latest,
    # as the ticket lists behind the breakdown read it.
    scores = _latest_scores()
    assert scores == dict(with_latest_score(Ticket.objects.filter(report_times__isnull=False))
                          .values_list("pk", "latest_score"))
    # The per-clock SLA outcomes and the per-agent days, kept event by event, equal the clocks and the events
    # read with the tickets' current fields, and what the rebuild writes.
    outcomes_kept, work_kept, ratings_kept = _outcomes(), _work(), _ratings()
    assert outcomes_kept == _outcomes_from_clocks()
    assert work_kept == _work_from_events()
    assert ratings_kept == _ratings_from_source()
    rebuild_all()
    assert rollups.stored() == kept
    assert _dimensions() == dims
    assert _latest_scores() == scores
    assert (_outcomes(), _work(), _ratings()) == (outcomes_kept, work_kept, ratings_kept)

    # The reports read from the rollups equal the per-ticket reading (the report rows, whose dimensions equal
    # the tickets' fields and whose scope equals the scoped tickets: both asserted here), for the admin (every
    # ticket) and a manager (their teams, plus what is assigned to or watched by them outside those teams).
    first, last = date(2026, 1, 1), moment.date()
    for viewer in (people.adam, people.mia, lead, people.sam):
        for start in (first, date(2026, 2, 1)):
            filters = ReportFilters(start=start, end=date(2026, 2, 28) if start.month == 2 else date(2026, 1, 31))
            assert monthly.second_line_sums(viewer, filters) == monthly.ticket_sums(
                scoped_rows(viewer, filters), filters
            )
        span = ReportFilters(start=first, end=last.replace(day=1) + timedelta(days=40))
        span = span.with_period(first, span.end.replace(day=1) - timedelta(days=1))
        by_rows = monthly.month_sums(viewer, span)
        by_tickets = monthly.ticket_month_sums(scoped_rows(viewer, span), span)
        assert {month: sums for month, sums in by_rows.items() if any(sums.values())} == {
            month: sums for month, sums in by_tickets.items() if any(sums.values())
        }
        filters = ReportFilters(
            start=first,
            end=date(2026, 1, 31),
            team_ids=(people.second_line.pk,),
            category_id=parent.pk,
            priority_codes=("normal", "high"),
        )
        assert monthly.second_line_sums(viewer, filters) == monthly.ticket_sums(
            scoped_rows(viewer, filters), filters
        )
        assert (
            second_line(viewer, filters)["new"]
            == scoped_tickets(viewer, filters)
            .filter(created_at__gte=filters.since, created_at__lt=filters.until)
            .count()
        )
        assert len(monthly_trend(viewer, filters)) >= 1
        # The report rows in the viewer's scope are exactly the scoped tickets (the access module's parts
        # composed on the narrow table), with and without filters.
        for scoped in (filters, ReportFilters(start=first, end=date(2026, 1, 31))):
            assert set(scoped_rows(viewer, scoped).values_list("pk", flat=True)) == set(
                scoped_tickets(viewer, scoped).values_list("pk", flat=True)
            )
            # The copies carry the scope too: the outcomes of exactly the scoped tickets' stopped clocks.
            counted = set(scoped_tickets(viewer, scoped).values_list("pk", flat=True))
            assert set(scoped_copies(SlaOutcome, viewer, scoped).values_list("pk", flat=True)) == set(
                SlaClock.objects.filter(state=ClockState.STOPPED, ticket_id__in=counted).values_list("pk", flat=True)
            )
            assert set(scoped_copies(ReportRating, viewer, scoped).values_list("pk", flat=True)) == set(
                TicketRating.objects.filter(ticket_id__in=counted).values_list("pk", flat=True)
            )
            assert set(scoped_copies(AgentWork, viewer, scoped).values_list("ticket_id", flat=True)) == set(
                TicketEvent.objects.filter(actor__isnull=False, ticket_id__in=counted).values_list(
                    "ticket_id", flat=True
                )
            )


@pytest.mark.django_db
def test_rebuild_command_shows_progress_and_restores_the_rollups(people: Personas, desk: Desk) -> None:
    for day in (2, 20):
        ticket = factories.ticket(
            requester=people.alice, team=people.second_line, now=msk(2026, 3, day, 10, 0), actor=people.sam
        )
        services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="answer", now=msk(2026, 3, day, 11, 0))
        changes.ticket_resolve(actor=people.sam, ticket_id=ticket.pk, now=msk(2026, 4, 1, 12, 0))
    kept = rollups.stored()
    outcomes_kept, work_kept = _outcomes(), _work()
    assert outcomes_kept and work_kept  # the replies stopped reaction clocks; every event had an actor
    MonthlyRollup.objects.all().delete()  # lost or stale rollups (a bulk import, a restore)
    SlaOutcome.objects.all().delete()
    AgentWork.objects.all().delete()
    out = StringIO()
    call_command("reports_rebuild", stdout=out)
    assert "2/2 tickets" in out.getvalue() and "steps (monthly rollups)" in out.getvalue()
    assert "2 tickets and 2 monthly rollup rows" in out.getvalue()
    assert rollups.stored() == kept == rollups.recomputed_from_tickets()
    assert (_outcomes(), _work()) == (outcomes_kept, work_kept)


@pytest.mark.django_db
def test_rating_copies_follow_the_ticket(people: Personas, desk: Desk) -> None:
    ticket = factories.ticket(
        requester=people.alice, team=people.second_line, now=msk(2026, 3, 2, 10, 0), actor=people.sam
    )
    services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="answer", now=msk(2026, 3, 2, 11, 0))
    changes.ticket_resolve(actor=people.sam, ticket_id=ticket.pk, now=msk(2026, 3, 2, 12, 0))
    changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=2, now=msk(2026, 3, 2, 13, 0))
    assert [row[3] for row in _ratings()] == [2]
    # The report row carries the score for the breakdown by rating, and it survives later events.
    assert _latest_scores()[ticket.pk] == 2
    march = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [(row["key"], row["count"]) for row in breakdown(people.adam, march, "rating")] == [("2", 1)]
    changes.ticket_reopen(actor=people.alice, ticket_id=ticket.pk, now=msk(2026, 3, 2, 14, 0))
    changes.ticket_resolve(actor=people.sam, ticket_id=ticket.pk, now=msk(2026, 3, 2, 15, 0))
    changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=5, now=msk(2026, 3, 2, 16, 0))
    assert _latest_scores()[ticket.pk] == 5  # the latest rating counts
    # The rated ticket moves: the copy moves with it (the CSAT per assignee counts the current assignee).
    changes.ticket_change_team(
        actor=people.adam, ticket_id=ticket.pk, team=people.first_line, now=msk(2026, 3, 3, 9, 0)
    )
    changes.ticket_assign(actor=people.adam, ticket_id=ticket.pk, assignee=people.sam, now=msk(2026, 3, 3, 9, 5))
    assert _ratings() == _ratings_from_source()
    assert {row[5] for row in _ratings()} == {people.sam.pk}  # the assignee column
    kept = _ratings()
    rebuild_all()
    assert _ratings() == kept
