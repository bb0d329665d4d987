"""Report pages in Chromium on demo-like data: charts drawn, a number opens its tickets with the same total,
a month switches the period, and the pages in Russian. Screenshots in test-artifacts/screenshots."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import User
from otklik.demodata.bulk import generate_tickets
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.reports.demo import seed_demo_ratings
from otklik.sla.demo import backfill_clocks, seed_demo_sla

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGES = ("", "breakdowns/", "load/", "sla/", "specialists/", "csat/", "forecast/")


def _demo_desk() -> None:
    now = timezone.now()
    seed_reference_data()
    seed_demo_sla(now)
    generate_tickets(400, now=now, days=120, seed=7, use_copy=False)
    backfill_clocks(now)
    seed_demo_ratings(now=now)
    call_command("reports_rebuild", stdout=None)


def test_report_pages_with_charts_and_drill_down(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    _demo_desk()
    adam = new_page()
    sign_in(adam, "adam@otklik.demo", DEMO_PASSWORD)
    # The period of the generated data (120 days), not the default "this month": early in a month the current
    # month can hold no rating or stopped clock yet, and a per-month chart of an empty period has no point.
    today = timezone.localdate()
    period = f"?from={(today - timedelta(days=119)).isoformat()}&to={today.isoformat()}"
    for path in PAGES:
        # The forecast's first fit imports pandas and statsmodels: slow on a busy CI machine.
        adam.goto(f"/reports/{path}{period}", timeout=90_000)
        expect(adam.locator("h1")).to_contain_text("Reports")
        for canvas in adam.locator("canvas[data-chart]").all():
            expect(canvas).to_have_attribute("data-drawn", re.compile(r"^[1-9]\d*$"))
        screenshot(adam, f"reports-{path.strip('/') or 'overview'}")
    assert adam.errors == []

    adam.goto("/reports/")
    new_count = adam.locator("[data-metric=new] .display-6").inner_text()
    adam.click("[data-metric=new]")
    expect(adam.locator("[data-report-total]")).to_have_attribute("data-report-total", new_count)
    screenshot(adam, "reports-drill-down-list")

    adam.goto("/reports/")
    first_month = adam.locator("table tbody th a").first
    month = first_month.inner_text()
    first_month.click()
    expect(adam.locator("#r-from")).to_have_value(f"{month}-01")

    adam.goto("/reports/load/")
    expect(adam.locator("[data-heatmap] td.heat-5").first).to_be_visible()

    # The same desk for a Russian-speaking manager (one server and one data set: the fill is the slow part).
    manager = User.objects.filter(role="manager").order_by("pk").first()
    assert manager is not None
    manager.language = "ru"
    manager.save(update_fields=["language"])
    page = new_page(locale="ru-RU")
    sign_in(page, manager.email, DEMO_PASSWORD)
    page.goto("/reports/")
    expect(page.locator("h1")).to_contain_text("Отчёты")
    expect(page.locator("[data-first-line=empty]")).to_have_text("Чатов пока нет")
    screenshot(page, "reports-overview-russian")
    page.goto("/reports/forecast/", timeout=90_000)
    expect(page.locator("[data-forecast], [data-forecast=unavailable]").first).to_be_visible()
    screenshot(page, "reports-forecast-russian")
    assert page.errors == []
