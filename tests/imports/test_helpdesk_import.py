"""django-helpdesk's own schema (generated from its migrations, tests/imports/fixtures) in SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from otklik.accounts.models import Role, User
from otklik.imports.models import StatusMapping
from otklik.imports.readers import build_reader
from otklik.imports.readers.base import ReaderError
from otklik.tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db
SCHEMA = Path(__file__).parent / "fixtures" / "helpdesk_schema.sql"


def make_helpdesk(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "helpdesk.sqlite3"
    media = tmp_path / "media"
    (media / "helpdesk" / "attachments").mkdir(parents=True)
    (media / "helpdesk" / "attachments" / "screen.png").write_bytes(b"\x89PNG fake")
    connection = sqlite3.connect(db)
    connection.executescript(SCHEMA.read_text())
    user = (
        "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined) VALUES (?, 'x', 0, ?, ?, ?, ?, ?, 1, '2025-01-01 00:00:00')"
    )
    connection.execute(user, (1, "sam", "Sam", "Agent", "sam@desk.example", 1))
    connection.execute(user, (2, "ann", "Ann", "Lee", "ann@corp.example", 0))
    connection.execute(
        "INSERT INTO helpdesk_queue (id, title, slug, allow_public_submission, allow_email_submission, "
        "email_box_ssl, enable_notifications_on_email_events) VALUES (1, 'IT', 'it', 1, 1, 0, 0)"
    )
    ticket = (
        "INSERT INTO helpdesk_ticket (id, title, created, modified, submitter_email, status, on_hold, "
        "description, priority, assigned_to_id, queue_id, secret_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'k')"
    )
    connection.execute(
        ticket,
        (
            7,
            "Mail is slow",
            "2026-01-12 07:00:00",
            "2026-01-13 08:00:00",
            "ann@corp.example",
            4,
            0,
            "Outlook takes minutes",
            2,
            1,
        ),
    )
    connection.execute(
        ticket,
        (8, "New chair", "2026-01-14 07:00:00", "2026-01-14 07:00:00", "bob@corp.example", 1, 1, "Mine broke", 3, None),
    )
    connection.execute(
        ticket,
        (9, "Mystery", "2026-01-15 07:00:00", "2026-01-15 07:00:00", "bob@corp.example", 77, 0, "Odd status", 3, None),
    )
    followup = (
        "INSERT INTO helpdesk_followup (id, ticket_id, date, title, comment, public, user_id, new_status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    connection.execute(followup, (1, 7, "2026-01-12 07:20:00", "Comment", "Restarted the server", 1, 1, None))
    connection.execute(followup, (2, 7, "2026-01-12 07:25:00", "Comment", "It was the disk", 0, 1, None))
    connection.execute(followup, (3, 7, "2026-01-13 08:00:00", "Closed", "Closing", 1, 1, 4))
    connection.execute(
        "INSERT INTO helpdesk_followupattachment (id, file, filename, mime_type, size, followup_id) "
        "VALUES (1, 'helpdesk/attachments/screen.png', 'screen.png', 'image/png', 9, 1)"
    )
    connection.commit()
    connection.close()
    return db, media


def test_helpdesk_import(tmp_path, run_import):
    db, media = make_helpdesk(tmp_path)
    options = {"db_url": f"sqlite:///{db}", "media_root": str(media), "keep_numbers": True}
    run = run_import("helpdesk", options)
    assert run.counts["created"]["ticket"] == 2
    problem = run.problems.get()
    assert problem.external_id == "9" and "77" in problem.reason and problem.raw["title"] == "Mystery"
    mail = Ticket.objects.get(number=7)
    assert mail.status.code == "closed" and str(mail.closed_at) == "2026-01-13 08:00:00+00:00"
    assert mail.priority.code == "high"
    assert mail.assignee == User.objects.get(email="sam@desk.example")
    assert mail.assignee.role == Role.AGENT
    assert mail.requester.get_full_name() == "Ann Lee"
    assert [(m.body_text, m.is_internal) for m in mail.messages.all()] == [
        ("Outlook takes minutes", False),
        ("Restarted the server", False),
        ("It was the disk", True),
        ("Closing", False),
    ]
    assert str(mail.first_response_at) == "2026-01-12 07:20:00+00:00"
    assert Attachment.objects.get(ticket=mail).filename == "screen.png"
    chair = Ticket.objects.get(number=8)
    assert chair.status.kind == "on_hold"
    assert chair.requester.email == "bob@corp.example"
    # the admin maps status 77 and runs again: the rest is updated, nothing duplicated
    StatusMapping.objects.create(namespace="helpdesk", external="77", status=chair.status)
    again = run_import("helpdesk", options)
    assert again.counts["created"]["ticket"] == 1 and again.counts["updated"]["ticket"] == 2
    assert Ticket.objects.count() == 3 and Attachment.objects.count() == 1


def test_missing_attachment_file_refuses_only_that_ticket(tmp_path, run_import):
    db, _media = make_helpdesk(tmp_path)
    run = run_import("helpdesk", {"db_url": f"sqlite:///{db}"})
    assert "media-root" in run.problems.get(external_id="7").reason
    assert Ticket.objects.filter(subject="New chair").exists()


def test_unreachable_database_is_one_clear_error(tmp_path):
    with pytest.raises(ReaderError):
        build_reader("helpdesk", {"db_url": f"sqlite:///{tmp_path / 'none.sqlite3'}"})
    with pytest.raises(ReaderError, match="Unsupported"):
        build_reader("helpdesk", {"db_url": "oracle://x/y"})
