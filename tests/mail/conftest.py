from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from otklik.mail import services
from otklik.mail.models import InboundMail, InboundSource, Mailbox
from tests.mail.mailtools import SUPPORT, Deliver
from tests.mail.servers import Dovecot, SmtpSink, dovecot_server, smtp_sink


@pytest.fixture
def mailbox(people) -> Mailbox:
    return Mailbox.objects.create(
        name="Support", email_address=SUPPORT, team=people.first_line, imap_host="", imap_security="none",
    )


@pytest.fixture
def deliver(now) -> Deliver:
    """Store and process one raw message, the way the IMAP poller and the importer do."""
    clock = {"now": now}

    def _deliver(raw: bytes, *, mailbox: Mailbox | None = None, address: str = SUPPORT, **kwargs: Any) -> InboundMail:
        clock["now"] += timedelta(minutes=1)
        row, _created = services.inbound_store(
            raw=raw, source=InboundSource.IMPORT, mailbox=mailbox, address=address, now=clock["now"],
            enqueue=False, **kwargs,
        )
        return services.inbound_process(inbound_id=row.pk, now=clock["now"])

    return _deliver


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:
    """aiosmtpd on loopback as the mail server Django's "default" mailer talks to."""
    with smtp_sink() as sink:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": sink.host, "port": sink.port, "timeout": 10},
            }
        }
        yield sink


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the session; each test works in its own folder."""
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        pytest.skip("dovecot is not installed: apt-get install -y dovecot-imapd (CI installs it)")
    # Not under pytest's tmp dir: that is private to root (0700) and Dovecot runs as nobody.
    workdir = Path(tempfile.mkdtemp(prefix="otklik-dovecot-"))
    try:
        with dovecot_server(workdir) as server:
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
