"""Small configuration reads kept in Django's cache, dropped whenever one of their tables changes.

The create path and the ticket page ask the same questions of tables an admin edits a few times a year
(the default status and priority, the header's choice lists, "is there any webhook subscription?"). Each
answer is computed by one function where its rule lives and kept here under a key; a save or delete of a
row of any table the answer reads drops the key at once and again when the transaction commits (so an
answer computed inside a transaction that is then rolled back does not outlive it).

With Redis (`REDIS_URL`) the cache is shared, so every web process sees a change at once. Without it each
process has its own memory, which another process's change cannot reach: there an answer lives at most
`OTKLIK_LOOKUP_CACHE_SECONDS` (5 s by default without Redis, 300 s with it; 0 turns the cache off), the
delay with which a configuration change reaches the other processes. Writes that bypass model signals
(`QuerySet.update`, `bulk_create`) must call `forget` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

_MISSING = object()
# Part of every key: forget_all moves it on, so this process no longer sees anything remembered before.
_generation = [0]
# model label -> keys to drop when one of its rows changes
_DEPENDENTS: dict[str, set[str]] = {}


# The answers one read-only request has taken from the cache (`answers_for_request`): a local-memory or
# Redis cache unpickles a fresh copy on every get, and the queue and ticket pages ask for the same answers
# two or three times (the configuration by id: ~0.45 ms to unpickle at the demo's size).
_request_answers: ContextVar[dict[str, Any] | None] = ContextVar("otklik_lookup_answers", default=None)


@contextmanager
def answers_for_request() -> Iterator[None]:
    """Within this block each answer is taken from the cache once and then shared by its callers (who read
    it, never change it). For safe requests only (the access memory's middleware opens it with its own):
    a write must see the configuration it changes, which `forget` drops here too."""
    token = _request_answers.set({})
    try:
        yield
    finally:
        _request_answers.reset(token)


def _seconds() -> int:
    return int(getattr(settings, "OTKLIK_LOOKUP_CACHE_SECONDS", 5))


def _key(key: str) -> str:
    return f"otklik:lookup:{_generation[0]}:{key}"


def remembered[T](key: str, compute: Callable[[], T]) -> T:
    """The cached answer under `key`, computed (and kept) when missing. None is a valid answer."""
    seconds = _seconds()
    if seconds <= 0:
        return compute()
    name = _key(key)
    answers = _request_answers.get()
    if answers is not None and name in answers:
        return answers[name]  # type: ignore[no-any-return]
    found = cache.get(name, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(name, found, timeout=seconds)
    if answers is not None:
        answers[name] = found
    return found  # type: ignore[no-any-return]


def forget(*keys: str) -> None:
    """Drop answers now and again at commit (an answer read inside this transaction may be re-cached)."""
    names = [_key(key) for key in keys]
    answers = _request_answers.get()
    for name in names if answers is not None else ():
        answers.pop(name, None)  # type: ignore[union-attr]
    cache.delete_many(names)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(names))


def depends_on(key: str, *tables: type[models.Model], through: Iterable[Any] = ()) -> None:
    """Drop `key` when a row of any of `tables` (or a many-to-many `through` relation) is saved or deleted."""
    for model in (*tables, *through):
        label = model._meta.label_lower
        if label not in _DEPENDENTS:
            _DEPENDENTS[label] = set()
            uid = f"otklik.core.lookups:{label}"
            if model in tables:
                post_save.connect(_changed, sender=model, weak=False, dispatch_uid=uid + ":save")
                post_delete.connect(_changed, sender=model, weak=False, dispatch_uid=uid + ":delete")
            else:
                m2m_changed.connect(_changed, sender=model, weak=False, dispatch_uid=uid + ":m2m")
        _DEPENDENTS[label].add(key)


def _changed(sender: type[models.Model], **kwargs: Any) -> None:
    forget(*_DEPENDENTS.get(sender._meta.label_lower, ()))


def forget_all() -> None:
    """Every answer this process remembered (tests start from scratch with it)."""
    _generation[0] += 1
