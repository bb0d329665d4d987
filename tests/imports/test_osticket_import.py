"""osTicket's published tables (ost_ prefix) in SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from otklik.accounts.models import Organization, Role, User
from otklik.tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db
SCHEMA = Path(__file__).parent / "fixtures" / "osticket_schema.sql"
T = "2026-01-12 10:00:00"


def make_osticket(tmp_path: Path) -> Path:
    db = tmp_path / "osticket.sqlite3"
    c = sqlite3.connect(db)
    c.executescript(SCHEMA.read_text())
    c.execute("INSERT INTO ost_organization (id, name, domain) VALUES (1, 'Globex', 'globex.example')")
    c.execute(
        "INSERT INTO ost_user (id, org_id, default_email_id, name, created, updated) VALUES (1, 1, 1, 'Hank', ?, ?)",
        (T, T),
    )
    c.execute("INSERT INTO ost_user_email (id, user_id, address) VALUES (1, 1, 'hank@globex.example')")
    c.execute(
        "INSERT INTO ost_staff (staff_id, username, firstname, lastname, email, passwd, created, updated) "
        "VALUES (1, 'marge', 'Marge', 'S', 'marge@desk.example', 'secret-hash', ?, ?)",
        (T, T),
    )
    for sid, name, state in ((1, "Open", "open"), (2, "Resolved", "closed"), (3, "Closed", "closed")):
        c.execute(
            "INSERT INTO ost_ticket_status (id, name, state, created, updated) VALUES (?, ?, ?, ?, ?)",
            (sid, name, state, T, T),
        )
    c.execute("INSERT INTO ost_ticket_priority (priority_id, priority) VALUES (4, 'emergency')")
    c.execute(
        "INSERT INTO ost_ticket (ticket_id, number, user_id, status_id, staff_id, source, created, updated, "
        "closed) VALUES (1, '745123', 1, 2, 1, 'Email', '2026-01-12 10:00:00', '2026-01-12 12:00:00', "
        "'2026-01-12 12:00:00')"
    )
    c.execute(
        "INSERT INTO ost_ticket (ticket_id, number, user_id, status_id, source, created, updated) "
        "VALUES (2, '745124', 99, 1, 'Web', '2026-01-12 11:00:00', '2026-01-12 11:00:00')"
    )
    c.execute("INSERT INTO ost_ticket__cdata (ticket_id, subject, priority) VALUES (1, 'Reactor alarm', '4')")
    c.execute("INSERT INTO ost_thread (id, object_id, object_type, created) VALUES (1, 1, 'T', ?)", (T,))
    entry = (
        "INSERT INTO ost_thread_entry (id, thread_id, staff_id, user_id, type, body, format, created, updated) "
        "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)"
    )
    c.execute(entry, (1, 0, 1, "M", "<p>Alarm is ringing</p>", "html", "2026-01-12 10:00:00", T))
    c.execute(entry, (2, 1, 0, "R", "Reset it", "text", "2026-01-12 10:30:00", T))
    c.execute(entry, (3, 1, 0, "N", "Hank again", "text", "2026-01-12 10:35:00", T))
    c.execute(
        "INSERT INTO ost_file (id, type, size, key, signature, name, created) "
        "VALUES (1, 'text/plain', 6, 'k', 's', 'log.txt', ?)",
        (T,),
    )
    c.execute("INSERT INTO ost_file_chunk (file_id, chunk_id, filedata) VALUES (1, 0, ?), (1, 1, ?)", (b"abc", b"def"))
    c.execute("INSERT INTO ost_attachment (object_id, type, file_id, name) VALUES (1, 'H', 1, NULL)")
    c.commit()
    c.close()
    return db


def test_osticket_import(tmp_path, run_import):
    db = make_osticket(tmp_path)
    run = run_import("osticket", {"db_url": f"sqlite:///{db}", "keep_numbers": True, "timezone": "UTC"})
    assert run.counts["created"] == {"organization": 1, "person": 2, "ticket": 1, "message": 3, "attachment": 1}
    assert "99" in run.problems.get(external_id="t2").reason
    ticket = Ticket.objects.get(number=745123)
    assert ticket.subject == "Reactor alarm"
    assert ticket.status.code == "resolved"
    assert ticket.priority.code == "critical"
    assert ticket.source == "email"
    assert ticket.organization == Organization.objects.get(name="Globex")
    assert ticket.assignee == User.objects.get(email="marge@desk.example", role=Role.AGENT)
    first, reply, note = ticket.messages.all()
    assert "Alarm is ringing" in first.body_html
    assert first.author is not None and first.author.email == "hank@globex.example"
    assert reply.body_text == "Reset it" and not reply.is_internal
    assert note.is_internal
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "log.txt"
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"abcdef"
    assert "secret-hash" not in str(list(run.problems.values_list("raw", flat=True)))
    run_import("osticket", {"db_url": f"sqlite:///{db}", "keep_numbers": True, "timezone": "UTC"})
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 1
