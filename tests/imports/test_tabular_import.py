"""CSV and XLSX files with a column mapping saved as a named profile."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from otklik.accounts.models import Organization, Role, User
from otklik.core.errors import InvalidInput
from otklik.imports.models import ImportProfile
from otklik.imports.profiles import parse_pairs, profile_mapping, profile_save
from otklik.imports.readers import build_reader
from otklik.imports.readers.base import ReaderError
from otklik.tickets.models import Message, Ticket
from tests.imports.conftest import NOW

pytestmark = pytest.mark.django_db

RU_MAPPING = {
    "id": "Номер",
    "subject": "Тема",
    "body": "Описание",
    "requester_email": "Почта",
    "requester_name": "Заявитель",
    "status": "Статус",
    "created_at": "Создана",
    "number": "Номер",
}
RU_HEADER = ["Номер", "Тема", "Описание", "Почта", "Заявитель", "Статус", "Создана"]
RU_ROWS = [
    ["101", "Не работает VPN", "Ошибка 809", "ivan@corp.example", "Иван Петров", "open", "12.01.2026 09:30"],
    ["102", "Картридж", "Закончился тонер", "olga@corp.example", "Ольга", "closed", "2026-01-13 10:00"],
    ["103", "", "Без темы", "olga@corp.example", "Ольга", "open", "13.01.2026 11:00"],
    ["104", "Дата", "Плохая дата", "olga@corp.example", "Ольга", "open", "вчера"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ";") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_csv_tickets_with_a_saved_profile(tmp_path, run_import):
    profile_save(name="old-desk", kind="tickets", mapping=RU_MAPPING, now=NOW)
    path = write_csv(tmp_path / "tickets.csv", RU_HEADER, RU_ROWS)
    mapping = profile_mapping(name="old-desk", kind="tickets")
    run = run_import(
        "csv",
        {"path": str(path), "kind": "tickets", "mapping": mapping, "keep_numbers": True, "timezone": "Europe/Moscow"},
    )
    assert run.counts["created"]["ticket"] == 2
    vpn = Ticket.objects.get(number=101)
    assert vpn.subject == "Не работает VPN"
    assert vpn.created_at.isoformat() == "2026-01-12T06:30:00+00:00"
    assert vpn.requester.get_full_name() == "Иван Петров"
    assert vpn.messages.get().body_text == "Ошибка 809"
    assert Ticket.objects.get(number=102).status.code == "closed"
    reasons = {p.external_id: p.reason for p in run.problems.all()}
    assert set(reasons) == {"103", "104"}
    assert "subject" in reasons["103"]
    assert "Создана" in reasons["104"] and "вчера" in reasons["104"]
    assert run.problems.get(external_id="104").raw["Тема"] == "Дата"
    again = run_import("csv", {"path": str(path), "kind": "tickets", "mapping": mapping, "keep_numbers": True})
    assert again.counts["updated"]["ticket"] == 2 and Ticket.objects.count() == 2


def test_csv_messages_people_and_organizations(tmp_path, run_import):
    orgs = write_csv(tmp_path / "orgs.csv", ["id", "name", "domain"], [["o1", "Рога и копыта", "rk.example"]], ",")
    run_import("csv", {"path": str(orgs), "kind": "organizations"})
    people = write_csv(
        tmp_path / "people.csv",
        ["id", "email", "name", "organization", "staff"],
        [["p1", "ivan@rk.example", "Иван", "Рога и копыта", "нет"], ["p2", "agent@desk.example", "Агент", "", "да"]],
        ",",
    )
    run_import("csv", {"path": str(people), "kind": "people"})
    assert User.objects.get(email="ivan@rk.example").organization == Organization.objects.get(domain="rk.example")
    assert User.objects.get(email="agent@desk.example").role == Role.AGENT
    tickets = write_csv(
        tmp_path / "t.csv",
        ["id", "subject", "requester_id", "status", "created_at", "body"],
        [["t1", "Почта", "p1", "open", "2026-01-12T09:30:00+03:00", "Не приходит почта"]],
        ",",
    )
    run_import("csv", {"path": str(tickets), "kind": "tickets"})
    messages = write_csv(
        tmp_path / "m.csv",
        ["id", "ticket_id", "author_id", "body", "internal", "created_at"],
        [
            ["m1", "t1", "p2", "Проверяем", "0", "2026-01-12T10:00:00+03:00"],
            ["m2", "t1", "p2", "Заметка", "1", "2026-01-12T10:05:00+03:00"],
            ["m3", "t404", "p2", "Куда?", "0", "2026-01-12T10:05:00+03:00"],
        ],
        ",",
    )
    run = run_import("csv", {"path": str(messages), "kind": "messages"})
    ticket = Ticket.objects.get(subject="Почта")
    assert [m.body_text for m in ticket.messages.all()] == ["Не приходит почта", "Проверяем", "Заметка"]
    assert ticket.first_response_at is not None
    assert ticket.messages.get(body_text="Заметка").is_internal
    assert "t404" in run.problems.get().reason
    run_import("csv", {"path": str(messages), "kind": "messages"})
    assert Message.objects.filter(ticket=ticket).count() == 3


def test_xlsx_tickets(tmp_path, run_import):
    from datetime import datetime

    path = write_xlsx(
        tmp_path / "t.xlsx",
        ["ID", "Subject", "Email", "State", "Opened"],
        [
            [1.0, "Monitor", "kim@corp.example", "open", datetime(2026, 1, 12, 9, 30)],  # noqa: DTZ001 - naive in XLSX
            [2.0, "Mouse", "kim@corp.example", "resolved", "2026-01-13 10:00"],
        ],
    )
    mapping = parse_pairs(["id=ID", "subject=Subject", "requester_email=Email", "status=State", "created_at=Opened"])
    run = run_import("xlsx", {"path": str(path), "kind": "tickets", "mapping": mapping, "timezone": "UTC"})
    assert run.problem_count == 0 and run.counts["created"]["ticket"] == 2
    assert Ticket.objects.get(subject="Monitor").created_at.isoformat() == "2026-01-12T09:30:00+00:00"
    assert Ticket.objects.get(subject="Mouse").resolved_at is not None


def test_mapping_errors_are_clear(tmp_path):
    path = write_csv(tmp_path / "t.csv", RU_HEADER, RU_ROWS)
    with pytest.raises(ReaderError, match="required fields"):
        build_reader("csv", {"path": str(path), "kind": "tickets"})
    with pytest.raises(ReaderError, match=r"is not in the file"):
        build_reader("csv", {"path": str(path), "kind": "tickets", "mapping": {**RU_MAPPING, "subject": "Subj"}})
    with pytest.raises(ReaderError, match="Unknown fields"):
        build_reader("csv", {"path": str(path), "kind": "tickets", "mapping": {"colour": "Цвет"}})
    with pytest.raises(ReaderError, match="does not exist"):
        build_reader("csv", {"path": str(tmp_path / "none.csv"), "kind": "tickets"})
    with pytest.raises(InvalidInput):
        parse_pairs(["subject"])
    with pytest.raises(InvalidInput):
        profile_mapping(name="missing", kind="tickets")
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(ReaderError, match="XLSX"):
        build_reader("xlsx", {"path": str(bad), "kind": "tickets", "mapping": RU_MAPPING})


def test_profile_keeps_each_kind(db):
    profile_save(name="p", kind="tickets", mapping={"subject": "Тема"}, now=NOW)
    profile_save(name="p", kind="people", mapping={"email": "Почта"}, now=NOW)
    assert ImportProfile.objects.get(name="p").mapping == {"tickets": {"subject": "Тема"}, "people": {"email": "Почта"}}
