"""Transaction helpers."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def on_commit_once(callback: Callable[[], object]) -> None:
    """Run `callback` after the current transaction commits, once however many events asked for it.

    A sweep that records a hundred ticket events must wake a worker once, not a hundred times. The
    callback must be the same object each time (a module-level function); outside a transaction it
    runs at once, as `transaction.on_commit` does.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is callback for entry in connection.run_on_commit):
        return
    transaction.on_commit(callback)
