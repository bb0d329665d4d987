"""The portal as a new requester meets it: open requests first with filter and search, date rules,
no request to rate an answer already rated, risky files refused, image previews, and passwords
changed or reset by email."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from otklik.core.errors import InvalidInput
from otklik.mail.models import OutboundMail
from otklik.testing import factories
from otklik.testing.personas import PASSWORD
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import CustomField, DateRule, FieldKind, Ticket

pytestmark = pytest.mark.django_db


def test_my_requests_open_first_with_filter_and_search(people, now, client_for):
    done = factories.ticket(requester=people.alice, subject="Old printer", now=now + timedelta(minutes=5))
    changes.ticket_resolve(actor=people.fiona, ticket_id=done.pk, now=now + timedelta(minutes=6))
    waiting = factories.ticket(requester=people.alice, subject="VPN", body="Оранжевая лампа", now=now)
    alice = client_for(people.alice)
    rows = list(alice.get("/portal/").context["page"])
    assert [t.pk for t in rows] == [waiting.pk, done.pk]  # the open one first though older
    assert [t.pk for t in alice.get("/portal/", {"state": "closed"}).context["page"]] == [done.pk]
    assert [t.pk for t in alice.get("/portal/", {"state": "open"}).context["page"]] == [waiting.pk]
    assert [t.pk for t in alice.get("/portal/", {"q": "printer"}).context["page"]] == [done.pk]
    assert [t.pk for t in alice.get("/portal/", {"q": "оранжевый"}).context["page"]] == [waiting.pk]
    assert [t.pk for t in alice.get("/portal/", {"q": f"#{waiting.number}"}).context["page"]] == [waiting.pk]
    assert "No requests match." in alice.get("/portal/", {"q": "nothing-like-this"}).content.decode()


def test_a_rated_answer_is_not_asked_to_be_rated_again(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, subject="VPN", now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now)
    alice = client_for(people.alice)
    assert "check and rate" in alice.get("/portal/").content.decode()
    alice.post(f"/portal/requests/{ticket.number}/rate/", {"score": 5})
    assert "check and rate" not in alice.get("/portal/").content.decode()
    page = alice.get(f"/tickets/{ticket.number}/").content.decode()
    assert "check and rate" not in page and "thank you for rating" in page


def test_date_fields_follow_their_past_or_future_rule(people, now):
    access = factories.request_type("access")
    CustomField.objects.create(request_type=access, code="needed_by", label="Needed by", kind=FieldKind.DATE,
                               date_rule=DateRule.FUTURE)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    with pytest.raises(InvalidInput) as refused:
        services.ticket_create(actor=people.alice, requester=people.alice, subject="Access", body_text="x",
                               request_type=access, fields={"needed_by": past}, now=now)
    assert refused.value.errors == {"needed_by": "Choose today or a later date."}
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    ticket = services.ticket_create(actor=people.alice, requester=people.alice, subject="Access", body_text="x",
                                    request_type=access, fields={"needed_by": future}, now=now)
    # Once set, the date stays valid when other fields change later, even after it has passed.
    Ticket.objects.filter(pk=ticket.pk).update(fields={"needed_by": "2020-01-01"})
    changes.ticket_set_fields(actor=people.fiona, ticket_id=ticket.pk, values={}, now=now)


def test_portal_form_offers_only_allowed_dates_and_shows_dates_in_the_locale(people, now, client_for):
    access = factories.request_type("access")
    CustomField.objects.create(request_type=access, code="needed_by", label="Needed by", kind=FieldKind.DATE,
                               date_rule=DateRule.FUTURE)
    form = client_for(people.alice).get("/portal/new/access/").content.decode()
    assert f'min="{timezone.localdate().isoformat()}"' in form
    ticket = services.ticket_create(actor=people.alice, requester=people.alice, subject="Access", body_text="x",
                                    request_type=access, fields={"needed_by": "2099-03-04"}, now=now)
    page = Client(HTTP_ACCEPT_LANGUAGE="ru")
    page.login(username=people.alice.email, password=PASSWORD)
    html = page.get(f"/tickets/{ticket.number}/").content.decode()
    assert "04.03.2099" in html and "2099-03-04" not in html


def test_requesters_cannot_upload_risky_files_but_staff_can(people, now, client_for, settings):
    ticket = factories.ticket(requester=people.alice, subject="VPN", now=now)
    for name in ("setup.exe", "invoice.pdf.EXE", "run.exe. "):
        with pytest.raises(InvalidInput):
            services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="see file", now=now,
                                  attachments=[InboundAttachment(name, b"MZ")])
    response = client_for(people.alice).post(
        f"/portal/requests/{ticket.number}/reply/",
        {"body": "see file", "attachments": [SimpleUploadedFile("tool.exe", b"MZ")]}, follow=True)
    assert any(".exe" in str(m) for m in response.context["messages"])
    assert not ticket.attachments.exists()
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="the installer", now=now,
                          attachments=[InboundAttachment("installer.exe", b"MZ")])
    settings.OTKLIK_BLOCKED_UPLOAD_EXTENSIONS = []
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="ok", now=now,
                          attachments=[InboundAttachment("setup.exe", b"MZ")])
    assert ticket.attachments.count() == 2


def test_images_are_previewed(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, subject="Screen", now=now)
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="screenshot", now=now,
                          attachments=[InboundAttachment("screen.png", b"\x89PNG\r\n\x1a\n", "image/png")])
    html = client_for(people.alice).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'class="attachment-preview"' in html
    assert 'class="attachment-preview"' in client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()


def test_password_change_and_reset_by_email(people, client_for, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    alice = client_for(people.alice)
    assert "/password/change/" in alice.get("/profile/").content.decode()
    changed = alice.post("/password/change/", {"old_password": PASSWORD, "new_password1": "a-new-secret-77",
                                               "new_password2": "a-new-secret-77"})
    assert changed.status_code == 302
    people.alice.refresh_from_db()
    assert people.alice.check_password("a-new-secret-77")

    anonymous = Client(HTTP_ACCEPT_LANGUAGE="ru")
    assert "Забыли пароль?" in anonymous.get("/login/").content.decode()
    anonymous.post("/password/reset/", {"email": "carol@b.example"})
    row = OutboundMail.objects.get(to=["carol@b.example"])
    link = re.search(r"https?://\S+/password/reset/\S+/", row.body_text)
    assert link is not None and link.group(0).startswith(settings.OTKLIK_BASE_URL)
    path = link.group(0)[len(settings.OTKLIK_BASE_URL):]
    form = anonymous.get(path, follow=True)
    assert form.status_code == 200
    anonymous.post(form.redirect_chain[-1][0], {"new_password1": "carol-new-77x", "new_password2": "carol-new-77x"})
    people.carol.refresh_from_db()
    assert people.carol.check_password("carol-new-77x")
    # An unknown address gets the same page and no mail.
    anonymous.post("/password/reset/", {"email": "nobody@nowhere.example"})
    assert not OutboundMail.objects.filter(to=["nobody@nowhere.example"]).exists()
    assert django_mail.outbox is not None
