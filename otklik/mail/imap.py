"""Fetching from IMAP by UID with UIDVALIDITY: store first, flag or move on the server after commit.

One poller per mailbox at a time: a conditional UPDATE of `poll_lock_until` decides, so overlapping
schedulers cannot import a message twice (osTicket #1976). Fetch state (`uidvalidity`, `last_uid`)
advances in the same transaction as the stored row.
"""

from __future__ import annotations

import logging
import ssl
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from imapclient import IMAPClient

from otklik.mail import conf
from otklik.mail.models import ImapSecurity, InboundSource, Mailbox, PostAction
from otklik.mail.services import inbound_store

logger = logging.getLogger(__name__)
LOCK_TIME = timedelta(minutes=10)


def imap_connect(mailbox: Mailbox) -> IMAPClient:
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.imap_host, port=mailbox.imap_port, ssl=mailbox.imap_security == ImapSecurity.SSL,
        ssl_context=context, timeout=30,
    )
    if mailbox.imap_security == ImapSecurity.STARTTLS:
        client.starttls(context)
    client.login(mailbox.imap_login, mailbox.imap_password)
    return client


def _claim(mailbox_id: int, now: datetime) -> bool:
    return bool(
        Mailbox.objects.filter(pk=mailbox_id, is_active=True)
        .filter(Q(poll_lock_until__isnull=True) | Q(poll_lock_until__lte=now))
        .update(poll_lock_until=now + LOCK_TIME)
    )


def _post_action(client: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    if not uids or mailbox.post_action == PostAction.LEAVE:
        return
    if mailbox.post_action == PostAction.SEEN:
        client.add_flags(uids, [b"\\Seen"])
    elif mailbox.post_action == PostAction.MOVE:
        folder = mailbox.processed_folder or "Processed"
        if not client.folder_exists(folder):
            client.create_folder(folder)
        if client.has_capability("MOVE"):
            client.move(uids, folder)
        else:
            client.copy(uids, folder)
            client.delete_messages(uids)
            client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()
    elif mailbox.post_action == PostAction.DELETE:
        client.delete_messages(uids)
        client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()


def _enqueue_processing(inbound_ids: list[int]) -> None:
    from otklik.mail.tasks import inbound_process_batch_task

    inbound_process_batch_task(inbound_ids)


def mailbox_poll(*, mailbox_id: int, now: datetime, client: Any = None) -> int:
    """Fetch new mail of one mailbox; returns how many messages were stored. Errors are recorded on the
    mailbox (shown in the admin) and never stop other mailboxes."""
    if not _claim(mailbox_id, now):
        return 0
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    stored = 0
    own_client = client is None
    try:
        if client is None:
            client = imap_connect(mailbox)
        info = client.select_folder(mailbox.imap_folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        if mailbox.uidvalidity != uidvalidity:
            # The server renumbered the folder: old UIDs mean nothing; content dedupe catches re-imports.
            if mailbox.uidvalidity is not None:
                logger.warning("mailbox %s: UIDVALIDITY changed %s -> %s", mailbox.pk, mailbox.uidvalidity,
                               uidvalidity)
            Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
            mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
        # "n:*" always contains the newest UID, even when it is below n: filter on our side too.
        uids = sorted(uid for uid in client.search(["UID", f"{mailbox.last_uid + 1}:*"]) if uid > mailbox.last_uid)
        uids = uids[: conf.poll_batch()]
        done: list[int] = []
        for start in range(0, len(uids), 20):
            batch = uids[start : start + 20]
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            # One commit for the fetched messages and the fetch state; then one job processes them together
            # (`inbound_process_batch_task`: one transaction for the batch, not one per message).
            with transaction.atomic():
                new_rows: list[int] = []
                for uid in batch:
                    data = fetched.get(uid, {})
                    raw = data.get(b"BODY[]")
                    if raw is None:
                        logger.warning("mailbox %s: uid %s vanished before it was fetched", mailbox.pk, uid)
                        continue
                    row, created = inbound_store(
                        raw=bytes(raw), source=InboundSource.IMAP, mailbox=mailbox, uidvalidity=uidvalidity,
                        uid=uid, now=now, enqueue=False,
                    )
                    if created:
                        new_rows.append(row.pk)
                    done.append(uid)
                if done:
                    Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=done[-1]).update(last_uid=done[-1])
                if new_rows:
                    transaction.on_commit(partial(_enqueue_processing, new_rows))
            stored += len(new_rows)
        # Only after the rows are committed: a failure here is harmless, the next run skips by UID.
        try:
            _post_action(client, mailbox, done)
        except Exception as exc:
            logger.warning("mailbox %s: post-fetch action failed: %s", mailbox.pk, type(exc).__name__)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error="", error_count=0)
    except Exception as exc:
        # The exception text never contains the password (IMAPClient does not echo LOGIN arguments).
        logger.warning("mailbox %s: poll failed: %s: %s", mailbox.pk, type(exc).__name__, exc)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000], last_polled_at=now,
        )
        Mailbox.objects.filter(pk=mailbox.pk).update(error_count=mailbox.error_count + 1)
    finally:
        Mailbox.objects.filter(pk=mailbox_id).update(poll_lock_until=None)
        if own_client and client is not None:
            try:
                client.logout()
            except Exception:
                logger.debug("mailbox %s: logout failed", mailbox_id)
    return stored
