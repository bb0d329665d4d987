"""The OpenAPI 3.1 schema is valid, served, and rendered as a reference page that loads nothing external."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command
from rest_framework.test import APIClient


def test_schema_validates_without_warnings(tmp_path: Path, db):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO())

    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"] == "3.1.0"
    assert "TicketEvent" in schema["webhooks"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    for path in (
        "/api/v1/tickets/",
        "/api/v1/tickets/{number}/replies/",
        "/api/v1/attachments/{token}/",
        "/api/v1/request-types/",
        "/api/v1/me/",
        "/api/v1/webhooks/",
    ):
        assert path in schema["paths"], path


def test_schema_is_served_without_authentication(db):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"


def test_docs_page_lists_operations_and_loads_nothing_from_outside(db, client):
    response = client.get("/api/v1/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "POST /api/v1/tickets/" in html
    assert "TicketCreate" in html
    external = re.findall(r'(?:src|href)="(https?:)?//', html)
    assert external == []


def test_unauthenticated_calls_get_the_error_envelope(db):
    response = APIClient().get("/api/v1/tickets/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"
    assert set(response.json()["error"]) == {"code", "message", "fields"}
