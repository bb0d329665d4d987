"""Support chats over the API: shapes, paging, posting, tickets from messages, the first-line report,
and who may see what (the access matrix of the chat routes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.chat import services
from otklik.chat.models import ChatMessage, Membership
from otklik.testing.queries import count_queries
from otklik.tickets.models import Ticket

PERSONAS = ("alice", "bob", "carol", "fiona", "sam", "mia", "rita", "adam")


@pytest.fixture
def chat_world(people, now):
    org_a = services.chat_create(
        actor=people.adam, name="Org A help", team=people.first_line, membership=Membership.ORGANIZATIONS,
        organizations=[people.org_a], now=now,
    )
    org_b = services.chat_create(
        actor=people.adam, name="Org B help", team=people.second_line, membership=Membership.ORGANIZATIONS,
        organizations=[people.org_b], now=now,
    )
    question = services.chat_message_post(chat=org_a, author=people.alice, text="VPN is down", now=now)
    services.chat_message_post(chat=org_a, author=people.fiona, text="AD lock", conversation=question.conversation,
                               is_internal=True, now=now + timedelta(seconds=5))
    services.chat_message_post(chat=org_a, author=people.fiona, text="Reconnect", conversation=question.conversation,
                               now=now + timedelta(seconds=60))
    services.chat_message_post(chat=org_a, author=people.bob, text="Bob's printer", now=now + timedelta(seconds=70))
    services.chat_message_post(chat=org_b, author=people.carol, text="Carol's quota", now=now)
    return {"org_a": org_a, "org_b": org_b, "question": question}


# Chats each persona sees (as asker or server), and which they serve.
SEES_CHATS = {
    "alice": {"org_a"}, "bob": {"org_a"}, "carol": {"org_b"}, "fiona": {"org_a"}, "sam": {"org_b"},
    "mia": {"org_a", "org_b"}, "rita": {"org_a", "org_b"}, "adam": {"org_a", "org_b"},
}
SERVES = {"fiona": {"org_a"}, "sam": {"org_b"}, "mia": {"org_a", "org_b"}, "rita": {"org_a", "org_b"},
          "adam": {"org_a", "org_b"}}
# Texts each persona reads in Org A's chat.
READS_ORG_A = {
    "alice": {"VPN is down", "Reconnect"},
    "bob": {"Bob's printer"},
    "staff": {"VPN is down", "AD lock", "Reconnect", "Bob's printer"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_chat_routes_access_matrix(persona, people, chat_world, client_for):
    client = client_for(getattr(people, persona))
    listed = {row["id"] for row in client.get("/api/v1/chats/").json()["results"]}
    assert listed == {chat_world[name].pk for name in SEES_CHATS[persona]}
    for name in ("org_a", "org_b"):
        chat_id = chat_world[name].pk
        visible = name in SEES_CHATS[persona]
        served = name in SERVES.get(persona, set())
        detail = client.get(f"/api/v1/chats/{chat_id}/")
        messages = client.get(f"/api/v1/chats/{chat_id}/messages/")
        dialogs = client.get(f"/api/v1/chats/{chat_id}/dialogs/")
        expected = 200 if visible else 404
        assert (detail.status_code, messages.status_code, dialogs.status_code) == (expected,) * 3
        if not visible:
            assert messages.json()["error"]["code"] == "not_found"
            continue
        assert bool(dialogs.json()["results"]) == served
        if name == "org_a":
            texts = {row["text"] for row in messages.json()["results"]}
            assert texts == READS_ORG_A.get(persona, READS_ORG_A["staff"])
    report = client.get("/api/v1/reports/first-line/?from=2026-03-01&to=2026-03-31")
    assert report.status_code == 200
    assert report.json()["dialogs"] == sum({"org_a": 2, "org_b": 1}[name] for name in SERVES.get(persona, set()))


@pytest.mark.parametrize("persona", PERSONAS)
def test_make_ticket_route_access(persona, people, chat_world, client_for):
    client = client_for(getattr(people, persona))
    chat, question = chat_world["org_a"], chat_world["question"]
    response = client.post(f"/api/v1/chats/{chat.pk}/messages/{question.pk}/ticket/")
    expected = {"fiona": 201, "mia": 201, "rita": 403, "adam": 403, "alice": 403}.get(persona, 404)
    assert response.status_code == expected, response.json()
    assert Ticket.objects.exists() == (expected == 201)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_admins_create_chats(persona, people, client_for):
    response = client_for(getattr(people, persona)).post(
        "/api/v1/chats/", {"name": "New", "team": people.first_line.pk, "allowed_origins": ["https://a.example"]},
        format="json",
    )
    assert response.status_code == (201 if persona == "adam" else 403)
    if persona == "adam":
        assert response.json()["allowed_origins"] == ["https://a.example"]


def test_admin_token_without_admin_scope_cannot_create(people, client_for):
    response = client_for(people.adam, scopes=("read", "write")).post(
        "/api/v1/chats/", {"name": "New", "team": people.first_line.pk}, format="json")
    assert response.status_code == 201  # creating a chat is a write by an admin role, not installation config


def test_message_json_and_posting(people, chat_world, client_for):
    chat = chat_world["org_a"]
    alice = client_for(people.alice)
    posted = alice.post(f"/api/v1/chats/{chat.pk}/messages/", {"text": "still down"}, format="json")
    assert posted.status_code == 201
    body = posted.json()
    assert body["author"] == {"id": people.alice.pk, "email": "alice@a.example", "name": "Alice"}
    assert body["text"] == "still down" and body["created_at"]
    fiona = client_for(people.fiona)
    missing = fiona.post(f"/api/v1/chats/{chat.pk}/messages/", {"text": "hello"}, format="json")
    assert missing.status_code == 400 and "conversation" in missing.json()["error"]["fields"]
    answer = fiona.post(f"/api/v1/chats/{chat.pk}/messages/",
                        {"text": "On it", "conversation": body["conversation"]}, format="json")
    assert answer.status_code == 201 and answer.json()["from_staff"] is True
    # Alice does not learn the agent's email address.
    seen = alice.get(f"/api/v1/chats/{chat.pk}/messages/").json()["results"][0]
    assert seen["text"] == "On it" and seen["author"]["email"] == ""
    empty = alice.post(f"/api/v1/chats/{chat.pk}/messages/", {"text": "   "}, format="json")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "invalid_input"
    carol = client_for(people.carol).post(f"/api/v1/chats/{chat.pk}/messages/", {"text": "hi"}, format="json")
    assert carol.status_code == 404


def test_paging_and_after(people, chat_world, client_for, now):
    chat = chat_world["org_a"]
    for index in range(5):
        services.chat_message_post(chat=chat, author=people.alice, text=f"m{index}", now=now + timedelta(minutes=index))
    client = client_for(people.fiona)
    seen: list[int] = []
    url = f"/api/v1/chats/{chat.pk}/messages/?limit=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    every = list(ChatMessage.objects.filter(chat=chat).order_by("-id").values_list("pk", flat=True))
    assert seen == every
    after = client.get(f"/api/v1/chats/{chat.pk}/messages/?after={every[3]}").json()["results"]
    assert [row["id"] for row in after] == sorted(every[:3])
    bad = client.get(f"/api/v1/chats/{chat.pk}/messages/?after=x")
    assert bad.status_code == 400 and "after" in bad.json()["error"]["fields"]


def test_ticket_from_message_returns_the_ticket_json(people, chat_world, client_for):
    chat, question = chat_world["org_a"], chat_world["question"]
    response = client_for(people.fiona).post(f"/api/v1/chats/{chat.pk}/messages/{question.pk}/ticket/")
    assert response.status_code == 201
    body = response.json()
    assert body["source"] == "chat"
    assert body["requester"]["id"] == people.alice.pk and body["assignee"]["id"] == people.fiona.pk
    again = client_for(people.fiona).post(f"/api/v1/chats/{chat.pk}/messages/{question.pk}/ticket/")
    assert again.status_code == 409
    card = client_for(people.alice).get(f"/api/v1/chats/{chat.pk}/messages/").json()["results"]
    assert {row["ticket"]["number"] for row in card if row["ticket"]} == {body["number"]}


def test_first_line_report(people, chat_world, client_for):
    client = client_for(people.fiona)
    body = client.get("/api/v1/reports/first-line/?from=2026-03-02&to=2026-03-02").json()
    assert body == {
        "dialogs": 2, "avg_response_seconds": 60.0, "median_response_seconds": 60.0, "p90_response_seconds": 60.0,
        "avg_response_working_seconds": 60.0, "unanswered": 1,
    }
    other_day = client.get("/api/v1/reports/first-line/?from=2026-03-03&to=2026-03-05").json()
    assert other_day["dialogs"] == 0 and other_day["avg_response_seconds"] is None
    by_chat = client_for(people.mia).get(
        f"/api/v1/reports/first-line/?from=2026-03-02&to=2026-03-02&chat={chat_world['org_b'].pk}").json()
    assert by_chat["dialogs"] == 1 and by_chat["unanswered"] == 1
    backwards = client.get("/api/v1/reports/first-line/?from=2026-03-05&to=2026-03-01")
    assert backwards.status_code == 400 and "to" in backwards.json()["error"]["fields"]
    assert client.get("/api/v1/reports/first-line/?from=soon&to=2026-03-01").status_code == 400


@pytest.mark.parametrize("route", ["chats", "messages", "dialogs"])
def test_lists_cost_the_same_for_2_and_20_rows(route, people, now, client_for):
    chat = services.chat_create(actor=people.adam, name="Load", team=people.first_line, now=now)
    client = client_for(people.fiona)
    url = {"chats": "/api/v1/chats/", "messages": f"/api/v1/chats/{chat.pk}/messages/",
           "dialogs": f"/api/v1/chats/{chat.pk}/dialogs/"}[route]

    def grow(total: int) -> None:
        while ChatMessage.objects.filter(chat=chat).count() < total:
            index = ChatMessage.objects.count()
            user = people.alice if index % 2 else people.bob
            question = services.chat_message_post(chat=chat, author=user, text=f"q{index}", now=now)
            services.chat_message_post(chat=chat, author=people.fiona, text="a", conversation=question.conversation,
                                       now=now + timedelta(seconds=index))
            services.chat_create(actor=people.adam, name=f"Extra {index}", team=people.first_line, now=now)

    client.get(url)  # the token's first use of the minute writes last_used_at; count the steady state
    grow(2)
    small = count_queries(lambda: client.get(url))
    grow(20)
    large = count_queries(lambda: client.get(url))
    assert small == large
