"""Settings of the mail part, applied to the settings namespace by base.py.

Mailboxes (addresses, IMAP servers, passwords, routing) are rows edited in the admin, not settings;
what is here are installation-wide limits of the email channel.
"""

import os
from typing import Any


def configure(settings: dict[str, Any]) -> None:
    """Add or adjust settings of this part; called once at the end of base.py."""
    env = os.environ.get
    # The MAILERS alias outgoing ticket mail is sent through.
    settings.setdefault("OTKLIK_MAIL_MAILER", env("OTKLIK_MAIL_MAILER", "default"))
    # Attempts per outgoing mail before it is marked failed (backoff 2, 4, 8 ... minutes).
    settings.setdefault("OTKLIK_MAIL_SEND_ATTEMPTS", int(env("OTKLIK_MAIL_SEND_ATTEMPTS", "6")))
    # Loop guard: automatic mails (acknowledgements, notifications) to one address per hour.
    settings.setdefault("OTKLIK_MAIL_AUTOMATIC_PER_HOUR", int(env("OTKLIK_MAIL_AUTOMATIC_PER_HOUR", "20")))
    # Language of mail to people whose language is unknown and who did not write in Russian.
    settings.setdefault("OTKLIK_MAIL_DEFAULT_LANGUAGE", env("OTKLIK_MAIL_DEFAULT_LANGUAGE", "en"))
    # Public staff replies are mailed to the requester from committed `replied` events.
    settings.setdefault("OTKLIK_MAIL_SEND_REPLIES", env("OTKLIK_MAIL_SEND_REPLIES", "1") not in {"0", "false", "no"})
    # Messages fetched per IMAP poll of one mailbox (the rest waits for the next minute).
    settings.setdefault("OTKLIK_MAIL_POLL_BATCH", int(env("OTKLIK_MAIL_POLL_BATCH", "200")))
    # Stored messages processed in one transaction (one savepoint each): a fetch or an import commits once
    # per batch instead of once per message; the tickets a batch answers stay locked until it commits.
    settings.setdefault("OTKLIK_MAIL_PROCESS_BATCH", int(env("OTKLIK_MAIL_PROCESS_BATCH", "50")))
    # Raw messages larger than this are refused by the MTA pipe and the importer (IMAP keeps them on the server).
    settings.setdefault("OTKLIK_MAIL_MAX_RAW_BYTES", int(env("OTKLIK_MAIL_MAX_RAW_BYTES", str(50 * 1024 * 1024))))
