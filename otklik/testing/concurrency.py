"""Proving that two transactions do not wait for each other (tests on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction


def beside_an_open_transaction(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run `first` in a transaction on another connection and hold it open while `second` runs in a
    transaction on this one with a 2 s lock timeout; return both results. Had `second` to wait for a lock
    `first` holds (a counter row, say), it fails with PostgreSQL's lock timeout instead of waiting."""
    taken, release = threading.Event(), threading.Event()
    results: list[Any] = []
    errors: list[BaseException] = []

    def first_transaction() -> None:
        try:
            with transaction.atomic():
                results.append(first())
                taken.set()
                release.wait(10)
        except BaseException as error:  # handed to the test's thread below
            errors.append(error)
            taken.set()
        finally:
            connection.close()

    worker = threading.Thread(target=first_transaction)
    worker.start()
    try:
        assert taken.wait(10), "the first transaction did not start"
        if errors:
            raise errors[0]
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            second_result = second()
    finally:
        release.set()
        worker.join(10)
    if errors:
        raise errors[0]
    return results[0], second_result
