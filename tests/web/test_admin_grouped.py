"""The admin index: branded, grouped by area, internal tables under System."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_admin_index_is_grouped_by_area_with_internal_tables_under_system(people, client_for):
    response = client_for(people.adam).get("/admin/")
    assert response.status_code == 200
    apps = {app["name"]: [model["object_name"] for model in app["models"]] for app in response.context["app_list"]}
    assert list(apps)[:6] == ["Tickets", "SLA", "Channels", "Automation", "People", "Integrations"]
    assert "Ticket" in apps["Tickets"] and "SlaPolicy" in apps["SLA"]
    for internal in ("OutboxCursor", "PeriodicRun", "AccessAttempt", "TOTPDevice"):
        assert internal in apps["System"], internal
        assert all(internal not in models for name, models in apps.items() if name != "System")
    assert "Otklik administration" in response.content.decode()
    # Every registered model is still reachable.
    from django.contrib import admin
    assert sum(len(models) for models in apps.values()) == len(admin.site._registry)
