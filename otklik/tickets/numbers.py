"""Human ticket numbers: unique, never below `OTKLIK_TICKET_NUMBER_START`, always above the highest taken.

PostgreSQL hands them out from a sequence, so concurrent creates never wait for each other: a locked
counter row would serialise every create until its transaction commits. One statement takes the next
value and reads the highest number (a backward scan of the unique index); only when the sequence is
behind (a fresh or emptied table, a changed start, rows loaded around it) does the slow path take a
transaction-scoped advisory lock and move the sequence forward. Numbers of rolled-back creates are
skipped, as with any sequence.

SQLite has one writer at a time anyway (IMMEDIATE transactions), so the counter row costs nothing there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Max

from otklik.tickets.models import Ticket, TicketNumberCounter

SEQUENCE = "tickets_ticket_number_seq"
_NEXT_AND_HIGHEST = f"SELECT nextval('{SEQUENCE}'), (SELECT MAX(number) FROM tickets_ticket)"  # noqa: S608
# pg_advisory_xact_lock key for moving the sequence: any constant unique to this use.
_LOCK_KEY = 7_016_001


def _start() -> int:
    return max(1, int(settings.OTKLIK_TICKET_NUMBER_START))


def reserve(count: int = 1) -> int:
    """The first of `count` consecutive unused numbers, reserved for the caller's transaction."""
    if count < 1:
        raise ValueError("count must be positive")
    if connection.vendor == "postgresql":
        if count == 1:
            with connection.cursor() as cursor:
                cursor.execute(_NEXT_AND_HIGHEST)
                number, highest = cursor.fetchone()
            # A number above every committed one and at or above the start: the common case.
            if highest is not None and number > highest and number >= _start():
                return int(number)
        return _reserve_postgres(count)
    return _reserve_counter(count)


def _reserve_postgres(count: int) -> int:
    with connection.cursor() as cursor:
        # Held until commit: the next mover sees this transaction's rows before it decides.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        cursor.execute(_NEXT_AND_HIGHEST)
        taken, highest = cursor.fetchone()
        # An empty table starts at the configured start; otherwise never reuse what the sequence gave out.
        first = _start() if highest is None else max(_start(), int(highest) + 1, int(taken))
        cursor.execute("SELECT setval(%s, %s, true)", [SEQUENCE, first + count - 1])
    return first


def _reserve_counter(count: int) -> int:
    counter, _created = TicketNumberCounter.objects.select_for_update().get_or_create(
        name="ticket", defaults={"next_value": _start()}
    )
    highest = Ticket.objects.aggregate(highest=Max("number"))["highest"] or 0
    first = max(counter.next_value, _start(), highest + 1)
    counter.next_value = first + count
    counter.save(update_fields=["next_value"])
    return first
