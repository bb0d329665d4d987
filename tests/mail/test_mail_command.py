"""`otklik mail import|pipe|corpus`: the console contract."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from otklik.mail.models import InboundMail, InboundSource
from otklik.tickets.models import Ticket
from tests.mail.mailtools import build_mail


def _import(*args: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("mail", "import", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_mail_import_json_prints_one_object_per_message_in_the_order_given(people, tmp_path):
    first = tmp_path / "1.eml"
    first.write_bytes(build_mail())
    reply = tmp_path / "2.eml"
    reply.write_bytes(build_mail(subject="Re: printer", body="Any news?", message_id="<m2@a.example>",
                                 in_reply_to="<m1@a.example>"))
    auto = tmp_path / "3.eml"
    auto.write_bytes(build_mail(subject="Out of office", message_id="<oof@a.example>",
                                headers={"Auto-Submitted": "auto-replied"}))
    broken = tmp_path / "4.eml"
    broken.write_bytes(b"Subject: nobody\r\n\r\n?")

    results = _import("--address", "help@otklik.test", "--json", str(first), str(reply), str(first), str(auto),
                      str(broken), str(tmp_path / "missing.eml"))

    assert [item["outcome"] for item in results] == [
        "new_ticket", "reply", "duplicate", "auto_reply", "failed", "failed"]
    assert [item["ticket"] for item in results[:3]] == [1, 1, 1]
    assert results[0] == {"file": str(first), "message_id": "m1@a.example", "outcome": "new_ticket", "ticket": 1,
                          "reason": ""}
    assert results[4]["ticket"] is None and "sender" in results[4]["reason"]
    assert results[5]["message_id"] is None and "cannot read" in results[5]["reason"]
    assert set(results[0]) == {"file", "message_id", "outcome", "ticket", "reason"}
    assert InboundMail.objects.filter(address="help@otklik.test", source=InboundSource.IMPORT).count() == 5


def test_mail_import_into_a_configured_mailbox_routes_to_its_team(mailbox, tmp_path, people):
    path = tmp_path / "1.eml"
    path.write_bytes(build_mail())

    results = _import("--mailbox", "Support", "--json", str(path))

    assert results[0]["outcome"] == "new_ticket"
    assert Ticket.objects.get().team == people.first_line


def test_mail_import_needs_to_know_the_support_address(db, tmp_path):
    path = tmp_path / "1.eml"
    path.write_bytes(build_mail())

    with pytest.raises(CommandError, match="--address"):
        call_command("mail", "import", str(path))
    with pytest.raises(CommandError, match="No mailbox"):
        call_command("mail", "import", "--mailbox", "Nope", str(path))


def test_mail_pipe_reads_the_message_from_standard_input(mailbox, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(build_mail()))
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()

    call_command("mail", "pipe", "--mailbox", "Support", stdout=out)

    assert json.loads(out.getvalue())["outcome"] == "new_ticket"
    assert InboundMail.objects.get().source == InboundSource.PIPE


def test_mail_corpus_command_prints_the_summary_and_rolls_back(db, tmp_path):
    (tmp_path / "a.eml").write_bytes(build_mail())
    (tmp_path / "b.eml").write_bytes(b"\x00\xff garbage")
    out = io.StringIO()

    call_command("mail", "corpus", str(tmp_path), stdout=out)

    head = out.getvalue().splitlines()[0]
    assert head.startswith("messages=2 tickets=1 replies=0 duplicates=0 automated=0 spam=0 quarantined=1 crashes=0")
    assert not Ticket.objects.exists()  # a dry run unless --keep
