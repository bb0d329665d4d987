"""Exports stream: a StreamingHttpResponse whose generator yields row by row, reading through a cursor."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.cache import cache
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from otklik.reports.exports import Table, csv_chunks, tickets_table, xlsx_chunks
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets.models import Ticket
from tests.reports.conftest import msk

pytestmark = pytest.mark.django_db


def test_csv_generator_yields_before_reading_every_row() -> None:
    pulled: list[int] = []

    def rows():
        for index in range(100_000):
            pulled.append(index)
            yield [index, f"subject {index}"]

    chunks = csv_chunks(Table(["n", "subject"], rows()))
    assert next(chunks) == "\ufeff"
    assert next(chunks) == "n,subject\r\n"
    assert next(chunks) == "0,subject 0\r\n"
    assert len(pulled) == 1  # one row read, one row written: memory does not grow with the export
    assert sum(1 for _chunk in chunks) == 99_999


def test_csv_cells_never_become_formulas() -> None:
    text = "".join(csv_chunks(Table(["subject"], [["=HYPERLINK(\"http://x\")"], ["-1"]])))
    assert "'=HYPERLINK" in text
    assert "'-1" in text


def test_xlsx_is_written_row_by_row_and_streamed_in_chunks() -> None:
    rows = ([index, f"тема {index}"] for index in range(20_000))
    chunks = list(xlsx_chunks(Table(["n", "subject"], rows)))
    assert len(chunks) > 1
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 20_001
    assert "тема 19999" in sheet  # constant_memory writes strings inline, in order


def test_ticket_list_export_streams_every_row_not_one_page(people: Personas, settings) -> None:
    settings.OTKLIK_LIST_PAGE_SIZE = 2
    for index in range(5):
        factories.ticket(requester=people.alice, subject=f"Export {index}", team=people.second_line,
                         now=msk(2026, 3, 2, 10, index))
    client = Client()
    client.force_login(people.mia)
    response = client.get(reverse("home"), {"format": "csv", "q": "Export"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 6
    assert {row[1] for row in rows[1:]} == {f"Export {index}" for index in range(5)}


def test_api_list_and_report_exports(people: Personas) -> None:
    cache.clear()
    factories.ticket(requester=people.alice, subject="API export", team=people.second_line, now=msk(2026, 3, 2, 10))
    client = Client()
    client.force_login(people.mia)
    listed = client.get("/api/v1/tickets/", {"format": "xlsx"})
    assert isinstance(listed, StreamingHttpResponse)
    assert listed["Content-Type"].startswith("application/vnd.openxmlformats")
    report = client.get("/api/v1/reports/breakdown/", {"from": "2026-03-01", "to": "2026-03-31", "by": "team",
                                                       "format": "csv"})
    assert isinstance(report, StreamingHttpResponse)
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert "Second line" in text
    bad = client.get("/api/v1/reports/breakdown/", {"from": "someday", "by": "team"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["from"]


def test_tickets_table_reads_through_a_server_side_iterator(people: Personas) -> None:
    factories.ticket(requester=people.alice, subject="Iterated", now=msk(2026, 3, 2, 10))
    table = tickets_table(Ticket.objects.all())
    assert not isinstance(table.rows, list)  # a lazy iterator, not a materialised list
    assert [row[1] for row in table.rows] == ["Iterated"]
