"""`otklik import <source> ...`: move tickets, people and organizations in from another help desk.

    otklik import json export.jsonl [--keep-numbers] [--dry-run]
    otklik import csv tickets.csv --kind tickets --map subject=Тема --save-profile old-desk
    otklik import xlsx people.xlsx --kind people --profile old-desk
    otklik import helpdesk --db-url sqlite:////srv/helpdesk.sqlite3 --media-root /srv/media
    otklik import osticket --db-url mysql://user:pass@host/osticket
    otklik import zammad --url https://zammad.example --token TOKEN
    otklik import --resume 12          # continue a run after a crash
    otklik import json big.jsonl --background   # run as a job; progress in the admin

Runs are idempotent by the source's ids: a second run updates what the first created. See docs/migration.md.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from otklik.core.errors import DomainError
from otklik.imports.models import ImportRun
from otklik.imports.profiles import parse_pairs, profile_mapping, profile_save
from otklik.imports.readers import SOURCES, build_reader
from otklik.imports.readers.base import ReaderError
from otklik.imports.services import DEFAULT_BATCH, run_create, run_execute, run_get
from otklik.imports.tasks import import_run_job


class Command(BaseCommand):
    help = (
        "Import tickets, messages, people and organizations from CSV/XLSX, JSON, django-helpdesk, osTicket or Zammad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", nargs="?", choices=SOURCES)
        parser.add_argument("path", nargs="?", help="the file (csv, xlsx, json)")
        parser.add_argument("--kind", default="tickets", help="csv/xlsx: tickets, messages, people or organizations")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
        parser.add_argument("--profile", help="csv/xlsx: use a saved column mapping")
        parser.add_argument("--save-profile", help="csv/xlsx: save --map under this name (merged into it)")
        parser.add_argument("--delimiter", default="")
        parser.add_argument("--sheet", default="")
        parser.add_argument("--db-url", help="helpdesk/osticket: the source database")
        parser.add_argument("--media-root", default="", help="helpdesk: folder of its uploaded files")
        parser.add_argument("--prefix", default="ost_", help="osticket: table prefix")
        parser.add_argument("--url", help="zammad: its address")
        parser.add_argument("--token", default="", help="zammad: access token (or ZAMMAD_TOKEN)")
        parser.add_argument("--per-page", type=int, default=100)
        parser.add_argument("--namespace", default="", help="the source's name for idempotency (default: the source)")
        parser.add_argument("--timezone", default="", help="for times written without an offset")
        parser.add_argument("--keep-numbers", action="store_true", help="tickets keep their numbers from the source")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
        parser.add_argument("--background", action="store_true", help="run as a job; follow it in the admin")
        parser.add_argument("--resume", type=int, metavar="RUN", help="continue an interrupted run")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = run_get(options["resume"]) if options["resume"] else self._create(options)
            if options["background"]:
                import_run_job.enqueue(run.pk)
                self.stdout.write(f"Import run {run.pk} queued; follow it in the admin (Imports > Import runs).")
                return
            reader = build_reader(run.source, run.options)
            started = time.perf_counter()
            try:
                run = run_execute(
                    run=run,
                    reader=reader,
                    batch_size=max(1, int(run.options.get("batch") or DEFAULT_BATCH)),
                    progress=self._progress,
                )
            except ReaderError:
                raise
            except Exception as exc:
                self.stdout.write("")
                raise CommandError(
                    f"Import run {run.pk} stopped: {exc}. Resume with: otklik import --resume {run.pk}"
                ) from exc
            self.stdout.write("")
            self._summary(run, time.perf_counter() - started)
        except (ReaderError, DomainError) as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, options: dict[str, Any]) -> ImportRun:
        source = options["source"]
        if not source:
            raise CommandError("Name a source (" + ", ".join(SOURCES) + ") or give --resume RUN.")
        now = timezone.now()
        stored: dict[str, Any] = {
            "keep_numbers": options["keep_numbers"],
            "batch": options["batch"],
            "timezone": options["timezone"],
        }
        if source in ("csv", "xlsx", "json"):
            if not options["path"]:
                raise CommandError("Give the file to import.")
            stored["path"] = os.path.abspath(options["path"])
        if source in ("csv", "xlsx"):
            kind = options["kind"]
            mapping = profile_mapping(name=options["profile"], kind=kind) if options["profile"] else {}
            mapping.update(parse_pairs(options["map"]))
            if options["save_profile"]:
                profile_save(name=options["save_profile"], kind=kind, mapping=mapping, now=now)
            stored.update(kind=kind, mapping=mapping, delimiter=options["delimiter"], sheet=options["sheet"])
        if source in ("helpdesk", "osticket"):
            if not options["db_url"]:
                raise CommandError("Give the source database with --db-url.")
            stored.update(db_url=options["db_url"], media_root=options["media_root"], prefix=options["prefix"])
        if source == "zammad":
            stored.update(
                url=options["url"] or "",
                token=options["token"] or os.environ.get("ZAMMAD_TOKEN", ""),
                per_page=options["per_page"],
            )
        build_reader(source, stored)  # fail now on a missing file, bad mapping or unreachable source
        return run_create(
            source=source, namespace=options["namespace"] or source, options=stored, dry_run=options["dry_run"], now=now
        )

    def _progress(self, run: ImportRun) -> None:
        width = 30
        if run.total:
            filled = width * min(run.done, run.total) // run.total
            bar = "#" * filled + "-" * (width - filled)
            self.stdout.write(f"\r[{bar}] {run.done:,}/{run.total:,} rows, {run.problem_count} refused", ending="")
        else:
            self.stdout.write(f"\r{run.done:,} rows, {run.problem_count} refused", ending="")
        self.stdout.flush()

    def _summary(self, run: ImportRun, elapsed: float) -> None:
        verb = ("would create", "would update") if run.dry_run else ("created", "updated")
        for name, label in zip(("created", "updated"), verb, strict=True):
            parts = ", ".join(f"{count} {kind}" for kind, count in sorted(run.counts.get(name, {}).items()) if count)
            self.stdout.write(f"{label.capitalize()}: {parts or 'nothing'}")
        self.stdout.write(
            f"Run {run.pk}{' (dry run)' if run.dry_run else ''}: {run.done} rows read, "
            f"{run.problem_count} refused, {elapsed:.1f} s."
        )
        for problem in run.problems.all()[:200]:
            self.stdout.write(f"  row {problem.position} {problem.kind} {problem.external_id}: {problem.reason}")
        if run.problem_count > 200:
            self.stdout.write(f"  ... and {run.problem_count - 200} more: see the run in the admin.")
