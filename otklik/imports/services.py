"""Import runs: created, executed batch by batch with a committed cursor, resumed after a crash.

Each batch is one transaction holding the batch's rows, its refused rows and the run's cursor, so a
crash loses at most the batch in flight and a resumed run continues exactly after the last commit. A
batch that fails as a whole is retried row by row (one savepoint each): the bad row is refused with its
error and the rest go in; no ticket is ever half written. A dry run does the same work and rolls every
batch back, keeping only the report: what would be created or updated, and every refused row.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.core.errors import InvalidInput
from otklik.imports.models import ImportProblem, ImportRun, RunState
from otklik.imports.readers.base import Reader, Row, jsonable
from otklik.imports.records import Record, RowProblem, record_kind
from otklik.imports.writer import BatchOutcome, Writer

logger = logging.getLogger(__name__)

Progress = Callable[[ImportRun], Any]
SECRET_OPTIONS = frozenset({"token", "db_url"})
# Rows per batch (one transaction with the cursor). Each batch costs a fixed set of queries and statistics
# work; 1,000 rows measured fastest in bench/bench_import.py (docs/performance.md), and a crash or a batch
# retried row by row still loses or repeats little.
DEFAULT_BATCH = 1000


class _DryRunRollback(Exception):
    pass


def run_create(*, source: str, namespace: str, options: dict[str, Any], dry_run: bool, now: datetime) -> ImportRun:
    namespace = namespace.strip()[:100] or source
    return ImportRun.objects.create(
        source=source, namespace=namespace, options=options, dry_run=dry_run, created_at=now, updated_at=now
    )


def run_get(run_id: int) -> ImportRun:
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        raise InvalidInput(_("Import run %(id)s does not exist.") % {"id": run_id})
    return run


def run_execute(
    *,
    run: ImportRun,
    reader: Reader,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportRun:
    """Read from the run's cursor to the end; returns the finished run. Safe to call again after a crash."""
    if run.state == RunState.DONE:
        return run
    now = now or timezone.now()
    run.state = RunState.RUNNING
    run.error = ""
    run.total = reader.total()
    run.updated_at = timezone.now()
    run.save(update_fields=["state", "error", "total", "updated_at"])
    writer = Writer(
        namespace=run.namespace,
        source=run.source,
        run_id=run.pk,
        now=now,
        keep_numbers=bool(run.options.get("keep_numbers")),
        store_files=not run.dry_run,
        status_guesses=reader.status_guesses,
    )
    skip = int(run.cursor or 0)
    batch: list[tuple[str, Row]] = []
    batches = 0
    try:
        for position, row in enumerate(reader.rows(skip), start=skip + 1):
            batch.append((str(position), row))
            if len(batch) >= batch_size:
                _flush(run, writer, batch)
                batch = []
                batches += 1
                _refresh_statistics(batches)
                if progress:
                    progress(run)
        if batch:
            _flush(run, writer, batch)
    except Exception as exc:
        logger.exception("import run %s stopped at row %s", run.pk, run.cursor or 0)
        ImportRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000], updated_at=timezone.now()
        )
        run.refresh_from_db()
        raise
    run.state = RunState.DONE
    run.finished_at = run.updated_at = timezone.now()
    run.save(update_fields=["state", "finished_at", "updated_at"])
    if progress:
        progress(run)
    return run


ANALYZED_TABLES = (
    "tickets_ticket",
    "tickets_message",
    "tickets_ticketevent",
    "tickets_attachment",
    "imports_externalref",
    "sla_slaclock",
    "search_searchentry",
    "reports_tickettimes",
)


def _refresh_statistics(batches: int) -> None:
    """PostgreSQL plans from table statistics; tables that grow from nothing during an import look tiny to
    it until autovacuum catches up, and it then scans them whole for each batch. Analyse after batch
    1, 2, 4, 8, ...: the statistics stay within a factor of two of the truth for a few cheap samples."""
    if connection.vendor != "postgresql" or batches & (batches - 1):
        return
    with connection.cursor() as cursor:
        for table in ANALYZED_TABLES:
            cursor.execute(f"ANALYZE {table}")


def _write(writer: Writer, records: list[tuple[str, Record]], dry_run: bool) -> BatchOutcome:
    outcome = BatchOutcome()
    try:
        with transaction.atomic():
            outcome = writer.write(records)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return outcome


def _merge(total: BatchOutcome, part: BatchOutcome) -> None:
    total.created.update(part.created)
    total.updated.update(part.updated)
    total.problems.extend(part.problems)
    total.ticket_ids |= part.ticket_ids


def _flush(run: ImportRun, writer: Writer, batch: list[tuple[str, Row]]) -> None:
    raws = {position: row.raw for position, row in batch}
    records: list[tuple[str, Record]] = []
    outcome = BatchOutcome()
    for position, row in batch:
        if isinstance(row.item, RowProblem):
            outcome.problems.append((position, row.item))
        else:
            records.append((position, row.item))
    with transaction.atomic():
        try:
            _merge(outcome, _write(writer, records, run.dry_run))
        except Exception:
            logger.warning(
                "import run %s: a batch failed, retrying its %s rows one by one", run.pk, len(records), exc_info=True
            )
            for position, record in records:
                try:
                    _merge(outcome, _write(writer, [(position, record)], run.dry_run))
                except Exception as exc:
                    outcome.problems.append(
                        (
                            position,
                            RowProblem(
                                record_kind(record),
                                str(getattr(record, "external_id", "")),
                                _("The row could not be written: %(error)s")
                                % {"error": f"{type(exc).__name__}: {exc}"},
                            ),
                        )
                    )
        _record(run, outcome, raws, batch[-1][0], len(batch))


def _record(run: ImportRun, outcome: BatchOutcome, raws: dict[str, dict[str, Any]], cursor: str, rows: int) -> None:
    now = timezone.now()
    problems = []
    for position, problem in outcome.problems:
        logger.warning(
            "import run %s row %s (%s %s): %s", run.pk, position, problem.kind, problem.external_id, problem.reason
        )
        problems.append(
            ImportProblem(
                run=run,
                position=position,
                kind=problem.kind,
                external_id=problem.external_id[:255],
                reason=problem.reason,
                raw=jsonable(problem.raw or raws.get(position, {})),
                created_at=now,
            )
        )
    ImportProblem.objects.bulk_create(problems)
    counts: dict[str, dict[str, int]] = {
        "created": dict(run.counts.get("created", {})),
        "updated": dict(run.counts.get("updated", {})),
    }
    for name, counter in (("created", outcome.created), ("updated", outcome.updated)):
        merged = Counter(counts[name])
        merged.update(counter)
        counts[name] = dict(merged)
    run.counts = counts
    run.cursor = cursor
    run.done += rows
    run.problem_count += len(problems)
    run.updated_at = now
    run.save(update_fields=["counts", "cursor", "done", "problem_count", "updated_at"])


def run_options_public(run: ImportRun) -> dict[str, Any]:
    """The options without secrets (tokens, database passwords), for the admin and the console."""
    return {key: ("***" if key in SECRET_OPTIONS else value) for key, value in run.options.items()}
