from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from otklik.accounts.models import Role, User
from otklik.automation.models import CannedReply
from otklik.testing.personas import Personas
from otklik.tickets.models import Status
from otklik.trackers.models import MatchOn, NotifyWhom, StatusMapping, TrackerConnection

from .fakes import TOKEN, FakeTracker

PROJECTS = {"redmine": "1", "jira": "SHOP", "gitlab": "dev/shop", "github": "acme/shop"}


@pytest.fixture(autouse=True)
def quick_retries(settings: Any) -> None:
    settings.OTKLIK_TRACKER_BACKOFF_SECONDS = 0.01


@pytest.fixture
def fakes() -> Iterator[Callable[[str], FakeTracker]]:
    started: list[FakeTracker] = []

    def start(kind: str) -> FakeTracker:
        fake = FakeTracker(kind)
        fake.start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def bot(people: Personas) -> User:
    """The staff account that signs tracker replies (an administrator sees every ticket)."""
    return User.objects.create_user(email="bot@otklik.test", password="x", first_name="Otklik", role=Role.ADMIN)


@pytest.fixture
def reply_text() -> CannedReply:
    return CannedReply.objects.create(
        title="Fixed", body="Hello {{ requester_name }}, the fix for {{ issue_key }} is ready (#{{ ticket_number }}).",
        body_ru="Здравствуйте, {{ requester_name }}! Исправление {{ issue_key }} готово (№{{ ticket_number }}).",
    )


@pytest.fixture
def connect(bot: User, reply_text: CannedReply) -> Callable[..., TrackerConnection]:
    def make(fake: FakeTracker, **options: Any) -> TrackerConnection:
        connection = TrackerConnection(
            name=f"{fake.kind.title()} dev", kind=fake.kind, base_url=fake.base_url, reply_as=bot,
            default_project=PROJECTS[fake.kind], webhook_secret="hook-secret", **options,
        )
        connection.set_token(TOKEN)
        connection.save()
        resolved = {"redmine": (MatchOn.STATUS, "Resolved"), "jira": (MatchOn.STATUS, "Done"),
                    "gitlab": (MatchOn.STATE, "closed"), "github": (MatchOn.STATE, "closed")}[fake.kind]
        feedback = {"redmine": (MatchOn.STATUS, "Feedback"), "jira": (MatchOn.STATUS, "Need info"),
                    "gitlab": (MatchOn.LABEL, "needs-info"), "github": (MatchOn.LABEL, "needs-info")}[fake.kind]
        StatusMapping.objects.create(
            connection=connection, match_on=resolved[0], tracker_value=resolved[1], order=10,
            ticket_status=Status.objects.get(code="in_progress"), answer_requester=True,
            notify=NotifyWhom.ASSIGNEE, reply=reply_text,
        )
        StatusMapping.objects.create(
            connection=connection, match_on=feedback[0], tracker_value=feedback[1], order=20,
            ticket_status=Status.objects.get(code="needs_clarification"), notify=NotifyWhom.TEAM,
        )
        return connection

    return make
