"""A worker process for the crash test, run as a separate OS process (never imported by pytest).

    python tests/mail/crash_worker.py store-and-die FILE   # store raw, start processing, SIGKILL mid-way
    python tests/mail/crash_worker.py restart               # what a restarted worker does
    python tests/mail/crash_worker.py report                # counts as JSON
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.test")
django.setup()

from django.utils import timezone  # noqa: E402

from otklik.mail import services  # noqa: E402
from otklik.mail.models import InboundMail, InboundSource  # noqa: E402
from otklik.tickets import services as ticket_services  # noqa: E402
from otklik.tickets.models import Message, Ticket  # noqa: E402


def store_and_die(path: str) -> None:
    now = timezone.now()
    row, _created = services.inbound_store(
        raw=Path(path).read_bytes(), source=InboundSource.IMPORT, address="support@otklik.test", now=now,
    )
    real_ingest = ticket_services.ticket_ingest

    def ingest_then_die(**kwargs: Any) -> None:
        real_ingest(**kwargs)  # the ticket and its message are written, not yet committed
        os.kill(os.getpid(), signal.SIGKILL)

    setattr(ticket_services, "ticket_ingest", ingest_then_die)  # noqa: B010
    services.inbound_process(inbound_id=row.pk, now=now)


def restart() -> None:
    from huey.contrib.djhuey import HUEY

    import otklik.mail.tasks  # noqa: F401  (registers the jobs, as the consumer's autodiscovery does)

    # The job queued when the raw row was committed survived the crash in the queue: run it...
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)
    # ...and the periodic sweep runs too; both together must still process the message once.
    print(json.dumps(services.pending_work_sweep(now=timezone.now(), older_than=timedelta(0))))


def report() -> None:
    print(json.dumps({
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "inbound": list(InboundMail.objects.order_by("pk").values_list("status", "outcome")),
    }))


if __name__ == "__main__":
    action = sys.argv[1]
    if action == "store-and-die":
        store_and_die(sys.argv[2])
    elif action == "restart":
        restart()
    else:
        report()
