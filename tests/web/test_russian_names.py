"""Names with a Russian version show it to a Russian reader: category paths, teams, SLA policies, the
catalogue's group headings and request type descriptions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from otklik.accounts.models import Team
from otklik.demodata.seed import seed_reference_data
from otklik.sla.models import SlaPolicy
from otklik.testing import factories
from otklik.testing.personas import PASSWORD
from otklik.tickets import changes
from otklik.tickets.models import Category

pytestmark = pytest.mark.django_db


def _russian(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    assert client.login(username=user.email, password=PASSWORD)
    return client


def test_category_paths_and_team_names_in_russian(people, now):
    hardware = Category.objects.create(name="Hardware", name_ru="Оборудование")
    printers = Category.objects.create(name="Printers", name_ru="Принтеры", parent=hardware)
    Team.objects.filter(pk=people.first_line.pk).update(name_ru="Первая линия")
    ticket = factories.ticket(requester=people.alice, subject="Printer", team=people.first_line, now=now)
    changes.ticket_change_category(actor=people.fiona, ticket_id=ticket.pk, category=printers, now=now)
    with translation.override("ru"):
        assert str(printers) == "Оборудование > Принтеры"
    with translation.override("en"):
        assert str(printers) == "Hardware > Printers"
    html = _russian(people.fiona).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Оборудование &gt; Принтеры" in html and "Hardware &gt; Printers" not in html
    assert "Первая линия" in html
    listing = _russian(people.fiona).get("/", {"queue": "all"}).content.decode()
    assert "Первая линия" in listing
    # Renaming a parent renames the Russian paths below it.
    hardware.name_ru = "Техника"
    hardware.save()
    assert Category.objects.get(pk=printers.pk).path_ru == "Техника > Принтеры"


def test_policies_catalogue_headings_and_descriptions_in_russian(people):
    seed_reference_data()
    with translation.override("ru"):
        assert str(SlaPolicy.objects.get(name="Access requests: 40 minutes")) == "Запросы доступа: 40 минут"
    alice = _russian(people.alice)
    catalogue = alice.get("/portal/new/").content.decode()
    assert "Доступ" in catalogue and "Доступ к системе, папке или сервису." in catalogue
    assert "Access to a system, folder or service." not in catalogue
