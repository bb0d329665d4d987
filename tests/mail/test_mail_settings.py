"""Outgoing mail settings kept in the admin: used by Otklik's SMTP backend when switched on (the
environment otherwise), the password stored encrypted, and a test mail through a real aiosmtpd server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client

from otklik.mail.models import MailSettings, SmtpSecurity
from otklik.testing.personas import PASSWORD
from tests.mail.servers import SmtpSink, free_port

pytestmark = pytest.mark.django_db

ENVIRONMENT = "otklik.mail.smtp.EmailBackend"


@contextlib.contextmanager
def auth_sink(user: str, password: str) -> Iterator[SmtpSink]:
    """aiosmtpd on loopback that demands a sign-in (plain text allowed: loopback only)."""

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == user.encode() and data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    port = free_port()
    sink = SmtpSink(host="127.0.0.1", port=port)
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, authenticator=check, auth_required=True, auth_require_tls=False
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def _environment(settings: Any, port: int) -> None:
    settings.MAILERS = {
        "default": {"BACKEND": ENVIRONMENT, "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5}}
    }


def _row(port: int, **fields: Any) -> MailSettings:
    row = MailSettings.load()
    row.host, row.port, row.security = "127.0.0.1", port, SmtpSecurity.NONE
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


def test_switched_on_settings_replace_the_environment(settings, smtp):
    # The environment points at a closed port; the administrators' settings at the real server.
    _environment(settings, free_port())
    with auth_sink("desk", "s3cret-pw") as server:
        row = _row(server.port, is_active=True, username="desk", from_address="helpdesk@example.org")
        row.password = "s3cret-pw"
        row.save()
        stored = MailSettings.objects.get().password_encrypted
        assert stored and "s3cret" not in stored and MailSettings.objects.get().password == "s3cret-pw"
        EmailMessage("Hello", "Body", to=["alice@example.org"]).send(using="default")
        sent = server.received[0].message
        assert sent["From"] == "helpdesk@example.org" and sent["To"] == "alice@example.org"
        # A mailbox's own address is kept.
        EmailMessage("Re", "Body", from_email="it@example.org", to=["bob@example.org"]).send(using="default")
        assert server.received[1].message["From"] == "it@example.org"


def test_switched_off_the_environment_applies(settings, smtp):
    _environment(settings, smtp.port)
    _row(free_port(), is_active=False)
    EmailMessage("Hello", "Body", to=["alice@example.org"]).send(using="default")
    assert len(smtp.received) == 1


def test_admin_edits_the_settings_and_sends_a_test_mail(people, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    admin = Client()
    admin.login(username=people.adam.email, password=PASSWORD)
    with auth_sink("desk", "pw-1") as server:
        response = admin.post(
            "/admin/mail/mailsettings/add/",
            {
                "is_active": "",
                "host": "127.0.0.1",
                "port": server.port,
                "security": "none",
                "username": "desk",
                "password": "pw-1",
                "from_address": "desk@example.org",
                "timeout": 5,
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        row = MailSettings.objects.get()
        assert row.password == "pw-1" and "pw-1" not in row.password_encrypted
        page = admin.get(f"/admin/mail/mailsettings/{row.pk}/change/").content.decode()
        assert "pw-1" not in page and row.password_encrypted not in page
        # Saved again with the password left empty: the stored one is kept.
        admin.post(
            f"/admin/mail/mailsettings/{row.pk}/change/",
            {
                "is_active": "on",
                "host": "127.0.0.1",
                "port": server.port,
                "security": "none",
                "username": "desk",
                "password": "",
                "from_address": "desk@example.org",
                "timeout": 5,
            },
        )
        assert MailSettings.objects.get().password == "pw-1" and MailSettings.objects.get().is_active
        done = admin.post(
            "/admin/mail/mailsettings/", {"action": "send_test_mail", "_selected_action": [row.pk]}, follow=True
        )
        assert "A test mail was sent" in done.content.decode()
        test_mail = server.received[-1].message
        assert test_mail["To"] == people.adam.email and test_mail["From"] == "desk@example.org"
    assert mail.outbox == []  # the test mail went through the row's server, not the configured mailer
    row.port = free_port()  # nothing listens there now
    row.save()
    failed = admin.post(
        "/admin/mail/mailsettings/", {"action": "send_test_mail", "_selected_action": [row.pk]}, follow=True
    ).content.decode()
    assert "could not be reached" in failed
    # Only administrators reach the page.
    manager = Client()
    manager.login(username=people.mia.email, password=PASSWORD)
    assert manager.get("/admin/mail/mailsettings/").status_code in {302, 403, 404}
