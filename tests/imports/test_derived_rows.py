"""Report and search rows of imported tickets equal what the reports and search apps rebuild.

New tickets' rows are computed from the objects the batch wrote and inserted with COPY (imports/post.py);
tickets written before the batch go through `refresh_many` / `reindex_tickets`. Either way the rows must
be the ones a rebuild from the database writes.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from otklik.reports import cube, facts, groups, tallies
from otklik.reports.facts import refresh_many
from otklik.reports.models import AgentWork, MonthlyRollup, ReportRating, SlaOutcome, TicketTimes
from otklik.reports.rollups import KEY_FIELDS
from otklik.search.indexing import reindex_tickets
from otklik.search.models import SearchEntry
from otklik.tickets.models import Message, Ticket
from tests.imports.conftest import sample_lines, write_jsonl

pytestmark = pytest.mark.django_db


def _times() -> dict[int, dict[str, Any]]:
    return {row["ticket_id"]: dict(row) for row in TicketTimes.objects.values()}


def _entries() -> list[tuple[int, int | None, bool, str]]:
    rows = SearchEntry.objects.values_list("ticket_id", "message_id", "is_internal", "text")
    return sorted(rows, key=lambda row: (row[0], row[1] or 0))


def _monthly() -> dict[tuple[Any, ...], dict[str, int]]:
    """The monthly rollup rows by key, without rows that went back to zero."""
    found: dict[tuple[Any, ...], dict[str, int]] = {}
    for stored in MonthlyRollup.objects.values():
        row: dict[str, Any] = dict(stored)
        key = tuple(row.pop(name) for name in KEY_FIELDS)
        row.pop("id")
        if any(row.values()):
            found[key] = row
    return found


def _tallies() -> list[dict[tuple[Any, ...], dict[str, int]]]:
    """The SLA, rating and work tallies as kept, each checked against a recount of its copy."""
    found = [tallies.stored(tally) for tally in tallies.TALLIES]
    recounted = [{key: values for key, values in tallies.grouped(tally).items() if any(values.values())}
                 for tally in tallies.TALLIES]
    assert found == recounted
    return found


def _copies() -> tuple[list[tuple[Any, ...]], ...]:
    """The SLA outcome, agents' day and rating copies (`reports.outcomes`), without their ids."""
    return (sorted(SlaOutcome.objects.values_list("clock_id", "ticket_id", "metric", "stopped_at", "met", "team_id")),
            sorted(AgentWork.objects.values_list("ticket_id", "actor_id", "day", "events", "replies", "notes")),
            sorted(ReportRating.objects.values_list("rating_id", "ticket_id", "score", "team_id")))


def _assert_equal_to_rebuild() -> None:
    imported_times, imported_entries = _times(), _entries()
    # The reports' hourly counts, histograms, breakdown groups and assignees' months, kept by the import, equal
    # a rebuild.
    kept = (cube.stored(), groups.stored(), cube.assignees_stored())
    assert kept[0][0]  # the imported tickets were counted
    assert kept[2]  # the assignees' months too (t9 is resolved by u2)
    imported_tallies = _tallies()  # the SLA, rating and work tallies equal their copies after the import
    imported_copies = _copies()
    assert imported_copies[1]  # the imported events' authors have their days (specialists), without a rebuild
    ids = sorted(Ticket.objects.values_list("pk", flat=True))
    with transaction.atomic():
        refresh_many(ids)
        reindex_tickets(ids)
    assert _times() == imported_times
    assert _entries() == imported_entries
    # re-importing moves contributions, never adds them twice
    assert (cube.stored(), groups.stored(), cube.assignees_stored()) == kept
    moved = _tallies()  # the copies rewritten for every ticket moved their tallies with them
    assert moved[2]  # the imported events have actors
    # The import wrote the same copies and tallies as the rewrite: nothing waits for `reports_rebuild`.
    assert _copies() == imported_copies
    assert moved == imported_tallies
    cube.rebuild_cube()
    assert (cube.stored(), groups.stored(), cube.assignees_stored()) == kept
    # The monthly rollups (overview, second line) too: without a `reports_rebuild` after the import.
    months = _monthly()
    assert sum(row["new"] for row in months.values()) == Ticket.objects.filter(merged_into__isnull=True).count()
    with transaction.atomic():
        facts.rebuild_all()
    assert _monthly() == months
    assert _tallies() == moved
    assert _times() == imported_times


def _lines() -> list[Any]:
    lines = sample_lines()
    # a message known only as HTML (its search text is the stripped HTML), and a resolved ticket
    lines.append(
        {
            "type": "ticket",
            "id": "t9",
            "number": 509,
            "subject": "Mail quota",
            "requester": "u1",
            "assignee": "u2",
            "status": "resolved",
            "created_at": "2026-02-12T09:00:00+03:00",
            "resolved_at": "2026-02-13T15:00:00+03:00",
            "messages": [
                {
                    "id": "m91",
                    "author": "u1",
                    "html": "<p>Mailbox <b>full</b></p>",
                    "created_at": "2026-02-12T09:00:00+03:00",
                },
                {"id": "m92", "author": "u2", "text": "Raised the quota", "created_at": "2026-02-12T13:00:00+03:00"},
            ],
        }
    )
    return lines


def test_new_tickets_rows_equal_a_rebuild(tmp_path, run_import, sla_policy):
    path = write_jsonl(tmp_path / "in.jsonl", _lines())
    run = run_import("json", {"path": str(path), "keep_numbers": True})
    assert run.problem_count == 0
    assert TicketTimes.objects.count() == Ticket.objects.count() == 4
    assert SearchEntry.objects.count() == Ticket.objects.count() + Message.objects.count()
    quota = Ticket.objects.get(number=509)
    assert SearchEntry.objects.get(message__ticket=quota, message__body_text="").text == "Mailbox full"
    assert TicketTimes.objects.get(ticket=quota).resolution_working_seconds
    _assert_equal_to_rebuild()


def test_rerun_rows_equal_a_rebuild(tmp_path, run_import, sla_policy):
    lines = _lines()
    run_import("json", {"path": str(write_jsonl(tmp_path / "a.jsonl", lines)), "keep_numbers": True})
    lines[4]["subject"] = "VPN is down again"
    lines[4]["status"] = "resolved"
    lines[4]["resolved_at"] = "2026-02-17T10:00:00+03:00"
    lines[4]["messages"][1]["text"] = "Looking into it now"
    lines[4]["messages"][2]["internal"] = False
    run_import("json", {"path": str(write_jsonl(tmp_path / "b.jsonl", lines)), "keep_numbers": True})
    assert SearchEntry.objects.filter(message=None, text__contains="again").count() == 1
    # the ticket and message rows themselves are updated in place (imports.bulk.update_rows)
    vpn = Ticket.objects.get(number=501)
    assert (vpn.subject, vpn.status.code, vpn.resolved_at is not None) == ("VPN is down again", "resolved", True)
    texts = list(vpn.messages.order_by("created_at").values_list("body_text", "is_internal"))
    assert texts[1:] == [("Looking into it now", False), ("Certificate expired", False)]
    assert SearchEntry.objects.filter(text="Looking into it now", is_internal=False).count() == 1
    _assert_equal_to_rebuild()
