"""The knowledge base in Chromium: an article's image shown in its text under the strict CSP, and the
agent's picker inserting an article's text (in the requester's language) into the reply box."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import User
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.knowledge.models import Article, ArticleStatus, Audience
from otklik.knowledge.services import article_files_add
from otklik.testing import factories
from otklik.tickets.inbound import InboundAttachment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# A real 1×1 PNG: the download response shows only bytes that are an image.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_article_image_and_text_into_a_reply(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    alice.language = "ru"
    alice.save(update_fields=["language"])
    article = Article.objects.create(
        slug="vpn-setup", audience=Audience.PUBLIC, status=ArticleStatus.PUBLISHED,
        title_en="Setting up the VPN", body_en="Open the VPN client. ![client](att:client.png)",
        title_ru="Настройка VPN", body_ru="Откройте VPN-клиент. ![клиент](att:client.png)",
    )
    article_files_add(User.objects.get(email="adam@otklik.demo"), article,
                      [InboundAttachment("client.png", PIXEL, "image/png")], now=timezone.now())
    ticket = factories.ticket(requester=alice, subject="VPN does not connect", now=timezone.now())

    reader = new_page()
    sign_in(reader, "alice@acme.example", DEMO_PASSWORD)
    reader.goto("/kb/a/vpn-setup/")
    image = reader.locator(".kb-body img")
    image.wait_for()
    # Waits through Playwright's own script world: a string for wait_for_function is eval()ed in the page,
    # which the strict CSP refuses once the first check has not yet passed.
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("node => node.naturalWidth") == 1  # loaded, not blocked by the CSP
    assert reader.errors == []

    agent = new_page(width=1400)
    sign_in(agent, "fiona@otklik.demo", DEMO_PASSWORD)
    agent.goto(f"/tickets/{ticket.number}/")
    agent.fill("#reply-body", "Здравствуйте! ")
    agent.select_option("#kb-text-select", label="Setting up the VPN")
    expect(agent.locator("#reply-body")).to_have_value(re.compile("Откройте VPN-клиент"))
    value = agent.input_value("#reply-body")
    assert value.startswith("Здравствуйте! Откройте VPN-клиент.")
    assert "/kb/f/" in value and value.rstrip().endswith("/kb/a/vpn-setup/")
    assert agent.errors == []
    screenshot(agent, "knowledge-text-in-reply")
