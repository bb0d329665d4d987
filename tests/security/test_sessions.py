"""The "Your sessions" page: tracked at sign-in, refreshed at most once a minute, ended one by one, all
others at once, or by an administrator; nobody ends someone else's session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.security.models import UserSession
from otklik.security.session_views import describe_agent
from otklik.testing.queries import count_queries

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
)


def _person(email: str = "alice@example.com", role: str = Role.REQUESTER) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, role=role)


def _browser(user: User, agent: str = FIREFOX, address: str = "203.0.113.5") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_in_records_the_session_with_agent_and_address() -> None:
    alice = _person()
    client = _browser(alice)
    row = UserSession.objects.get(user=alice)
    assert row.session_key == client.session.session_key
    assert (row.user_agent, row.ip_address) == (FIREFOX, "203.0.113.5")


def test_the_address_follows_the_trusted_proxy_rule(settings: Any) -> None:
    settings.OTKLIK_TRUSTED_PROXY_COUNT = 1
    alice = _person()
    client = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    client.post("/login/", {"username": alice.email, "password": PASSWORD})
    assert UserSession.objects.get(user=alice).ip_address == "198.51.100.7"


def test_the_page_lists_sessions_and_marks_this_one() -> None:
    alice = _person()
    _browser(alice, agent=CHROME_WIN, address="198.51.100.9")
    client = _browser(alice)
    page = client.get(reverse("security:sessions"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Chrome on Windows" in body and "Firefox on Linux" in body and "198.51.100.9" in body
    assert body.count("this browser") == 1
    assert 'id="end-others"' in body


def test_activity_is_written_at_most_once_a_minute() -> None:
    alice = _person()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = _browser(alice)
        first_seen = UserSession.objects.get(user=alice).last_seen_at
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(reverse("security:sessions"))
        assert UserSession.objects.get(user=alice).last_seen_at == first_seen
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        client.get(reverse("security:sessions"))
        assert UserSession.objects.get(user=alice).last_seen_at > first_seen


def test_signing_out_one_other_session() -> None:
    alice = _person()
    laptop, phone = _browser(alice), _browser(alice, agent=CHROME_WIN)
    phone_row = UserSession.objects.get(session_key=phone.session.session_key)
    response = laptop.post(reverse("security:session_end", args=[phone_row.pk]))
    assert response.status_code == 302
    assert not _signed_in(phone) and _signed_in(laptop)
    assert laptop.get(reverse("security:sessions")).status_code == 200
    assert "/login/" in phone.get(reverse("security:sessions"))["Location"]


def test_sign_out_everywhere_else_keeps_this_browser() -> None:
    alice = _person()
    others = [_browser(alice) for _ in range(3)]
    here = _browser(alice, agent=CHROME_WIN)
    here.post(reverse("security:sessions_end_others"))
    assert _signed_in(here)
    assert not any(_signed_in(client) for client in others)
    assert list(UserSession.objects.filter(user=alice).values_list("session_key", flat=True)) == [
        here.session.session_key
    ]


def test_nobody_ends_someone_elses_session() -> None:
    alice, bob = _person(), _person("bob@example.com")
    alice_client, bob_client = _browser(alice), _browser(bob)
    alice_row = UserSession.objects.get(user=alice)
    bob_client.post(reverse("security:session_end", args=[alice_row.pk]))
    assert _signed_in(alice_client)
    assert UserSession.objects.filter(pk=alice_row.pk).exists()


def test_ending_needs_a_post_and_a_signed_in_person() -> None:
    alice = _person()
    client = _browser(alice)
    row = UserSession.objects.get(user=alice)
    assert client.get(reverse("security:session_end", args=[row.pk])).status_code == 405
    anonymous = Client()
    assert "/login/" in anonymous.post(reverse("security:sessions_end_others"))["Location"]
    assert "/login/" in anonymous.get(reverse("security:sessions"))["Location"]


def test_sign_out_removes_the_row() -> None:
    alice = _person()
    client = _browser(alice)
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=alice).exists()


def test_an_admin_signs_a_person_out_everywhere() -> None:
    alice = _person()
    browsers = [_browser(alice), _browser(alice)]
    admin = User.objects.create_superuser(email="adam@example.com", password=PASSWORD)
    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"), {"action": "sign_out_everywhere", "_selected_action": [alice.pk]}
    )
    assert response.status_code == 302
    assert not any(_signed_in(client) for client in browsers)
    assert not UserSession.objects.filter(user=alice).exists()


def test_the_list_costs_the_same_for_2_and_20_sessions() -> None:
    alice = _person()
    client = _browser(alice)
    now = timezone.now()

    def add(count: int) -> None:
        UserSession.objects.bulk_create(
            [
                UserSession(
                    user=alice, session_key=f"k{count}-{index}", user_agent=FIREFOX, created_at=now, last_seen_at=now
                )
                for index in range(count)
            ]
        )

    url = reverse("security:sessions")
    client.get(url)
    add(1)
    few = count_queries(lambda: client.get(url))
    add(18)
    many = count_queries(lambda: client.get(url))
    assert few == many


def test_agents_are_described_briefly() -> None:
    assert describe_agent(FIREFOX) == "Firefox on Linux"
    assert describe_agent(CHROME_WIN) == "Chrome on Windows"
    assert describe_agent("") == "Unknown"
    assert describe_agent("curl/8.5.0") == "curl"


def test_api_calls_with_a_token_create_no_sessions(people, now):
    from django.contrib.sessions.models import Session
    from rest_framework.test import APIClient

    from otklik.api.tokens import token_create
    from otklik.security.models import UserSession

    issued = token_create(actor=people.alice, user=people.alice, name="t", scopes=("read",), now=now)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    for _call in range(3):
        assert client.get("/api/v1/tickets/").status_code == 200
        client.cookies.clear()  # a script keeps no cookies
    assert Session.objects.count() == 0
    assert not UserSession.objects.filter(user=people.alice).exists()
