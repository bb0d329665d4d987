"""The administrators' outgoing mail settings: saving them and proving them with a test mail."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, User
from otklik.core.errors import InvalidInput, PermissionDenied
from otklik.mail.models import MailSettings
from otklik.mail.smtp import smtp_options

logger = logging.getLogger(__name__)


def mail_settings_send_test(*, actor: User, row: MailSettings, to: str) -> None:
    """Send a short mail through exactly these settings (switched on or not yet), so an administrator
    sees the server's answer before relying on it. Raises InvalidInput with that answer."""
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise PermissionDenied()
    if not row.host:
        raise InvalidInput(_("Enter the SMTP host first."))
    if not to:
        raise InvalidInput(_("Your account has no email address to send the test to."))
    backend = smtp.EmailBackend(alias="mail-settings-test", **smtp_options(row))
    sender = row.from_address or settings.DEFAULT_FROM_EMAIL
    message = EmailMessage(
        subject=_("Otklik: test mail"),
        body=_("This message proves that Otklik can send mail through %(host)s:%(port)s.")
        % {"host": row.host, "port": row.port},
        from_email=sender,
        to=[to],
        connection=backend,
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:  # refused, unreachable, TLS failure, timeout
        logger.warning("test mail through %s:%s failed: %s", row.host, row.port, exc)
        raise InvalidInput(
            _("The mail server refused or could not be reached: %(error)s")
            % {"error": f"{type(exc).__name__}: {exc}"[:500]}
        ) from exc
    logger.info("test mail sent through %s:%s to %s", row.host, row.port, to)
