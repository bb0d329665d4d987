"""`otklik mail ...`: the email channel from the console.

    otklik mail import [--mailbox NAME | --address SUPPORT_ADDRESS] [--json] FILE...
    otklik mail pipe   [--mailbox NAME | --address SUPPORT_ADDRESS]        < message   (for an MTA)
    otklik mail poll   [--mailbox NAME]
    otklik mail sweep
    otklik mail reprocess [--as-person] ID...
    otklik mail corpus [DIR] [--json] [--keep]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from argparse import ArgumentParser
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.test.utils import override_settings
from django.utils import timezone

from otklik.mail import conf, services
from otklik.mail.models import InboundMail, InboundSource, InboundStatus, Mailbox, Outcome

# sysexits.h: the MTA keeps the message and tries again later.
EX_TEMPFAIL = 75
AUTOMATED = (Outcome.AUTO_REPLY, Outcome.BOUNCE, Outcome.IGNORED)


def default_corpus_dir() -> Path:
    return Path(settings.BASE_DIR).parent / ".." / "shared" / "corpus" / "emails"


def corpus_files(directory: Path) -> list[Path]:
    return sorted(
        path for path in directory.rglob("*")
        if path.is_file() and path.name not in {"README.md", "index.json"}
    )


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Email channel: import raw .eml files, take mail from an MTA pipe, poll IMAP, run the corpus."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name in ("import", "pipe"):
            sub = actions.add_parser(name)
            target = sub.add_mutually_exclusive_group()
            target.add_argument("--mailbox", help="the configured mailbox (its name) the mail was fetched from")
            target.add_argument("--address", help="the support address the mail was sent to (no mailbox needed)")
            if name == "import":
                sub.add_argument("--json", action="store_true", help="one JSON object per message")
                sub.add_argument("files", nargs="+", metavar="FILE")
        poll = actions.add_parser("poll")
        poll.add_argument("--mailbox")
        actions.add_parser("sweep")
        reprocess = actions.add_parser("reprocess")
        reprocess.add_argument("--as-person", action="store_true")
        reprocess.add_argument("ids", nargs="+", type=int)
        corpus = actions.add_parser("corpus")
        corpus.add_argument("directory", nargs="?", default=None)
        corpus.add_argument("--json", action="store_true")
        corpus.add_argument("--keep", action="store_true", help="commit the tickets instead of rolling back")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        handler = getattr(self, f"handle_{action}")
        handler(options)

    # ------------------------------------------------------------ targets

    def _target(self, options: dict[str, Any]) -> tuple[Mailbox | None, str]:
        if options.get("mailbox"):
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(f"No mailbox named {options['mailbox']!r}.")
            return mailbox, mailbox.email_address
        if options.get("address"):
            return None, str(options["address"]).strip().lower()
        mailboxes = list(Mailbox.objects.all()[:2])
        if len(mailboxes) == 1:
            return mailboxes[0], mailboxes[0].email_address
        raise CommandError("Say which support address the mail was sent to: --mailbox NAME or --address ADDRESS.")

    def _one(self, raw: bytes, *, source: str, mailbox: Mailbox | None, address: str, filename: str) -> InboundMail:
        now = timezone.now()
        row, _created = services.inbound_store(
            raw=raw, source=source, mailbox=mailbox, address=address, filename=filename, now=now, enqueue=False,
        )
        return services.inbound_process(inbound_id=row.pk, now=now)

    @staticmethod
    def _result(filename: str, row: InboundMail | None, reason: str = "") -> dict[str, Any]:
        if row is None:
            return {"file": filename, "message_id": None, "outcome": Outcome.FAILED.value, "ticket": None,
                    "reason": reason}
        return {
            "file": filename, "message_id": row.message_id or None, "outcome": row.outcome or Outcome.FAILED.value,
            "ticket": row.ticket.number if row.ticket_id is not None and row.ticket else None,
            "reason": row.reason,
        }

    # ------------------------------------------------------------ actions

    def handle_import(self, options: dict[str, Any]) -> None:
        mailbox, address = self._target(options)
        # Stored and processed a batch at a time (`services.inbound_intake`: one commit for the stored batch,
        # one for its processing; a batch holds at most process_batch() files and about RAW_BYTES_PER_READ);
        # the results are printed in the order of the files.
        pending: list[tuple[str, dict[str, Any] | None]] = []  # (file, result, or None until processed)
        readable: list[tuple[bytes, str]] = []
        size = 0

        def flush() -> None:
            nonlocal size
            rows = iter(services.inbound_intake(raws=readable, source=InboundSource.IMPORT, mailbox=mailbox,
                                                address=address, now=timezone.now()))
            for name, result in pending:
                self._print_result(result or self._result(name, next(rows)), options["json"])
            pending.clear()
            readable.clear()
            size = 0

        for name in options["files"]:
            try:
                raw = Path(name).read_bytes()
            except OSError as exc:
                pending.append((name, self._result(name, None, f"cannot read the file: {exc.strerror or exc}")))
                continue
            if len(raw) > conf.max_raw_bytes():
                pending.append((name, self._result(name, None, f"larger than {conf.max_raw_bytes()} bytes")))
                continue
            pending.append((name, None))
            readable.append((raw, str(Path(name))))
            size += len(raw)
            if len(readable) >= conf.process_batch() or size >= services.RAW_BYTES_PER_READ:
                flush()
        flush()

    def _print_result(self, result: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            ticket = f"#{result['ticket']}" if result["ticket"] else "-"
            self.stdout.write(f"{result['file']}: {result['outcome']} {ticket} {result['reason']}".rstrip())

    def handle_pipe(self, options: dict[str, Any]) -> None:
        mailbox, address = self._target(options)
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("No message on standard input.")
        try:
            row = self._one(raw, source=InboundSource.PIPE, mailbox=mailbox, address=address, filename="")
        except DatabaseError as exc:
            self.stderr.write(f"temporary failure, the MTA should retry: {type(exc).__name__}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(json.dumps(self._result("-", row), ensure_ascii=False))

    def handle_poll(self, options: dict[str, Any]) -> None:
        from otklik.mail.imap import mailbox_poll

        mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="")
        if options.get("mailbox"):
            mailboxes = mailboxes.filter(name=options["mailbox"])
        for mailbox in mailboxes:
            stored = mailbox_poll(mailbox_id=mailbox.pk, now=timezone.now())
            mailbox.refresh_from_db()
            state = f"error: {mailbox.last_error}" if mailbox.last_error else "ok"
            self.stdout.write(f"{mailbox.name}: {stored} new message(s), {state}")
        services.pending_work_sweep(now=timezone.now(), older_than=timedelta(0))

    def handle_sweep(self, options: dict[str, Any]) -> None:
        result = services.pending_work_sweep(now=timezone.now(), older_than=timedelta(0))
        self.stdout.write(f"processed={result['processed']} sent={result['sent']}")

    def handle_reprocess(self, options: dict[str, Any]) -> None:
        for inbound_id in options["ids"]:
            try:
                row = services.inbound_reprocess(inbound_id=inbound_id, now=timezone.now(),
                                                 as_human=options["as_person"])
            except InboundMail.DoesNotExist:
                self.stdout.write(f"{inbound_id}: no such message")
                continue
            self.stdout.write(f"{inbound_id}: {row.status} {row.outcome} {row.reason}".rstrip())

    def handle_corpus(self, options: dict[str, Any]) -> None:
        directory = Path(options["directory"]) if options["directory"] else default_corpus_dir()
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder (the corpus lives in ../shared, only in CI).")
        files = corpus_files(directory)
        summary = run_corpus(files, keep=options["keep"], on_result=(
            (lambda result: self.stdout.write(json.dumps(result, ensure_ascii=False))) if options["json"] else None
        ))
        self.stdout.write(format_summary(summary))


def run_corpus(files: list[Path], *, keep: bool = False, on_result: Any = None) -> dict[str, Any]:
    """Every file through store + process; rolled back at the end unless keep (a dry run by default)."""
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    quarantined: list[dict[str, str]] = []
    tickets: set[int] = set()
    started = time.perf_counter()
    address = "support@corpus.otklik.test"
    media = tempfile.TemporaryDirectory(prefix="otklik-corpus-")
    try:
        with override_settings(MEDIA_ROOT=media.name), transaction.atomic():
            for path in files:
                now = timezone.now()
                try:
                    row, _created = services.inbound_store(
                        raw=path.read_bytes(), source=InboundSource.IMPORT, address=address, filename=str(path),
                        now=now, enqueue=False,
                    )
                    row = services.inbound_process(inbound_id=row.pk, now=now)
                except Exception as exc:  # a crash is a bug of ours; counted, never hidden
                    crashes.append(f"{path}: {type(exc).__name__}: {exc}")
                    continue
                outcomes[row.outcome or "none"] += 1
                if row.outcome == Outcome.NEW_TICKET and row.ticket_id:
                    tickets.add(row.ticket_id)
                if row.status == InboundStatus.QUARANTINED:
                    quarantined.append({"file": str(path), "reason": row.reason})
                if on_result is not None:
                    on_result(Command._result(str(path), row))
            if not keep:
                raise _Rollback
    except _Rollback:
        pass
    finally:
        media.cleanup()
    return {
        "messages": len(files),
        "tickets": len(tickets),
        "replies": outcomes[Outcome.REPLY],
        "duplicates": outcomes[Outcome.DUPLICATE],
        "automated": sum(outcomes[kind] for kind in AUTOMATED),
        "spam": outcomes[Outcome.SPAM],
        "quarantined": len(quarantined),
        "crashes": len(crashes),
        "outcomes": {str(kind): count for kind, count in outcomes.items()},
        "quarantine_reasons": quarantined,
        "crash_details": crashes,
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_summary(summary: dict[str, Any]) -> str:
    head = (
        f"messages={summary['messages']} tickets={summary['tickets']} replies={summary['replies']} "
        f"duplicates={summary['duplicates']} automated={summary['automated']} spam={summary['spam']} "
        f"quarantined={summary['quarantined']} crashes={summary['crashes']} ({summary['seconds']} s)"
    )
    reasons = Counter(item["reason"].split(":")[0][:80] for item in summary["quarantine_reasons"])
    lines = [head, f"outcomes: {summary['outcomes']}"]
    lines += [f"  quarantined x{count}: {reason}" for reason, count in reasons.most_common(10)]
    lines += [f"  CRASH {detail}" for detail in summary["crash_details"][:20]]
    return "\n".join(lines)
