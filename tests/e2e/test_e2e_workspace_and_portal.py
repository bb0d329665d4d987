"""The issue's browser scenario, end to end in Chromium, with screenshots of the main pages.

Requester submits through a request type with required fields -> agent sees it in Unassigned ->
internal note + public reply (resolving it) -> requester sees the reply, never the note -> rates it.
Then: agent search, language switch to Russian, collision notice with two agents on one ticket.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import User
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.tickets import services
from otklik.tickets.models import RequestType, Ticket, TicketRating

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOTE = "Checked the directory: her account is locked, unlocking it now"
REPLY = "Hello Alice, access to the CRM is granted. Please try again."


def _expect_no_js_errors(*pages: Any) -> None:
    errors = [error for page in pages for error in page.errors]
    assert errors == [], errors


def test_requester_to_agent_and_back(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    seed_reference_data()
    alice = new_page()
    sign_in(alice, "alice@acme.example", DEMO_PASSWORD)
    assert alice.url.endswith("/portal/")
    screenshot(alice, "portal-my-requests")

    # The catalogue is grouped and searchable as you type.
    alice.click("text=New request")
    alice.wait_for_url(re.compile(r"/portal/new/$"))
    alice.wait_for_load_state("load")
    alice.fill("[data-catalogue-filter]", "access request")
    assert alice.locator("[data-catalogue-item]:visible").count() == 1
    screenshot(alice, "portal-catalogue")
    alice.click("text=Access request")

    # Required fields are enforced, with the message next to the field.
    alice.fill("#id_subject", "Cannot open the CRM")
    alice.click("main button[type=submit]")
    assert alice.locator("#id_field_system").get_attribute("aria-invalid") == "true"
    assert alice.locator("#id_field_system_errors").inner_text().strip() == "This field is required."
    alice.fill("#id_body", "I need access to the CRM for the new sales report.")
    alice.select_option("#id_field_system", "CRM")
    screenshot(alice, "portal-submit-form")
    alice.click("main button[type=submit]")
    alice.wait_for_url(re.compile(r"/portal/requests/\d+/created/"))
    number = int(alice.locator("[data-ticket-number]").inner_text().strip().lstrip("#"))
    screenshot(alice, "portal-confirmation")
    ticket = Ticket.objects.get(number=number)
    assert ticket.fields == {"system": "CRM"} and ticket.request_type is not None \
        and ticket.request_type.code == "access-request"

    # The agent finds it in Unassigned and answers: an internal note, then a reply that resolves it.
    fiona = new_page()
    sign_in(fiona, "fiona@otklik.demo", DEMO_PASSWORD)
    fiona.click("[data-queue=unassigned]")
    fiona.wait_for_url(re.compile(r"queue=unassigned"))
    row = fiona.locator(f"tr[data-ticket='{number}']")
    row.wait_for()
    screenshot(fiona, "agent-unassigned-queue")
    row.locator("td.subject a").click()
    fiona.wait_for_url(re.compile(rf"/tickets/{number}/"))
    fiona.click("#note-tab")
    fiona.fill("#note-body", NOTE)
    fiona.click("text=Add internal note")
    fiona.wait_for_selector(".timeline-note")
    assert NOTE in fiona.locator(".timeline-note").inner_text()
    fiona.fill("#reply-body", REPLY)
    fiona.select_option("#reply-status", label="Resolved")
    fiona.click("text=Send reply")
    fiona.wait_for_selector(f"text={REPLY}")
    screenshot(fiona, "agent-ticket")
    assert ticket.__class__.objects.get(pk=ticket.pk).status.code == "resolved"

    # The requester sees the reply, never the note, and rates the answer.
    alice.goto(f"/tickets/{number}/")
    body = alice.locator("main").inner_text()
    assert REPLY in body
    assert NOTE not in alice.content()
    assert "Solved — please check and rate the answer" in body
    alice.check("input[name=score][value='5']")
    alice.fill("#id_comment", "Quick and clear, thanks!")
    screenshot(alice, "portal-ticket-rate")
    alice.click("text=Send rating")
    alice.wait_for_selector("[data-rating]")
    assert TicketRating.objects.get(ticket=ticket).score == 5
    screenshot(alice, "portal-ticket-rated")
    _expect_no_js_errors(alice, fiona)


def test_agent_search_finds_text_and_jumps_to_numbers(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    ticket = services.ticket_create(
        actor=alice, requester=alice, subject="Принтеры на третьем этаже не печатают",
        body_text="С утра принтер в кабинете 305 мигает оранжевым.", now=timezone.now(),
    )
    fiona = new_page()
    sign_in(fiona, "fiona@otklik.demo", DEMO_PASSWORD)
    fiona.fill("#global-search", "принтер печатает")
    fiona.press("#global-search", "Enter")
    fiona.wait_for_url(re.compile(r"/search/"))
    result = fiona.locator(".search-results li").first
    assert f"#{ticket.number}" in result.inner_text()
    assert fiona.locator(".search-results mark").count() >= 1
    screenshot(fiona, "agent-search")
    fiona.fill("#global-search", f"#{ticket.number}")
    fiona.press("#global-search", "Enter")
    fiona.wait_for_url(re.compile(rf"/tickets/{ticket.number}/$"))
    _expect_no_js_errors(fiona)


def test_language_switch_to_russian(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    seed_reference_data()
    alice = new_page()
    sign_in(alice, "alice@acme.example", DEMO_PASSWORD)
    assert alice.locator("h1").inner_text() == "My requests"
    alice.select_option("#language-select", "ru")
    alice.wait_for_selector("html[lang=ru]")
    assert alice.locator("h1").inner_text() == "Мои заявки"
    assert alice.locator("nav >> text=Новая заявка").is_visible()
    screenshot(alice, "portal-russian")
    # The choice is kept on the profile: it follows her to another browser.
    assert User.objects.get(email="alice@acme.example").language == "ru"
    other_browser = new_page(locale="en-US")
    sign_in(other_browser, "alice@acme.example", DEMO_PASSWORD)
    assert other_browser.locator("h1").inner_text() == "Мои заявки"
    # A visitor's browser language decides before anyone signs in.
    visitor = new_page(locale="ru-RU")
    visitor.goto("/login/")
    assert visitor.locator("h1").inner_text() == "Вход"
    _expect_no_js_errors(alice, other_browser, visitor)


def test_collision_notice_with_two_agents_on_one_ticket(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    ticket = services.ticket_create(
        actor=alice, requester=alice, subject="VPN drops every 10 minutes", body_text="Since yesterday.",
        request_type=RequestType.objects.get(code="question"), now=timezone.now(),
    )
    fiona = new_page()
    sign_in(fiona, "fiona@otklik.demo", DEMO_PASSWORD)
    fiona.goto(f"/tickets/{ticket.number}/")
    fiona.wait_for_load_state("load")
    grace = new_page()
    sign_in(grace, "grace@otklik.demo", DEMO_PASSWORD)
    grace.goto(f"/tickets/{ticket.number}/")
    grace.wait_for_load_state("load")

    fiona_notice = fiona.locator("[data-presence]")
    fiona_notice.filter(has_text="Grace Lee").wait_for()
    assert "Also viewing this ticket: Grace Lee" in fiona_notice.inner_text()
    grace.locator("[data-presence]").filter(has_text="Fiona Firstline").wait_for()

    grace.fill("#reply-body", "Hi Alice, ")
    grace.type("#reply-body", "we are on it")
    fiona_notice.filter(has_text="Typing a reply right now: Grace Lee").wait_for()
    screenshot(fiona, "agent-collision-notice")

    grace.close()
    expect(fiona.locator("[data-presence]")).to_have_attribute("data-others", "0")
    assert fiona.locator("[data-presence]").is_hidden()
    _expect_no_js_errors(fiona)


def test_pages_fit_a_phone_screen(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    ticket = services.ticket_create(actor=alice, requester=alice, subject="Laptop battery drains fast",
                                    body_text="Less than an hour.", now=timezone.now())
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    phone = new_page(width=390, height=844)
    sign_in(phone, "alice@acme.example", DEMO_PASSWORD)
    for url, name in [("/portal/", "phone-portal"), ("/portal/new/", "phone-catalogue"),
                      ("/portal/new/access-request/", "phone-request-form"), (f"/tickets/{ticket.number}/",
                                                                                "phone-portal-ticket")]:
        phone.goto(url)
        assert phone.evaluate(fits), url
        screenshot(phone, name)
    agent = new_page(width=390, height=844)
    sign_in(agent, "fiona@otklik.demo", DEMO_PASSWORD)
    agent.goto(f"/tickets/{ticket.number}/")
    # The panels arrive after the page (one HTMX request) and still fit the phone.
    expect(agent.locator("#tags-panel")).to_be_attached()
    expect(agent.locator("#kb-text-select")).to_be_attached()
    assert agent.evaluate(fits)
    screenshot(agent, "phone-agent-ticket")
    # The menu collapses behind a labelled button and opens with the keyboard.
    toggler = agent.locator(".navbar-toggler")
    assert toggler.get_attribute("aria-label") == "Menu"
    toggler.focus()
    agent.keyboard.press("Enter")
    agent.locator("#main-nav >> text=New ticket").wait_for()
    _expect_no_js_errors(phone, agent)


def test_keyboard_shortcuts(new_page: Any, sign_in: Any) -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    first = services.ticket_create(actor=alice, requester=alice, subject="First", body_text="1", now=timezone.now())
    second = services.ticket_create(actor=alice, requester=alice, subject="Second", body_text="2",
                                    now=timezone.now())
    fiona = new_page()
    sign_in(fiona, "fiona@otklik.demo", DEMO_PASSWORD)
    fiona.goto("/?queue=all&sort=created")
    fiona.locator(f"tr[data-ticket='{second.number}'] td.subject a").click()
    fiona.wait_for_url(re.compile(rf"/tickets/{second.number}/"))
    fiona.wait_for_load_state("load")  # the shortcuts are wired once the deferred scripts ran
    fiona.keyboard.press("n")
    expect(fiona.locator("#note-body")).to_be_focused()
    fiona.keyboard.press("Escape")
    fiona.keyboard.press("r")
    expect(fiona.locator("#reply-body")).to_be_focused()
    fiona.keyboard.press("Escape")
    fiona.keyboard.press("a")
    fiona.wait_for_selector("text=Saved.")
    assert Ticket.objects.get(pk=second.pk).assignee_id == User.objects.get(email="fiona@otklik.demo").pk
    fiona.keyboard.press("j")
    fiona.wait_for_url(re.compile(rf"/tickets/{first.number}/"))
    fiona.keyboard.press("/")
    expect(fiona.locator("#global-search")).to_be_focused()
    _expect_no_js_errors(fiona)


def test_list_refreshes_itself_but_not_under_the_agents_hands(new_page: Any, sign_in: Any, settings: Any) -> None:
    settings.OTKLIK_LIST_REFRESH_SECONDS = 1
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    services.ticket_create(actor=alice, requester=alice, subject="Already there", body_text="1", now=timezone.now())
    fiona = new_page()
    sign_in(fiona, "fiona@otklik.demo", DEMO_PASSWORD)
    fiona.goto("/?queue=unassigned")
    count = fiona.locator("[data-queue=unassigned] [data-count]")
    expect(count).to_have_text("1")
    services.ticket_create(actor=alice, requester=alice, subject="Arrived later", body_text="2", now=timezone.now())
    fiona.locator("tr", has_text="Arrived later").wait_for()  # no reload: the polling brought it
    expect(count).to_have_text("2")
    # With a ticket ticked for a bulk action, the list holds still.
    fiona.locator("[data-bulk-check]").first.check()
    services.ticket_create(actor=alice, requester=alice, subject="Held back", body_text="3", now=timezone.now())
    fiona.wait_for_timeout(2500)
    assert fiona.locator("tr", has_text="Held back").count() == 0
    assert fiona.locator("[data-bulk-check]:checked").count() == 1
    fiona.locator("[data-bulk-check]").first.uncheck()
    fiona.locator("tr", has_text="Held back").wait_for()
    _expect_no_js_errors(fiona)
