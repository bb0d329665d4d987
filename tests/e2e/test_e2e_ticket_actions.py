"""The agent's ticket page in Chromium: Send pressed twice sends once, the fields editor, a refused
merge next to its field, and the header change refreshing the timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import User
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.testing import factories
from otklik.tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_send_twice_sends_once_and_fields_edit_in_place(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    ticket = factories.ticket(requester=alice, subject="Printer on floor 3", now=timezone.now())
    page = new_page(width=1400)
    sign_in(page, "fiona@otklik.demo", DEMO_PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")
    page.fill("#reply-body", "We replaced the toner.")
    with page.expect_navigation():
        page.locator("button:has-text('Send reply')").dblclick()
    page.wait_for_load_state("load")
    page.locator("article", has_text="We replaced the toner.").wait_for()
    assert Message.objects.filter(ticket=ticket, body_text="We replaced the toner.").count() == 1
    # The channel is not "Web portal" for the agent's own reply.
    reply = page.locator("article", has_text="We replaced the toner.")
    assert reply.locator("[data-channel]").count() == 0

    # The panels after the page: tags added in place with the keyboard, the SLA box kept for refreshes.
    page.locator("#tag-add").fill("toner")
    page.keyboard.press("Enter")
    expect(page.locator("[data-ticket-tags]")).to_contain_text("toner")
    assert page.locator("#sla-panel-box").count() == 1

    # A header change refreshes the timeline without a reload.
    page.select_option("#h-priority", label="Critical")
    page.locator("#timeline", has_text="Priority").wait_for()

    # The merge number's error is under the field.
    page.fill("#merge-target", "99999")
    page.check("#merge-confirm")
    page.click("#merge-form button[type=submit]")
    page.locator("#merge-target-error").wait_for()
    assert "99999" in page.locator("#merge-target-error").inner_text()
    screenshot(page, "ticket-merge-error")

    # The request type and its fields, edited in place; a required field is asked for beside it.
    page.click("#ticket-fields summary")
    page.select_option("#id_request_type", label="Access request")
    page.click("#ticket-fields button[type=submit]")
    page.wait_for_load_state("load")
    page.locator("#ticket-fields .invalid-feedback").first.wait_for()
    screenshot(page, "ticket-fields-editor")
    assert page.errors == []
