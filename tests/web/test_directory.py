"""The people and organization directory: search, pages, who may see whom, the phone form's look-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from otklik.accounts import access
from otklik.accounts.models import Organization, Role, User
from otklik.accounts.selectors import organizations_search, people_search
from otklik.testing import factories
from otklik.testing.personas import PASSWORD, Personas
from otklik.testing.queries import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def otto(people: Personas) -> User:
    """An agent who sees only the tickets assigned to them."""
    return User.objects.create_user(email="otto@otklik.test", password=PASSWORD, first_name="Otto",
                                    role=Role.AGENT, only_assigned_to_me=True)


def _names(queryset) -> set[str]:
    return {user.first_name for user in queryset}


def test_search_by_name_email_phone_and_organization(people: Personas) -> None:
    User.objects.filter(pk=people.alice.pk).update(phone="+7 (495) 123-45-67", last_name="Petrova")
    assert _names(people_search(people.fiona, "alice")) == {"Alice"}
    assert _names(people_search(people.fiona, "petrova")) == {"Alice"}
    assert _names(people_search(people.fiona, "carol@b")) == {"Carol"}
    assert _names(people_search(people.fiona, "495 123 45")) == {"Alice"}
    assert _names(people_search(people.fiona, "4951234567")) == {"Alice"}
    assert _names(people_search(people.fiona, "org a")) >= {"Alice", "Bob"}
    assert _names(people_search(people.fiona, "Org")) == {"Alice", "Bob", "Carol"}
    assert _names(people_search(people.fiona, "Alice Petrova")) == {"Alice"}
    assert [o.name for o in organizations_search(people.fiona, "org b")] == ["Org B"]


def test_who_sees_the_directory(people: Personas, otto: User, now: datetime) -> None:
    assigned = factories.ticket(requester=people.carol, now=now)
    from otklik.tickets import changes

    changes.ticket_assign(actor=people.adam, ticket_id=assigned.pk, assignee=otto, now=now)
    factories.ticket(requester=people.alice, now=now)
    everyone = User.objects.count()
    for staff in (people.fiona, people.sam, people.mia, people.rita, people.adam):
        assert access.people_visible_to(staff).count() == everyone
    # Only-assigned agent: the requesters of their tickets and themselves, and those people's organizations.
    assert _names(access.people_visible_to(otto)) == {"Carol", "Otto"}
    assert [o.name for o in access.organizations_visible_to(otto)] == ["Org B"]
    for requester in (people.alice, people.bob, people.carol):
        assert not access.people_visible_to(requester).exists()
        assert not access.organizations_visible_to(requester).exists()
    assert not access.people_visible_to(None).exists()


def test_pages_for_staff_and_404_for_others(people: Personas, otto: User,
                                            client_for: Callable[[User], Client]) -> None:
    urls = [reverse("people"), reverse("person", args=[people.alice.pk]),
            reverse("organization", args=[people.org_a.pk]), reverse("people_lookup") + "?q=al"]
    for staff in (people.fiona, people.mia, people.rita, people.adam):
        client = client_for(staff)
        for url in urls:
            assert client.get(url).status_code == 200, (staff, url)
    for requester in (people.alice, people.carol):
        client = client_for(requester)
        for url in urls:
            assert client.get(url).status_code == 404, (requester, url)
    # Otto handles nothing of Alice's or Org A's: the same 404 as for a missing person.
    client = client_for(otto)
    assert client.get(reverse("person", args=[people.alice.pk])).status_code == 404
    assert client.get(reverse("organization", args=[people.org_a.pk])).status_code == 404
    assert client.get(reverse("person", args=[999999])).status_code == 404
    assert "alice" not in client.get(reverse("people_lookup") + "?q=alice").content.decode()
    anonymous = Client().get(reverse("people"))
    assert anonymous.status_code == 302


def test_person_page_shows_only_tickets_the_viewer_may_see(people: Personas, now: datetime,
                                                           client_for: Callable[[User], Client]) -> None:
    routed = factories.ticket(requester=people.alice, subject="Second line only", now=now, team=people.second_line)
    factories.ticket(requester=people.alice, subject="Unrouted printer", now=now)
    page = client_for(people.fiona).get(reverse("person", args=[people.alice.pk])).content.decode()
    assert "Unrouted printer" in page and "Second line only" not in page
    assert "1–1 of 1" in page
    assert reverse("ticket_new") + "?requester=alice%40a.example" in page
    page = client_for(people.sam).get(reverse("person", args=[people.alice.pk])).content.decode()
    assert "Second line only" in page and "Unrouted printer" not in page
    org_page = client_for(people.sam).get(reverse("organization", args=[people.org_a.pk])).content.decode()
    assert f">{routed.number}<" in org_page and "Bob" in org_page


def test_people_page_search_and_paging(people: Personas, client_for: Callable[[User], Client],
                                       settings) -> None:
    settings.OTKLIK_LIST_PAGE_SIZE = 3
    client = client_for(people.fiona)
    page = client.get(reverse("people")).content.decode()
    assert f"1–3 of {User.objects.count()}" in page and 'rel="next"' in page
    page = client.get(reverse("people"), {"q": "a.example"}).content.decode()
    assert "Alice" in page and "Carol" not in page and "data-organization-hits" in page
    assert "Nobody matches" in client.get(reverse("people"), {"q": "zzzz"}).content.decode()


def test_lookup_answers_json(people: Personas, client_for: Callable[[User], Client]) -> None:
    User.objects.filter(pk=people.alice.pk).update(phone="+7 900 000-00-01")
    data = client_for(people.fiona).get(reverse("people_lookup"), {"q": "alice"}).json()
    assert data == {"results": [{"id": people.alice.pk, "name": "Alice", "email": "alice@a.example",
                                 "phone": "+7 900 000-00-01", "organization": "Org A"}]}
    assert client_for(people.fiona).get(reverse("people_lookup"), {"q": "a"}).json() == {"results": []}


def test_global_search_finds_people_and_organizations(people: Personas,
                                                      client_for: Callable[[User], Client]) -> None:
    page = client_for(people.fiona).get(reverse("search"), {"q": "carol"}).content.decode()
    assert "data-directory-hits" in page and reverse("person", args=[people.carol.pk]) in page
    page = client_for(people.fiona).get(reverse("search"), {"q": "Org B"}).content.decode()
    assert reverse("organization", args=[people.org_b.pk]) in page


def test_one_query_per_list(people: Personas, now: datetime, client_for: Callable[[User], Client]) -> None:
    client = client_for(people.adam)

    def pages() -> tuple[int, int, int]:
        return (count_queries(lambda: client.get(reverse("people"), {"q": "example"})),
                count_queries(lambda: client.get(reverse("organization", args=[people.org_a.pk]))),
                count_queries(lambda: client.get(reverse("person", args=[people.alice.pk]))))

    factories.ticket(requester=people.alice, now=now)
    few = pages()
    org = Organization.objects.get(pk=people.org_a.pk)
    for n in range(18):
        someone = factories.user(first_name=f"P{n}", organization=org, email=f"p{n}@a.example")
        factories.ticket(requester=someone, now=now)
        factories.ticket(requester=people.alice, now=now)
    assert pages() == few
