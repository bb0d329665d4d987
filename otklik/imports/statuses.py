"""A source's statuses -> Otklik statuses, through the admin-editable StatusMapping table.

The first time a run meets a status it writes a mapping row with a best guess: the reader's own table
for its product (helpdesk's 1 = open, 4 = closed, ...), else an Otklik status with that code, else the
first active status of that kind. A status nobody can guess is refused with a clear reason; the admin
adds the row and re-runs (the run is idempotent)."""

from __future__ import annotations

from otklik.imports.models import StatusMapping
from otklik.tickets.models import Status, StatusKind


class StatusBook:
    def __init__(self, namespace: str, guesses: dict[str, str]) -> None:
        self.namespace = namespace
        self.guesses = {key.strip().lower(): value for key, value in guesses.items()}
        self._statuses = {status.pk: status for status in Status.objects.all()}
        self._by_code = {status.code.lower(): status for status in self._statuses.values()}
        self._mapped: dict[str, Status | None] = {
            row.external.lower(): self._statuses.get(row.status_id)
            for row in StatusMapping.objects.filter(namespace=namespace)
        }

    def default_of_kind(self, kind: str) -> Status:
        active = sorted(
            (s for s in self._statuses.values() if s.kind == kind and s.is_active), key=lambda s: (s.order, s.pk)
        )
        if not active:
            raise LookupError(f"no active status of kind {kind}")
        return active[0]

    def _guess(self, key: str) -> Status | None:
        target = self.guesses.get(key, key)
        if target in self._by_code:
            return self._by_code[target]
        if target in StatusKind.values:
            try:
                return self.default_of_kind(target)
            except LookupError:
                return None
        return None

    def resolve(self, external: str) -> Status | None:
        key = str(external).strip().lower()
        if not key:
            key = StatusKind.NEW
        if key in self._mapped:
            return self._mapped[key]
        status = self._guess(key)
        if status is not None:
            StatusMapping.objects.get_or_create(
                namespace=self.namespace, external=key[:200], defaults={"status": status}
            )
        self._mapped[key] = status
        return status
