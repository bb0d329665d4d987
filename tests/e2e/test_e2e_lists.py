"""The agent's list in Chromium at 1400 px and at phone width: one line per row, totals, Previous/Next,
queues and filters folded away on a phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.models import Team, User
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.testing import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _fill_queue() -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    team = Team.objects.create(name="Procurement and supplier contracts department")
    team.members.add(User.objects.get(email="fiona@otklik.demo"))
    now = timezone.now()
    for index in range(55):
        factories.ticket(requester=alice, subject=f"Laptop order {index}", team=team,
                         now=now - timedelta(minutes=index))


def test_list_at_1400_px_is_one_line_per_ticket_with_totals(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    _fill_queue()
    page = new_page(width=1400, height=900)
    sign_in(page, "fiona@otklik.demo", DEMO_PASSWORD)
    # Fiona has no tickets of her own: she lands on what waits unassigned in her teams.
    assert page.locator("[data-queue=team_unassigned].active").count() == 1
    total = page.locator("[data-list-total]").inner_text()
    assert total.startswith("1–50 of 5")
    heights = page.locator("#ticket-rows tr").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert max(heights) < 1.6 * min(heights), heights  # no row wraps a team name onto a second line
    screenshot(page, "list-1400")
    page.click("a[rel=next]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-list-total]").inner_text().startswith("51–")
    page.click("a[rel=prev]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-list-total]").inner_text().startswith("1–50")
    assert page.errors == []


def test_list_on_a_phone_folds_queues_and_filters(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    _fill_queue()
    page = new_page(width=390, height=844)
    sign_in(page, "fiona@otklik.demo", DEMO_PASSWORD)
    assert not page.locator("#list-sidebar").is_visible()
    assert not page.locator("#list-filters").is_visible()
    first_row = page.locator("#ticket-rows tr").first.bounding_box()
    assert first_row is not None and first_row["y"] < 844  # the list starts on the first screen
    screenshot(page, "list-phone")
    page.click("[aria-controls=list-sidebar]")
    page.locator("#list-sidebar").wait_for(state="visible")
    screenshot(page, "list-phone-queues")
    assert page.errors == []
