"""Error pages in the person's language, links from the address `otklik run` serves, the demo's mail
sink, and mail delivery shown on the reply and in the mail log."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from huey.exceptions import RetryTask

from otklik.cli import run_environment
from otklik.demodata.seed import DEMO_ACCOUNTS, demo_account_lines
from otklik.mail import outbound
from otklik.mail.models import OutboundMail, OutboundStatus
from otklik.mail.tasks import outbound_send_task
from otklik.testing import factories
from otklik.tickets import services
from otklik.web.management.commands.run import banner

pytestmark = pytest.mark.django_db


def test_404_is_styled_in_the_users_language_with_a_way_home(people, client_for, settings):
    settings.DEBUG = False
    response = client_for(people.alice).get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-error="404"' in html and 'href="/"' in html and "Page not found" in html
    russian = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/no/such/page/").content.decode()
    assert "Страница не найдена" in russian and 'href="/login/"' in russian


def test_a_refused_form_gets_a_styled_page(people, settings):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ru")
    response = client.post("/login/", {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-error="403"' in html and "Форма устарела" in html


def test_run_takes_links_from_its_host_and_port_and_gives_the_demo_a_mail_sink():
    assert run_environment(["run", "--host", "0.0.0.0", "--port", "9001"], {}) == {  # noqa: S104
        "OTKLIK_BASE_URL": "http://127.0.0.1:9001"}
    assert run_environment(["run", "--port=8123", "--host=desk.local"], {})["OTKLIK_BASE_URL"] == (
        "http://desk.local:8123")
    assert run_environment(["run"], {"OTKLIK_BASE_URL": "https://desk.example"}) == {}
    demo = run_environment(["run", "--demo"], {})
    assert demo["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert "EMAIL_BACKEND" not in run_environment(["run", "--demo"], {"EMAIL_HOST": "smtp.example"})
    assert run_environment(["migrate"], {}) == {}


def test_banner_lists_every_demo_account(settings):
    text = banner(host="127.0.0.1", port=8000, demo=True)
    assert len(DEMO_ACCOUNTS) == 6
    for _role, email in DEMO_ACCOUNTS:
        assert email in text
    assert settings.OTKLIK_BASE_URL in text
    assert "\n".join(demo_account_lines()) in text  # the same lines `otklik demo` prints


def test_a_failing_delivery_retries_in_one_line_and_shows_on_the_reply(people, now, client_for, settings, caplog):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2}}}
    ticket = factories.ticket(requester=people.alice, subject="VPN", now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Try again now.", now=now)
    row = OutboundMail.objects.get(ticket=ticket, kind="reply")
    caplog.set_level(logging.INFO)
    with pytest.raises(RetryTask):
        outbound_send_task.call_local(row.pk)
    assert not [record for record in caplog.records if record.exc_info]  # no traceback in the log
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'data-delivery="pending"' in html and "Not delivered yet, retrying" in html
    OutboundMail.objects.filter(pk=row.pk).update(status=OutboundStatus.FAILED, last_error="ConnectionRefused")
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Not delivered: ConnectionRefused" in html
    assert outbound.OutboundRetry is not None


def test_mail_log_is_for_managers_and_admins(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, subject="VPN", now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Fixed.", now=now)
    page = client_for(people.mia).get("/mail-log/")
    assert page.status_code == 200 and "Re: VPN" in page.content.decode()
    assert "Fixed." not in page.content.decode()  # bodies (with sign-in links) are for administrators
    admin_page = client_for(people.adam).get("/mail-log/?status=pending")
    assert admin_page.status_code == 200 and "Fixed." in admin_page.content.decode()
    for persona in (people.fiona, people.rita, people.alice):
        assert client_for(persona).get("/mail-log/").status_code == 404
    assert Client().get("/mail-log/").status_code == 302
