"""The mapping table: source ids -> local ids, read and written a batch at a time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from otklik.imports.models import ExternalRef


def refs_lookup(namespace: str, kind: str, external_ids: Iterable[str]) -> dict[str, int]:
    wanted = {value for value in external_ids if value}
    if not wanted:
        return {}
    if connection.vendor == "postgresql":
        # One array parameter instead of an IN list of thousands of placeholders (a batch's message ids).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT external_id, local_id FROM {ExternalRef._meta.db_table}"  # noqa: S608
                " WHERE namespace = %s AND kind = %s AND external_id = ANY(%s::text[])",
                [namespace, kind, list(wanted)],
            )
            return {str(external_id): int(local_id) for external_id, local_id in cursor.fetchall()}
    rows = ExternalRef.objects.filter(namespace=namespace, kind=kind, external_id__in=wanted)
    return dict(rows.values_list("external_id", "local_id"))


def refs_add(namespace: str, kind: str, pairs: dict[str, int], now: datetime) -> None:
    """Record new pairs; an existing pair (a second reader of the same row) is left as it is."""
    pairs = {external_id: local_id for external_id, local_id in pairs.items() if external_id}
    if not pairs:
        return
    if connection.vendor == "postgresql":
        # One statement with two array parameters: no per-row SQL to build for thousands of messages.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ExternalRef._meta.db_table} (namespace, kind, external_id, local_id, created_at)"  # noqa: S608
                " SELECT %s, %s, e, l, %s FROM unnest(%s::text[], %s::bigint[]) AS p(e, l)"
                " ON CONFLICT DO NOTHING",
                [namespace, kind, now, list(pairs), list(pairs.values())],
            )
        return
    ExternalRef.objects.bulk_create(
        [
            ExternalRef(namespace=namespace, kind=kind, external_id=external_id, local_id=local_id, created_at=now)
            for external_id, local_id in pairs.items()
            if external_id
        ],
        ignore_conflicts=True,
    )


def local_to_external(namespace: str, kind: str, local_ids: Iterable[int]) -> dict[int, str]:
    rows = ExternalRef.objects.filter(namespace=namespace, kind=kind, local_id__in=list(local_ids))
    return {local: external for external, local in rows.values_list("external_id", "local_id")}
