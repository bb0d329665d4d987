"""The people directory, the phone form's look-up and type fields, and the searchable filters, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import User
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.testing import factories
from otklik.tickets.models import CustomField, FieldKind, Source, Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _world() -> User:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    User.objects.filter(pk=alice.pk).update(phone="+7 (495) 123-45-67")
    factories.ticket(requester=alice, subject="Printer on the 3rd floor", now=timezone.now())
    return alice


def test_directory_person_and_new_ticket_for_them(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    alice = _world()
    page = new_page(width=1400, height=900)
    sign_in(page, "fiona@otklik.demo", DEMO_PASSWORD)
    page.click("nav >> text=People")
    page.fill("#people-q", "495 123")
    page.press("#people-q", "Enter")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-person]").count() == 1
    assert page.locator("[data-list-total]").inner_text().startswith("1–1 of 1")
    screenshot(page, "directory-people")
    page.click(f"[data-person='{alice.pk}'] a >> nth=0")
    page.wait_for_load_state("domcontentloaded")
    assert "Printer on the 3rd floor" in page.locator("#tickets-title + a, main").first.inner_text()
    screenshot(page, "directory-person")
    page.click("[data-new-ticket-for]")
    page.wait_for_load_state("domcontentloaded")
    assert page.input_value("#id_requester_email") == "alice@acme.example"
    # The workspace search box finds people too.
    page.fill("#global-search", "Acme")
    page.press("#global-search", "Enter")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-directory-hits] a[href^='/organizations/']").count() >= 1
    assert page.errors == []


def test_phone_form_look_up_and_request_type_fields(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    _world()
    kind = factories.request_type("laptop_phone", name="New laptop")
    CustomField.objects.create(request_type=kind, code="model", label="Model", kind=FieldKind.CHOICE,
                               choices=["ThinkPad", "MacBook"], required=True)
    page = new_page(width=1366, height=1000)
    sign_in(page, "fiona@otklik.demo", DEMO_PASSWORD)
    page.goto("/tickets/new/")
    page.fill("#requester-lookup", "alic")
    page.wait_for_selector("[data-person-pick]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#id_requester_email") == "alice@acme.example"
    page.fill("#id_subject", "Laptop for the new accountant")
    page.select_option("#id_request_type", str(kind.pk))
    page.wait_for_selector("#id_field_model")
    screenshot(page, "phone-form")
    page.select_option("#id_field_model", "ThinkPad")
    page.click("main button[type=submit]:has-text('Create ticket')")
    page.wait_for_url("**/tickets/*/")
    ticket = Ticket.objects.get(subject="Laptop for the new accountant")
    assert ticket.source == Source.PHONE and ticket.fields == {"model": "ThinkPad"}
    assert page.errors == []


def test_filters_are_searchable_multi_selects(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    _world()
    page = new_page(width=1400, height=900)
    sign_in(page, "adam@otklik.demo", DEMO_PASSWORD)
    page.goto("/?queue=all")
    page.click("button[aria-controls=more-filters]")
    control = page.locator("#f-status-ts-control")
    control.click()
    page.keyboard.type("new")
    # The dropdown filters as it is typed into: pick only once the match is the highlighted option.
    page.locator("#f-status-ts-dropdown .option.active").filter(has_text="New").wait_for()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    # Not wait_for_function: its string is eval()ed in the page, which the strict CSP refuses.
    expect(page.locator("#f-status option:checked")).to_have_count(1, timeout=10_000)
    assert page.locator("#f-status option:checked").count() == 1
    screenshot(page, "list-multiselect")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "status=" in page.url
    assert page.errors == []
