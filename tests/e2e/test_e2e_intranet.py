"""The intranet widget in Chromium, embedded by a page of another loopback port: shown to the signed-in
employee with their own open requests when that origin is allowed, refused framing otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import User
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.testing import factories
from tests.e2e.test_e2e_chat import _Host

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_intranet_widget_framed_only_by_allowed_origins(
    new_page: Any, sign_in: Any, server: str, settings: Any
) -> None:
    seed_reference_data()
    alice = User.objects.get(email="alice@acme.example")
    mine = factories.ticket(requester=alice, subject="Monitor flickers", now=timezone.now())
    host = _Host(f"{server}/portal/widget/")
    try:
        settings.OTKLIK_INTRANET_WIDGET_ORIGINS = ["https://elsewhere.example"]
        page = new_page()
        sign_in(page, "alice@acme.example", DEMO_PASSWORD)
        with page.expect_response(lambda response: "/portal/widget/" in response.url) as refused:
            page.goto(host.origin + "/")
        # The sharp check: the widget's own answer names only the allowed origins as frame ancestors.
        policy = refused.value.headers.get("content-security-policy", "")
        assert "frame-ancestors" in policy and host.origin not in policy
        page.wait_for_timeout(1500)
        frame = page.frame_locator("#w")
        expect(frame.locator("#intranet-widget")).to_have_count(0)  # refused: the origin is not allowed

        settings.OTKLIK_INTRANET_WIDGET_ORIGINS = [host.origin]
        with page.expect_response(lambda response: "/portal/widget/" in response.url) as allowed:
            page.goto(host.origin + "/")
        assert host.origin in allowed.value.headers.get("content-security-policy", "")
        expect(frame.locator(f"[data-ticket='{mine.number}']")).to_contain_text("Monitor flickers")
        expect(frame.locator("#intranet-new")).to_have_attribute("href", "/portal/new/")
        expect(frame.locator("#intranet-portal")).to_have_attribute("href", "/portal/")
        assert page.errors == []
    finally:
        host.close()
