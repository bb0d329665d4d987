"""The weekly overview email: once per week per subscriber, in their language, with their scope's numbers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from otklik.mail.models import OutboundMail
from otklik.reports.digest import weekly_digests_send
from otklik.reports.models import WeeklyDigest
from otklik.testing import factories
from otklik.testing.personas import Personas
from tests.reports.conftest import Desk, msk

pytestmark = pytest.mark.django_db


def test_subscription_page_and_weekly_mail_in_the_managers_language(people: Personas, desk: Desk) -> None:
    people.mia.language = "ru"
    people.mia.save()
    client = Client()
    client.force_login(people.mia)
    assert client.post(reverse("reports:digest"), {"active": "1"}).status_code == 302
    assert WeeklyDigest.objects.get(user=people.mia).is_active
    for hour in (10, 11):  # Monday and Tuesday of the week before
        factories.ticket(requester=people.alice, team=people.second_line, now=msk(2026, 3, 2, hour))
    assert weekly_digests_send(now=msk(2026, 3, 9, 8)) == 1
    assert weekly_digests_send(now=msk(2026, 3, 9, 9)) == 0  # the same week is never sent twice
    mail = OutboundMail.objects.get()
    assert mail.to == [people.mia.email]
    assert "Еженедельный обзор" in mail.subject
    assert "Новые: 2" in mail.body_text
    assert weekly_digests_send(now=msk(2026, 3, 16, 8)) == 1  # next week: the next overview


def test_agents_and_requesters_may_not_subscribe(people: Personas) -> None:
    for person in (people.fiona, people.alice):
        client = Client()
        client.force_login(person)
        assert client.post(reverse("reports:digest"), {"active": "1"}).status_code == 404
    assert not WeeklyDigest.objects.exists()
