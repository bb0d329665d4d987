"""The chat scenario in Chromium: a requester asks in the portal chat, the agent sees it live and answers,
the dialog counts, the agent makes a ticket from the third-last message, the requester sees the ticket card
and finds it in My requests. Then the widget on a page of another loopback port: framed only when allowed."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import Team, User
from otklik.chat import selectors, services
from otklik.chat.models import ChatMessage, SupportChat
from otklik.demodata.seed import DEMO_PASSWORD, seed_reference_data
from otklik.tickets.models import Source, Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _chat() -> SupportChat:
    seed_reference_data()
    return services.chat_create(
        actor=User.objects.get(email="adam@otklik.demo"), name="Acme help chat",
        team=Team.objects.get(name="First line"), now=timezone.now(),
    )


def _say(page: Any, text: str) -> None:
    page.fill("#chat-text", text)
    page.click("#chat-form button[type=submit]")
    expect(page.locator(".chat-message .bubble", has_text=text)).to_be_visible()


def test_portal_chat_to_console_to_ticket(new_page: Any, sign_in: Any, screenshot: Any) -> None:
    chat = _chat()
    fiona = new_page()
    sign_in(fiona, "fiona@otklik.demo", DEMO_PASSWORD)
    fiona.goto(f"/chat/console/{chat.pk}/")
    expect(fiona.locator("[data-empty]")).to_be_visible()

    alice = new_page()
    sign_in(alice, "alice@acme.example", DEMO_PASSWORD)
    alice.goto(f"/chat/{chat.pk}/")
    expect(alice.locator("#chat-text")).to_be_enabled()
    _say(alice, "My VPN is down")

    # Live: the conversation appears in the console, waiting, without a reload.
    row = fiona.locator("[data-conversation]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-wait]")).to_be_visible()
    row.click()
    expect(fiona.locator(".chat-message .bubble", has_text="My VPN is down")).to_be_visible()
    _say(fiona, "Please reconnect, the certificate was renewed")
    expect(alice.locator(".chat-message .bubble", has_text="the certificate was renewed")).to_be_visible()
    fiona_user = User.objects.get(email="fiona@otklik.demo")
    today = timezone.localdate()
    metrics = selectors.first_line_metrics(fiona_user, start=today - timedelta(days=1), end=today)
    assert (metrics["dialogs"], metrics["unanswered"]) == (1, 0)

    for text in ("The printer on floor 2 is jammed", "It shows error E04", "Thanks for the VPN!"):
        _say(alice, text)
    expect(fiona.locator(".chat-message .bubble", has_text="Thanks for the VPN!")).to_be_visible()
    third_last = ChatMessage.objects.filter(chat=chat).order_by("-id")[2]
    assert third_last.text == "The printer on floor 2 is jammed"
    screenshot(fiona, "chat-console")
    fiona.locator(f'[data-message-id="{third_last.pk}"] [data-make-ticket]').click()
    expect(fiona.locator("#chat-command a", has_text="made")).to_be_visible()

    ticket = Ticket.objects.get(source=Source.CHAT)
    assert (ticket.requester.email, ticket.assignee_id) == ("alice@acme.example", fiona_user.pk)
    card = alice.locator(f'[data-message-id="{third_last.pk}"] .chat-ticket-card')
    expect(card).to_contain_text(f"#{ticket.number}")
    screenshot(alice, "chat-portal")
    alice.goto("/portal/")
    expect(alice.locator(f"a[href='/tickets/{ticket.number}/']")).to_contain_text("printer on floor 2")
    errors = [error for page in (alice, fiona) for error in page.errors]
    assert errors == [], errors


class _Host:
    """A page on another loopback port that embeds the widget, like an intranet would."""

    def __init__(self, widget_url: str) -> None:
        body = f'<!doctype html><title>Intranet</title><iframe id="w" src="{widget_url}"></iframe>'.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def test_widget_is_framed_only_by_allowed_origins(new_page: Any, sign_in: Any, server: str) -> None:
    chat = _chat()
    host = _Host(f"{server}/chat/widget/{chat.pk}/")
    try:
        alice = new_page()
        sign_in(alice, "alice@acme.example", DEMO_PASSWORD)
        alice.goto(host.origin + "/")
        alice.wait_for_timeout(1500)
        frame = alice.frame_locator("#w")
        expect(frame.locator("#chat-app")).to_have_count(0)  # refused: the origin is not allowed

        chat.allowed_origins = host.origin
        chat.save()
        alice.goto(host.origin + "/")
        expect(frame.locator("#chat-text")).to_be_enabled()
        frame.locator("#chat-text").fill("Hello from the intranet")
        frame.locator("#chat-form button[type=submit]").click()
        expect(frame.locator(".chat-message .bubble", has_text="Hello from the intranet")).to_be_visible()
        assert ChatMessage.objects.filter(chat=chat, author__email="alice@acme.example").count() == 1
        assert re.match(r"^http://127\.0\.0\.1:\d+$", host.origin)
    finally:
        host.close()
