from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core import mail

from otklik.notifications.services import notifications_process


@dataclass
class Committed:
    result: Any
    mails: list[Any]


@pytest.fixture(autouse=True)
def clock(now):
    """The wall clock stands at the fixture's `now`: jobs kicked after commit see the same time."""
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run an action as if its transaction committed, so the on-commit work runs as in production (the
    outbox kicks, the trigger and notification workers, the mail sending job); returns the mails sent."""

    def run(action):
        sent_before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return Committed(result, mail.outbox[sent_before:])

    return run


@pytest.fixture
def deliver(committed, now):
    """One pass of the notification worker; returns the mails it sent."""
    return lambda: committed(lambda: notifications_process(now=now)).mails
