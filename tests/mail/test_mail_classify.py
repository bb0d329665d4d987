"""Classification before threading: our own mail, bounces, auto-replies, spam verdicts, people."""

from __future__ import annotations

from collections import Counter

import pytest

from otklik.mail.classify import MailKind, classify, may_answer_automatically
from otklik.mail.parsing import parse_mail
from tests.mail.mailtools import SUPPORT, build_mail, corpus_file


def _kind(raw: bytes, **options) -> MailKind:
    options.setdefault("own_addresses", {SUPPORT})
    options.setdefault("own_message_id", False)
    return classify(parse_mail(raw), **options).kind


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied (vacation)"},
    {"Auto-Submitted": "auto-generated"},
    {"X-Autoreply": "yes"},
    {"X-Autorespond": "Out of office"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "list"},
    {"X-Auto-Response-Suppress": "All", "X-MS-Exchange-Inbox-Rules-Loop": "alice@a.example"},
])
def test_mail_auto_reply_headers(headers):
    assert _kind(build_mail(headers=headers)) == MailKind.AUTO_REPLY


@pytest.mark.parametrize("subject", [
    "Out of Office: Printer", "Automatic reply: Printer", "Автоответ: Принтер", "Автоматический ответ: Принтер",
    "Я в отпуске", "RE: Out of office",
])
def test_mail_vacation_subjects_in_russian_and_english(subject):
    assert _kind(build_mail(subject=subject)) == MailKind.AUTO_REPLY


@pytest.mark.parametrize("subject", ["Vacation request for March", "Отпуск: как оформить?", "Printer"])
def test_mail_ordinary_subjects_stay_human(subject):
    assert _kind(build_mail(subject=subject)) == MailKind.HUMAN


def test_mail_auto_submitted_no_is_a_person():
    assert _kind(build_mail(headers={"Auto-Submitted": "no"})) == MailKind.HUMAN


def test_mail_own_loop_spam_and_bulk():
    assert _kind(build_mail(headers={"X-Loop": SUPPORT})) == MailKind.OWN_LOOP
    assert _kind(build_mail(sender=SUPPORT), own_message_id=True) == MailKind.OWN_LOOP
    assert _kind(build_mail(headers={"X-Spam-Flag": "YES"})) == MailKind.SPAM
    assert _kind(build_mail(headers={"X-Spam-Flag": "YES"}), spam_header="") == MailKind.HUMAN
    listed = classify(parse_mail(build_mail(headers={"List-Unsubscribe": "<mailto:u@l.example>"})),
                      own_addresses={SUPPORT}, own_message_id=False)
    assert (listed.kind, listed.no_auto_answer) == (MailKind.HUMAN, True)


def test_mail_rfc3834_never_answers_daemons_lists_or_no_reply():
    assert not may_answer_automatically("MAILER-DAEMON@mx.example")
    assert not may_answer_automatically("owner-staff@lists.example")
    assert not may_answer_automatically("staff-request@lists.example")
    assert not may_answer_automatically("no-reply@shop.example")
    assert not may_answer_automatically("")
    assert may_answer_automatically("alice@a.example")


def test_mail_sisimai_bounces_are_recognised_and_its_non_bounces_are_not():
    folder = corpus_file("sisimai-set-of-emails")
    kinds: Counter[str] = Counter()
    for path in sorted((folder / "bsd").iterdir()):
        kinds[classify(parse_mail(path.read_bytes()), own_addresses=set(), own_message_id=False).kind] += 1
        if path.name.startswith("rfc3834-"):
            assert _kind(path.read_bytes()) == MailKind.AUTO_REPLY, path.name
    for name in ("is-not-bounce-01.eml", "is-not-bounce-02.eml"):
        assert _kind((folder / "not" / name).read_bytes()) != MailKind.BOUNCE, name

    automated = kinds[MailKind.BOUNCE] + kinds[MailKind.AUTO_REPLY]
    assert automated >= 0.95 * sum(kinds.values()), kinds


def test_mail_dsn_failed_recipient_and_status_are_extracted():
    path = corpus_file("mikel-mail/multipart_report_emails/report_422.eml")
    result = classify(parse_mail(path.read_bytes()), own_addresses=set(), own_message_id=False)

    assert result.kind == MailKind.BOUNCE
    assert result.failed_recipients
    assert all("@" in item.recipient for item in result.failed_recipients)
