"""The admin shows each run's progress and refused rows (raw row included), and the status table is editable."""

from __future__ import annotations

import pytest
from django.test import Client

from otklik.imports.models import ImportRun, StatusMapping
from otklik.tickets.models import Status
from tests.imports.conftest import sample_lines, write_jsonl

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_run_pages_show_progress_and_refused_rows(tmp_path, run_import, people):
    lines = [
        *sample_lines(),
        {
            "type": "ticket",
            "id": "t9",
            "subject": "Odd",
            "requester": "u1",
            "status": "nowhere",
            "created_at": "2026-02-16T10:00:00+03:00",
        },
    ]
    path = write_jsonl(tmp_path / "in.jsonl", lines)
    run = run_import("json", {"path": str(path), "token": "hidden-secret"})
    client = admin_client(people.adam)
    listing = client.get("/admin/imports/importrun/")
    assert listing.status_code == 200
    assert "<progress" in listing.content.decode()
    page = client.get(f"/admin/imports/importrun/{run.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "nowhere" in body and "status mappings" in body
    assert "hidden-secret" not in body
    index = client.get("/admin/")
    assert "Imports" in [app["name"] for app in index.context["app_list"]]


def test_status_mapping_is_edited_in_the_admin(people):
    mapping = StatusMapping.objects.create(namespace="helpdesk", external="77", status=Status.objects.get(code="open"))
    client = admin_client(people.adam)
    assert client.get("/admin/imports/statusmapping/").status_code == 200
    closed = Status.objects.get(code="closed")
    response = client.post(
        f"/admin/imports/statusmapping/{mapping.pk}/change/",
        {"namespace": "helpdesk", "external": "77", "status": closed.pk},
    )
    assert response.status_code == 302
    mapping.refresh_from_db()
    assert mapping.status == closed


def test_requesters_and_agents_cannot_open_the_import_admin(people):
    for user in (people.alice, people.fiona):
        response = admin_client(user).get("/admin/imports/importrun/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ImportRun.objects.count() == 0
