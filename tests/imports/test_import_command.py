"""`otklik import` and `otklik export-json` on the console: progress, summary, dry run, jobs, resume."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from otklik.cli import COMMAND_ALIASES
from otklik.imports.models import ImportProfile, ImportRun, RunState
from otklik.tickets.models import Ticket
from tests.imports.conftest import sample_lines, write_jsonl

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_data", *args, stdout=out)
    return out.getvalue()


def test_console_import_shows_progress_and_summary(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", sample_lines())
    output = run("json", str(path), "--keep-numbers", "--batch", "2")
    assert "[" in output and "/6 rows" in output
    assert "Created: 1 attachment, 6 message, 1 organization, 3 person, 3 ticket" in output
    assert Ticket.objects.count() == 3


def test_console_dry_run_lists_refused_rows(tmp_path):
    lines = [
        *sample_lines(),
        {"type": "ticket", "id": "bad", "subject": "x", "requester": "u1", "status": "open", "created_at": "never"},
    ]
    path = write_jsonl(tmp_path / "in.jsonl", lines)
    output = run("json", str(path), "--dry-run")
    assert "Would create:" in output and "3 ticket" in output
    assert "row 7 ticket bad:" in output and "never" in output
    assert Ticket.objects.count() == 0


def test_background_job_and_resume(tmp_path, django_capture_on_commit_callbacks):
    path = write_jsonl(tmp_path / "in.jsonl", sample_lines())
    with django_capture_on_commit_callbacks(execute=True):
        output = run("json", str(path), "--background")  # jobs run at once in the test settings
    run_row = ImportRun.objects.get()
    assert f"run {run_row.pk} queued" in output
    assert run_row.state == RunState.DONE and Ticket.objects.count() == 3
    # a failed run is continued by id
    ImportRun.objects.filter(pk=run_row.pk).update(state=RunState.FAILED, cursor="4")
    again = run("--resume", str(run_row.pk))
    assert f"Run {run_row.pk}" in again and Ticket.objects.count() == 3


def test_csv_profile_saved_from_the_console(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Ном;Тема;Почта;Статус;Дата\n1;VPN;a@b.example;open;2026-01-12 10:00\n", encoding="utf-8")
    run(
        "csv",
        str(path),
        "--map",
        "id=Ном",
        "--map",
        "subject=Тема",
        "--map",
        "requester_email=Почта",
        "--map",
        "status=Статус",
        "--map",
        "created_at=Дата",
        "--save-profile",
        "old",
    )
    assert ImportProfile.objects.get(name="old").mapping["tickets"]["subject"] == "Тема"
    run("csv", str(path), "--profile", "old", "--namespace", "again")
    assert Ticket.objects.count() == 2


def test_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("json", str(tmp_path / "missing.jsonl"))
    with pytest.raises(CommandError, match="--db-url"):
        run("helpdesk")
    with pytest.raises(CommandError, match="Name a source"):
        run()
    with pytest.raises(CommandError, match="does not exist"):
        run("--resume", "999")


def test_export_json_command(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", sample_lines())
    run("json", str(path))
    out = io.StringIO()
    call_command("export_json", str(tmp_path / "out.jsonl"), "--since", "2026-02-15", stdout=out)
    assert "2 tickets" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("export_json", str(tmp_path / "x.jsonl"), "--since", "yesterday")


def test_console_names():
    assert COMMAND_ALIASES == {"import": "import_data", "export-json": "export_json"}
