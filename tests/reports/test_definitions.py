"""Each definition of docs/reports.md against hand-computed figures."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from otklik.reports import selectors
from otklik.reports.facts import rebuild
from otklik.reports.filters import ReportFilters, parse_filters
from otklik.reports.models import TicketTimes
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets import changes, services
from otklik.tickets.models import Ticket
from tests.reports.conftest import Desk, msk

pytestmark = pytest.mark.django_db


def _ticket(people: Personas, at: datetime, subject: str = "Printer") -> Ticket:
    return factories.ticket(requester=people.alice, subject=subject, now=at, team=people.second_line,
                            actor=people.sam)


def _status(people: Personas, ticket: Ticket, code: str, at: datetime) -> None:
    changes.ticket_change_status(actor=people.sam, ticket_id=ticket.pk, status=factories.status(code), now=at)


def _reply(people: Personas, ticket: Ticket, at: datetime) -> None:
    services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="On it", now=at)


def _times(ticket: Ticket) -> TicketTimes:
    return TicketTimes.objects.get(ticket=ticket)


def test_pause_and_reopen_leave_their_spans_out(people: Personas, desk: Desk) -> None:
    ticket = _ticket(people, msk(2026, 3, 2, 10, 0))  # Monday
    _reply(people, ticket, msk(2026, 3, 2, 11, 30))
    _status(people, ticket, "needs_clarification", msk(2026, 3, 2, 12, 0))  # pauses SLA
    _status(people, ticket, "open", msk(2026, 3, 2, 14, 0))
    _status(people, ticket, "resolved", msk(2026, 3, 2, 16, 0))
    times = _times(ticket)
    assert times.first_response_seconds == 90 * 60
    assert times.first_response_working_seconds == 90 * 60
    assert times.resolution_seconds == 4 * 3600  # 6 h minus the 2 h pause
    assert times.resolution_working_seconds == 4 * 3600
    _status(people, ticket, "open", msk(2026, 3, 3, 10, 0))  # reopened next morning
    assert _times(ticket).resolution_seconds is None  # open again: not resolved
    _status(people, ticket, "resolved", msk(2026, 3, 3, 11, 0))
    times = _times(ticket)
    # 25 h from creation to the last resolution, minus the 2 h pause and the 18 h it stood resolved.
    assert times.resolution_seconds == 5 * 3600
    assert times.resolution_working_seconds == 5 * 3600
    assert times.reopen_count == 1
    assert times.staff_replies == 1


def test_working_time_counts_only_the_desk_schedule(people: Personas, desk: Desk) -> None:
    ticket = _ticket(people, msk(2026, 3, 6, 17, 0))  # Friday 17:00
    _reply(people, ticket, msk(2026, 3, 9, 9, 30))  # Monday 09:30
    _status(people, ticket, "resolved", msk(2026, 3, 9, 10, 0))
    times = _times(ticket)
    assert times.first_response_seconds == (64 * 60 + 30) * 60
    assert times.first_response_working_seconds == 90 * 60  # Fri 17-18 and Mon 9-9:30
    assert times.resolution_seconds == 65 * 3600
    assert times.resolution_working_seconds == 2 * 3600


def test_without_any_schedule_working_time_is_calendar_time(people: Personas, db: None) -> None:
    ticket = _ticket(people, msk(2026, 3, 6, 17, 0))
    _status(people, ticket, "resolved", msk(2026, 3, 9, 10, 0))
    assert _times(ticket).resolution_working_seconds == 65 * 3600


def test_new_closed_open_at_end_and_month_boundaries_in_the_installation_zone(people: Personas, desk: Desk) -> None:
    # 23:30 in Moscow on 31 March is 20:30 UTC: a March ticket, though 1 April has begun further east.
    late_march = _ticket(people, msk(2026, 3, 31, 23, 30), "late March")
    _status(people, late_march, "resolved", msk(2026, 4, 1, 0, 30))  # resolved in April
    early_april = _ticket(people, msk(2026, 4, 1, 0, 0), "early April")
    carried = _ticket(people, msk(2026, 2, 27, 12, 0), "February, still open")
    merged = _ticket(people, msk(2026, 3, 10, 12, 0), "duplicate")
    changes.ticket_merge(actor=people.sam, source_id=merged.pk, target_id=carried.pk, now=msk(2026, 3, 10, 13, 0))

    march = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    april = ReportFilters(start=date(2026, 4, 1), end=date(2026, 4, 30))
    numbers = selectors.second_line(people.mia, march)
    assert (numbers["new"], numbers["closed"], numbers["open_at_end"]) == (1, 0, 2)  # merged ticket left out
    numbers = selectors.second_line(people.mia, april)
    assert (numbers["new"], numbers["closed"], numbers["open_at_end"]) == (1, 1, 2)
    assert numbers["avg_resolution_seconds"] == 3600
    assert numbers["avg_resolution_working_seconds"] == 0  # at night: no working time at all
    assert set(selectors.metric_tickets(people.mia, march, "new")) == {late_march}
    assert set(selectors.metric_tickets(people.mia, april, "open_at_end")) == {early_april, carried}


def test_averages_and_first_response_over_the_period(people: Personas, desk: Desk) -> None:
    first = _ticket(people, msk(2026, 3, 2, 10, 0))
    _reply(people, first, msk(2026, 3, 2, 11, 0))
    second = _ticket(people, msk(2026, 3, 3, 10, 0))
    _reply(people, second, msk(2026, 3, 3, 13, 0))
    numbers = selectors.second_line(people.mia, ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31)))
    assert numbers["avg_first_response_seconds"] == 2 * 3600
    assert numbers["responded"] == 2


def test_rebuild_reproduces_the_live_rows(people: Personas, desk: Desk) -> None:
    ticket = _ticket(people, msk(2026, 3, 2, 10, 0))
    _reply(people, ticket, msk(2026, 3, 2, 11, 30))
    _status(people, ticket, "paused", msk(2026, 3, 2, 12, 0))
    _status(people, ticket, "closed", msk(2026, 3, 4, 12, 0))
    live = {field: getattr(_times(ticket), field) for field in ("resolution_seconds", "resolution_working_seconds")}
    TicketTimes.objects.all().delete()
    assert rebuild() == 1
    assert {field: getattr(_times(ticket), field) for field in live} == live
    assert live["resolution_seconds"] == 2 * 3600


def test_breakdown_rolls_categories_up_the_tree(people: Personas, desk: Desk) -> None:
    hardware = factories.category("Hardware")
    printers = factories.category("Printers", hardware)
    a = factories.ticket(requester=people.alice, now=msk(2026, 3, 2, 10, 0), team=people.second_line,
                         category=printers, actor=people.sam)
    factories.ticket(requester=people.alice, now=msk(2026, 3, 2, 11, 0), team=people.second_line,
                     category=hardware, actor=people.sam)
    _status(people, a, "resolved", msk(2026, 3, 2, 12, 0))
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    rows = {row["label"]: row for row in selectors.breakdown(people.mia, filters, "category")}
    assert rows["Hardware"]["count"] == 2
    assert rows["Hardware"]["resolved"] == 1
    assert rows["Hardware > Printers"]["count"] == 1
    assert rows["Hardware"]["avg_resolution_seconds"] == 2 * 3600
    assert rows["Hardware"]["median_resolution_seconds"] == 2 * 3600
    tickets = selectors.metric_tickets(people.mia, filters, "new", by="category", key=str(hardware.pk))
    assert tickets.count() == 2


def test_breakdown_by_team_medians_and_reopen_rate(people: Personas, desk: Desk) -> None:
    for hour, minutes in ((10, 60), (11, 120), (12, 240)):
        ticket = _ticket(people, msk(2026, 3, 2, hour, 0))
        _status(people, ticket, "resolved", msk(2026, 3, 2, hour + minutes // 60, 0))
    _status(people, ticket, "open", msk(2026, 3, 3, 9, 0))
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    [row] = selectors.breakdown(people.mia, filters, "team")
    assert row["label"] == "Second line"
    assert (row["count"], row["resolved"], row["unresolved"]) == (3, 2, 1)
    assert row["median_resolution_seconds"] == 1.5 * 3600
    assert row["reopen_rate"] == pytest.approx(1 / 3, abs=1e-3)


def test_bad_filters_are_named() -> None:
    from otklik.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        parse_filters({"from": "2026-13-01", "team": "x"})
    assert set(caught.value.errors) == {"from", "team"}
    with pytest.raises(InvalidInput):
        parse_filters({"from": "2026-03-10", "to": "2026-03-01"})
    assert parse_filters({}, today=date(2026, 2, 10)) == ReportFilters(start=date(2026, 2, 1), end=date(2026, 2, 28))
