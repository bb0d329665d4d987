"""Otklik's SMTP backend (the default mailer's BACKEND): Django's, with the outgoing settings administrators
keep in the admin (MailSettings) when they are switched on; otherwise the EMAIL_* environment as before.

Read when a mailer is made (Django makes one per send), so a change in the admin applies to the next mail
without a restart. An EMAIL_BACKEND other than this one (console, file sink, a provider's) wins over
both: see docs/email.md."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.db import DatabaseError

from otklik.mail.models import MailSettings, SmtpSecurity

logger = logging.getLogger(__name__)


def smtp_options(row: MailSettings) -> dict[str, Any]:
    """The row as Django SMTP backend options."""
    return {
        "host": row.host,
        "port": row.port,
        "username": row.username,
        "password": row.password,
        "use_tls": row.security == SmtpSecurity.STARTTLS,
        "use_ssl": row.security == SmtpSecurity.SSL,
        "timeout": row.timeout,
    }


class EmailBackend(smtp.EmailBackend):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.from_address = ""
        try:
            row = MailSettings.in_use()
        except DatabaseError:  # no table yet (migrate) or no database: the environment's settings
            logger.warning("outgoing mail settings cannot be read; using the environment's", exc_info=True)
            row = None
        if row is not None:
            for name, value in smtp_options(row).items():
                setattr(self, name, value)
            self.from_address = row.from_address

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if self.from_address:
            # Mail without a sender of its own (a mailbox's address) goes out from the configured address.
            for message in email_messages:
                if not message.from_email or message.from_email == settings.DEFAULT_FROM_EMAIL:
                    message.from_email = self.from_address
        return int(super().send_messages(email_messages) or 0)
