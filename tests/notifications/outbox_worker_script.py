"""A worker process for the SQLite exactly-once test (threads cannot share an in-memory SQLite test
database; real deployments run separate processes on one SQLite file, which is what this does).

    python outbox_worker_script.py setup <tickets>    migrate, create people and tickets, no workers woken
    python outbox_worker_script.py work <consumer> <name> <peers>
        waits until <peers> workers are ready, then handles pending events of <consumer> (printing the
        handled ids as JSON) and runs the notification worker once
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def setup(tickets: int) -> None:
    from otklik.testing import factories
    from otklik.testing.personas import create_personas
    from otklik.tickets.signals import ticket_event_recorded

    call_command("migrate", verbosity=0)
    ticket_event_recorded.disconnect(dispatch_uid="notifications.outbox_kick")
    ticket_event_recorded.disconnect(dispatch_uid="automation.on_ticket_event")
    people = create_personas()
    for number in range(tickets):
        factories.ticket(requester=people.alice, subject=f"Request {number}", now=NOW)


def _start_together(name: str, peers: int) -> None:
    folder = Path(os.environ["OTKLIK_DATA_DIR"])
    (folder / f"ready-{name}").touch()
    deadline = time.monotonic() + 120
    while len(list(folder.glob("ready-*"))) < peers and time.monotonic() < deadline:
        time.sleep(0.01)


def work(consumer: str, name: str, peers: int) -> None:
    from otklik.notifications.outbox import outbox_run
    from otklik.notifications.services import notifications_process

    handled: list[int] = []

    def handler(event: object) -> None:
        time.sleep(0.005)  # keeps both workers busy on the same rows for a while
        handled.append(event.pk)  # type: ignore[attr-defined]

    _start_together(name, peers)
    outbox_run(consumer=consumer, handler=handler, now=NOW, batch_size=5)
    notifications_process(now=NOW)
    print(json.dumps(handled))


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    else:
        work(sys.argv[2], sys.argv[3], int(sys.argv[4]))
