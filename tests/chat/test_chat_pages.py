"""Chat pages: who may open the console, the portal chat and the widget; framing only for allowed origins."""

from __future__ import annotations

import pytest
from django.test import Client

from otklik.chat import services
from otklik.chat.models import Conversation
from otklik.testing.personas import PASSWORD
from otklik.testing.queries import count_queries

PERSONAS = ("alice", "bob", "carol", "fiona", "sam", "mia", "rita", "adam")
CONSOLE_A = {"fiona", "mia", "rita", "adam"}
PORTAL_A = {"alice", "bob"}  # Org A's people; staff ask in chats open to everyone only


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_access_matrix(persona, people, chats):
    client = _client(getattr(people, persona))
    console = client.get(f"/chat/console/{chats.org_a.pk}/")
    portal = client.get(f"/chat/{chats.org_a.pk}/")
    assert console.status_code == (200 if persona in CONSOLE_A else 404)
    assert portal.status_code == (200 if persona in PORTAL_A else 404)
    index = client.get("/chat/console/")
    assert index.status_code == (404 if persona in {"alice", "bob", "carol"} else 302)


def test_anonymous_is_sent_to_sign_in(chats):
    assert Client().get(f"/chat/{chats.org_a.pk}/").status_code == 302
    assert Client().get(f"/chat/console/{chats.org_a.pk}/").status_code == 302


def test_widget_framing_only_for_allowed_origins(people, chats):
    response = _client(people.alice).get(f"/chat/widget/{chats.org_a.pk}/")
    assert response.status_code == 200
    assert "frame-ancestors http://127.0.0.1:9999" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    closed = _client(people.carol).get(f"/chat/widget/{chats.org_b.pk}/")
    assert "frame-ancestors 'none'" in closed["Content-Security-Policy"]
    console = _client(people.fiona).get(f"/chat/console/{chats.org_a.pk}/")
    assert "frame-ancestors 'none'" in console["Content-Security-Policy"]
    assert _client(people.alice).get("/chat/").headers["X-Frame-Options"] == "DENY"


def test_widget_never_shows_a_member_chat_to_a_guest(people, chats):
    anonymous = Client()
    page = anonymous.get(f"/chat/widget/{chats.org_a.pk}/")
    assert page.status_code == 200 and b"chat-app" not in page.content and b"sign in" in page.content.lower()
    refused = anonymous.post(f"/chat/widget/{chats.org_a.pk}/guest/", {"name": "Eve", "email": "eve@x.example"})
    assert refused.status_code == 404 and not Conversation.objects.exists()


def test_guest_leaves_name_and_email(chats):
    guest = Client()
    form = guest.get(f"/chat/widget/{chats.everyone.pk}/")
    assert b'name="email"' in form.content
    bad = guest.post(f"/chat/widget/{chats.everyone.pk}/guest/", {"name": "", "email": "nope"})
    assert bad.status_code == 400 and not Conversation.objects.exists()
    good = guest.post(f"/chat/widget/{chats.everyone.pk}/guest/", {"name": "Gus", "email": "gus@x.example"})
    assert good.status_code == 302
    page = guest.get(f"/chat/widget/{chats.everyone.pk}/")
    key = Conversation.objects.get().guest_key
    assert f'data-guest="{key}"'.encode() in page.content


def test_embed_script_points_at_the_widget(chats):
    response = Client().get(f"/chat/widget/{chats.org_a.pk}/embed.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert f"/chat/widget/{chats.org_a.pk}/".encode() in response.content


def test_chat_file_only_for_those_who_read_the_message(people, chats, now):
    from otklik.tickets.inbound import InboundAttachment

    message = services.chat_message_post(chat=chats.org_a, author=people.alice, text="shot", now=now,
                                         attachments=[InboundAttachment("a.txt", b"hello", "text/plain")])
    url = f"/chat/files/{message.attachments.get().token}/"
    assert _client(people.alice).get(url).status_code == 200
    assert _client(people.fiona).get(url).status_code == 200
    assert _client(people.bob).get(url).status_code == 404
    assert _client(people.carol).get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_console_query_count_is_flat(people, chats, now):
    from otklik.testing import factories

    client = _client(people.fiona)
    url = f"/chat/console/{chats.org_a.pk}/"

    def fill(total: int) -> None:
        while Conversation.objects.count() < total:
            index = Conversation.objects.count()
            person = factories.user(email=f"p{index}@a.example", organization=people.org_a)
            services.chat_message_post(chat=chats.org_a, author=person, text="q", now=now)

    client.get(url)
    fill(2)
    small = count_queries(lambda: client.get(url))
    fill(20)
    large = count_queries(lambda: client.get(url))
    assert small == large


def test_login_with_password_works_for_the_portal_chat(people, chats):
    client = Client()
    assert client.login(email="alice@a.example", password=PASSWORD)
    page = client.get(f"/chat/{chats.org_a.pk}/")
    assert page.status_code == 200 and b'data-socket="/ws/chats/' in page.content


def test_admin_sets_up_a_chat_and_bad_origins_are_refused(people):
    from otklik.chat.models import SupportChat

    client = _client(people.adam)
    assert client.get("/admin/chat/supportchat/add/").status_code == 200
    data = {"name": "Desk chat", "team": people.first_line.pk, "membership": "everyone",
            "allowed_origins": "javascript:alert(1)", "is_active": "on"}
    refused = client.post("/admin/chat/supportchat/add/", data)
    assert refused.status_code == 200 and not SupportChat.objects.exists()
    data["allowed_origins"] = "https://Intranet.example.com/"
    assert client.post("/admin/chat/supportchat/add/", data).status_code == 302
    assert SupportChat.objects.get().origins() == ["https://intranet.example.com"]
