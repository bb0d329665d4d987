from __future__ import annotations

import pytest
from django.db import transaction

from otklik.core.transactions import on_commit_once

calls: list[str] = []


def wake_worker() -> None:
    calls.append("wake")


def other_callback() -> None:
    calls.append("other")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_callback_runs_once_per_commit_and_not_after_rollback():
    calls.clear()
    with transaction.atomic():
        for _event in range(100):
            on_commit_once(wake_worker)
        on_commit_once(other_callback)
    assert calls == ["wake", "other"]

    calls.clear()
    with transaction.atomic():
        try:
            with transaction.atomic():
                on_commit_once(wake_worker)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        on_commit_once(wake_worker)  # registered again: the first went away with its savepoint
    assert calls == ["wake"]

    calls.clear()
    on_commit_once(wake_worker)  # outside a transaction it runs at once
    assert calls == ["wake"]
