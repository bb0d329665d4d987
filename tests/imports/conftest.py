from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from otklik.imports.models import ImportRun
from otklik.imports.readers import build_reader
from otklik.imports.services import run_create, run_execute
from otklik.sla import calendars
from otklik.sla.models import HolidayCalendar, Schedule, SlaPolicy

OFFICE = [["09:00", "18:00"]]
OFFICE_WEEK = {**dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE), "sat": "off", "sun": "off"}
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    calendars._known_snapshots._calendars.clear()
    yield
    calendars._known_snapshots._calendars.clear()


@pytest.fixture
def sla_policy(db) -> SlaPolicy:
    """Reply in 60, resolve in 480 working minutes, Mon-Fri 09:00-18:00 Moscow."""
    holidays = HolidayCalendar.objects.create(name="Test holidays")
    schedule = Schedule.objects.create(
        name="Office", timezone="Europe/Moscow", week=OFFICE_WEEK, holiday_calendar=holidays
    )
    return SlaPolicy.objects.create(
        name="Standard",
        schedule=schedule,
        is_default=True,
        position=1000,
        reaction_minutes=60,
        resolution_minutes=480,
        warn_before_minutes=30,
    )


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


Importer = Callable[..., ImportRun]


@pytest.fixture
def run_import(db) -> Importer:
    def go(
        source: str,
        options: dict[str, Any],
        *,
        namespace: str = "",
        dry_run: bool = False,
        batch: int = 50,
        now: datetime = NOW,
    ) -> ImportRun:
        run = run_create(source=source, namespace=namespace or source, options=options, dry_run=dry_run, now=now)
        return run_execute(run=run, reader=build_reader(source, options), batch_size=batch, now=now)

    return go


def sample_lines() -> list[Any]:
    """Two organizations' worth of people and three tickets: open, closed with a file, waiting."""
    return [
        {"type": "header", "format": "otklik-import/1"},
        {"type": "organization", "id": "o1", "name": "Acme", "domain": "acme.example"},
        {"type": "person", "id": "u1", "email": "ann@acme.example", "name": "Ann Smith", "organization": "o1"},
        {"type": "person", "id": "u2", "email": "sam@desk.example", "name": "Sam Agent", "staff": True},
        {
            "type": "ticket",
            "id": "t1",
            "number": 501,
            "subject": "VPN is down",
            "requester": "u1",
            "status": "open",
            "priority": "high",
            "assignee": "u2",
            "channel": "email",
            "created_at": "2026-02-16T10:00:00+03:00",
            "messages": [
                {
                    "id": "m1",
                    "author": "u1",
                    "text": "VPN fails with error 809",
                    "created_at": "2026-02-16T10:00:00+03:00",
                },
                {"id": "m2", "author": "u2", "text": "Looking into it", "created_at": "2026-02-16T10:30:00+03:00"},
                {
                    "id": "m3",
                    "author": "u2",
                    "text": "Certificate expired",
                    "internal": True,
                    "created_at": "2026-02-16T10:40:00+03:00",
                },
            ],
        },
        {
            "type": "ticket",
            "id": "t2",
            "number": 502,
            "subject": "Printer",
            "requester": "u1",
            "status": "closed",
            "created_at": "2026-02-10T09:00:00+03:00",
            "closed_at": "2026-02-11T12:00:00+03:00",
            "messages": [
                {
                    "id": "m4",
                    "author": "u1",
                    "text": "Printer jams",
                    "created_at": "2026-02-10T09:00:00+03:00",
                    "attachments": [
                        {
                            "id": "a1",
                            "filename": "jam.txt",
                            "content_type": "text/plain",
                            "content_base64": "cGFwZXIgamFt",
                        }
                    ],
                },
                {"id": "m5", "author": "u2", "text": "Fixed", "created_at": "2026-02-11T11:00:00+03:00"},
            ],
        },
        {
            "type": "ticket",
            "id": "t3",
            "number": 503,
            "subject": "New laptop",
            "requester": {"email": "bob@acme.example", "name": "Bob"},
            "status": "waiting_customer",
            "created_at": "2026-02-20T09:00:00+03:00",
            "messages": [
                {
                    "id": "m6",
                    "text": "Need a laptop",
                    "author": {"email": "bob@acme.example"},
                    "created_at": "2026-02-20T09:00:00+03:00",
                }
            ],
        },
    ]
