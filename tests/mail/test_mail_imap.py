"""IMAP intake against a real Dovecot on loopback: by UID with UIDVALIDITY, store first, flag after commit."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from imapclient import IMAPClient

from otklik.mail.imap import mailbox_poll
from otklik.mail.models import InboundMail, InboundStatus, Mailbox, Outcome, PostAction
from otklik.tickets.models import Ticket
from tests.mail.mailtools import SUPPORT, build_mail

_folders = itertools.count(1)


@pytest.fixture
def folder() -> str:
    return f"Support{next(_folders)}"


@pytest.fixture
def imap(dovecot, folder):
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    client.login(dovecot.user, dovecot.password)
    client.create_folder(folder)
    yield client
    client.logout()


@pytest.fixture
def imap_mailbox(people, dovecot, folder):
    return Mailbox.objects.create(
        name="Support IMAP", email_address=SUPPORT, team=people.first_line, imap_host=dovecot.host,
        imap_port=dovecot.port, imap_security="none", imap_login=dovecot.user, imap_password=dovecot.password,
        imap_folder=folder, post_action=PostAction.SEEN, processed_folder=f"{folder}-done",
    )


def _poll(mailbox: Mailbox, now: datetime, capture: Any) -> int:
    with capture(execute=True):
        return mailbox_poll(mailbox_id=mailbox.pk, now=now)


def test_mail_imap_poll_stores_processes_and_flags_after_commit(
    folder, imap, imap_mailbox, now, django_capture_on_commit_callbacks
):
    imap.append(folder, build_mail(message_id="<i1@a.example>"))
    imap.append(folder, b"Subject: no sender at all\r\nMessage-ID: <broken@x.example>\r\n\r\nhello\r\n")
    imap.append(folder, build_mail(sender="bob@a.example", subject="VPN is down", message_id="<i2@a.example>"))

    stored = _poll(imap_mailbox, now, django_capture_on_commit_callbacks)

    assert stored == 3
    rows = list(InboundMail.objects.order_by("uid"))
    assert [row.uid for row in rows] == [1, 2, 3]
    assert [row.outcome for row in rows] == [Outcome.NEW_TICKET, Outcome.FAILED, Outcome.NEW_TICKET]
    assert rows[1].status == InboundStatus.QUARANTINED  # one bad message did not block the next
    imap_mailbox.refresh_from_db()
    assert (imap_mailbox.last_uid, imap_mailbox.last_error) == (3, "")
    imap.select_folder(folder)
    flags = imap.get_flags([1, 2, 3])
    assert all(b"\\Seen" in flags[uid] for uid in (1, 2, 3))


def test_mail_imap_second_poll_fetches_only_new_uids(
    folder, imap, imap_mailbox, now, django_capture_on_commit_callbacks
):
    imap.append(folder, build_mail(message_id="<i1@a.example>"))
    assert _poll(imap_mailbox, now, django_capture_on_commit_callbacks) == 1
    assert _poll(imap_mailbox, now + timedelta(minutes=1), django_capture_on_commit_callbacks) == 0

    imap.append(folder, build_mail(subject="Re: printer", message_id="<i3@a.example>",
                                   in_reply_to="<i1@a.example>"))
    assert _poll(imap_mailbox, now + timedelta(minutes=2), django_capture_on_commit_callbacks) == 1

    assert Ticket.objects.count() == 1
    assert InboundMail.objects.order_by("-uid").values_list("outcome", flat=True)[0] == Outcome.REPLY


def test_mail_imap_uidvalidity_change_refetches_but_duplicates_change_nothing(
    folder, imap, imap_mailbox, now, django_capture_on_commit_callbacks
):
    raw = build_mail(message_id="<i1@a.example>")
    imap.append(folder, raw)
    _poll(imap_mailbox, now, django_capture_on_commit_callbacks)
    old_validity = Mailbox.objects.get(pk=imap_mailbox.pk).uidvalidity
    # The server renumbers the folder (deleted and recreated, e.g. a restore from backup).
    imap.delete_folder(folder)
    imap.create_folder(folder)
    imap.append(folder, raw)

    stored = _poll(imap_mailbox, now + timedelta(minutes=1), django_capture_on_commit_callbacks)

    imap_mailbox.refresh_from_db()
    assert imap_mailbox.uidvalidity != old_validity
    assert stored == 1
    assert list(InboundMail.objects.order_by("pk").values_list("outcome", flat=True)) == [
        Outcome.NEW_TICKET, Outcome.DUPLICATE]
    assert Ticket.objects.count() == 1


def test_mail_imap_move_to_processed_folder(folder, imap, imap_mailbox, now, django_capture_on_commit_callbacks):
    imap_mailbox.post_action = PostAction.MOVE
    imap_mailbox.save()
    imap.append(folder, build_mail(message_id="<i1@a.example>"))

    _poll(imap_mailbox, now, django_capture_on_commit_callbacks)

    assert imap.select_folder(folder)[b"EXISTS"] == 0
    assert imap.select_folder(f"{folder}-done")[b"EXISTS"] == 1
    assert Ticket.objects.count() == 1


def test_mail_imap_overlapping_poll_is_refused(folder, imap, imap_mailbox, now, django_capture_on_commit_callbacks):
    imap.append(folder, build_mail(message_id="<i1@a.example>"))
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(poll_lock_until=now + timedelta(minutes=5))

    assert _poll(imap_mailbox, now, django_capture_on_commit_callbacks) == 0
    assert not InboundMail.objects.exists()


def test_mail_imap_login_failure_is_recorded_without_the_password(
    imap_mailbox, now, caplog, django_capture_on_commit_callbacks
):
    imap_mailbox.imap_password = "wrong-Secret-42"
    imap_mailbox.save()

    with caplog.at_level(logging.DEBUG):
        assert _poll(imap_mailbox, now, django_capture_on_commit_callbacks) == 0

    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error
    assert "wrong-Secret-42" not in imap_mailbox.last_error
    assert "wrong-Secret-42" not in caplog.text
