"""English and Russian, switchable per user, default from the browser; dates in the user's time zone."""

from __future__ import annotations

import pytest
from django.test import Client

from otklik.testing import factories

pytestmark = pytest.mark.django_db


def test_browser_language_is_the_default(db):
    assert "Вход" in Client(HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9").get("/login/").content.decode()
    assert "Sign in" in Client(HTTP_ACCEPT_LANGUAGE="en-US").get("/login/").content.decode()


def test_switch_is_kept_on_the_profile(people, client_for):
    alice = client_for(people.alice)
    response = alice.post("/language/", {"language": "ru", "next": "/portal/"})
    assert response.url == "/portal/"
    people.alice.refresh_from_db()
    assert people.alice.language == "ru"
    # Another browser with an English Accept-Language still gets her choice once she signs in.
    elsewhere = client_for(people.alice)
    assert "Мои заявки" in elsewhere.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_switch_refuses_unknown_languages_and_foreign_redirects(people, client_for):
    alice = client_for(people.alice)
    response = alice.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.url == "/"
    people.alice.refresh_from_db()
    assert people.alice.language == ""


def test_anonymous_switch_sets_the_cookie(db):
    client = Client()
    client.post("/language/", {"language": "ru", "next": "/login/"})
    assert "Вход" in client.get("/login/").content.decode()


def test_dates_are_shown_in_the_users_time_zone(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)  # 09:00 UTC
    people.fiona.time_zone = "Asia/Vladivostok"  # UTC+10
    people.fiona.save()
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'datetime="2026-03-02T19:00:00+10:00"' in html
    people.fiona.time_zone = "Not/AZone"
    people.fiona.save()
    assert client_for(people.fiona).get(f"/tickets/{ticket.number}/").status_code == 200


def test_russian_pages_use_russian_labels_of_configured_rows(people, now, client_for):
    ticket = factories.ticket(requester=people.alice, now=now)
    people.fiona.language = "ru"
    people.fiona.save()
    html = client_for(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Переписка и история" in html and "Новая" in html  # template text and the status row's name_ru


def test_profile_saves_language_time_zone_and_signature(people, client_for):
    fiona = client_for(people.fiona)
    page = fiona.get("/profile/").content.decode()
    assert 'name="signature"' in page
    response = fiona.post("/profile/", {"first_name": "Fiona", "last_name": "F", "language": "ru",
                                        "time_zone": "Europe/Samara", "signature": "— Fiona"})
    assert response.status_code == 302
    people.fiona.refresh_from_db()
    assert (people.fiona.language, people.fiona.time_zone, people.fiona.signature) == ("ru", "Europe/Samara",
                                                                                       "— Fiona")
    bad = fiona.post("/profile/", {"first_name": "F", "language": "de", "time_zone": "Mars/Base"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"language", "time_zone"}
    # Requesters have no signature to keep.
    assert 'name="signature"' not in client_for(people.alice).get("/profile/").content.decode()
