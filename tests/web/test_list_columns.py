"""Each agent's choice of ticket list columns, and multi-value filters: kept, ordered, one query."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from otklik.accounts.models import User
from otklik.core.errors import InvalidInput, PermissionDenied
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.testing.queries import count_queries
from otklik.tickets import changes
from otklik.web.columns import DEFAULT_COLUMNS, columns_for, columns_set

pytestmark = pytest.mark.django_db


def test_columns_are_kept_per_agent_with_a_default(people: Personas) -> None:
    assert columns_for(people.fiona) == list(DEFAULT_COLUMNS)
    assert columns_set(agent=people.fiona, columns=["category", "status", "status", "created"]) == [
        "category", "status", "created"]
    assert columns_for(people.fiona) == ["category", "status", "created"]
    assert columns_for(people.sam) == list(DEFAULT_COLUMNS)
    with pytest.raises(InvalidInput):
        columns_set(agent=people.fiona, columns=["status", "password"])
    assert columns_for(people.fiona) == ["category", "status", "created"]
    with pytest.raises(PermissionDenied):
        columns_set(agent=people.alice, columns=["status"])
    assert columns_set(agent=people.fiona, columns=None) == list(DEFAULT_COLUMNS)


def test_the_list_shows_the_chosen_columns_in_order(people: Personas, now: datetime,
                                                    client_for: Callable[[User], Client]) -> None:
    category = factories.category("Printers")
    factories.ticket(requester=people.alice, now=now, category=category)
    fiona = client_for(people.fiona)
    response = fiona.post(reverse("list_columns"), {"show": ["status", "category", "source"], "order_category": "1",
                                                    "order_status": "3", "order_source": "2", "back": "queue=all"})
    assert response.status_code == 302 and response["Location"] == "/?queue=all"
    assert columns_for(people.fiona) == ["category", "source", "status"]
    page = fiona.get("/", {"queue": "all"}).content.decode()
    headers = [part.split('"')[0] for part in page.split('data-column="')[1:]]
    assert headers == ["category", "source", "status"]
    assert "Printers" in page
    fiona.post(reverse("list_columns"), {"reset": "1"})
    assert columns_for(people.fiona) == list(DEFAULT_COLUMNS)
    assert client_for(people.alice).post(reverse("list_columns"), {"show": ["status"]}).status_code == 404


def test_every_column_costs_no_query_per_row(people: Personas, now: datetime,
                                             client_for: Callable[[User], Client]) -> None:
    from otklik.web.columns import COLUMNS

    columns_set(agent=people.adam, columns=list(COLUMNS))
    client = client_for(people.adam)
    category = factories.category("Network")
    kind = factories.request_type("access")
    factories.ticket(requester=people.alice, now=now, category=category, request_type=kind)
    factories.ticket(requester=people.bob, now=now)
    client.get("/", {"queue": "all"})  # warm-up: the cached configuration the rows are given
    few = count_queries(lambda: client.get("/", {"queue": "all"}))
    for n in range(18):
        factories.ticket(requester=people.carol if n % 2 else people.alice, now=now, category=category,
                         request_type=kind)
    assert count_queries(lambda: client.get("/", {"queue": "all"})) == few


def test_multi_value_filters(people: Personas, now: datetime, client_for: Callable[[User], Client]) -> None:
    first = factories.ticket(requester=people.alice, subject="One", now=now, team=people.first_line)
    second = factories.ticket(requester=people.alice, subject="Two", now=now, team=people.second_line)
    third = factories.ticket(requester=people.alice, subject="Three", now=now)
    changes.ticket_assign(actor=people.adam, ticket_id=first.pk, assignee=people.sam, now=now)
    changes.ticket_assign(actor=people.adam, ticket_id=second.pk, assignee=people.fiona, now=now)
    adam = client_for(people.adam)

    def numbers(**params: str | list[str]) -> set[int]:
        page = adam.get("/", {"queue": "all", **params})
        return {ticket.number for ticket in page.context["page"].rows}

    assert numbers(team=[str(people.first_line.pk), str(people.second_line.pk)]) == {first.number, second.number}
    assert numbers(assignee=[str(people.sam.pk), "none"]) == {first.number, third.number}
    assert numbers(assignee=[str(people.sam.pk), str(people.fiona.pk)]) == {first.number, second.number}
    # A single value, as older saved views and links carry it, still works.
    assert numbers(team=str(people.second_line.pk)) == {second.number}
    page = adam.get("/", {"queue": "all"}).content.decode()
    assert "data-multiselect" in page and "tom-select.complete.min.js" in page


def test_rows_escape_every_value_and_carry_their_links(people: Personas, now: datetime,
                                                        client_for: Callable[[User], Client]) -> None:
    """The rows are built in Python (web.templatetags.otklik_web.list_rows), not by the template engine:
    every value people typed is escaped as the engine would, in text and in attributes."""
    from otklik.accounts.models import Organization
    from otklik.tickets.tags import ticket_change_tags
    from otklik.web.columns import COLUMNS

    organization = Organization.objects.create(name='A&B <i>"q"', domain="ab.example")
    eve = factories.user(first_name="<b>Eve</b>", organization=organization, email="eve@ab.example")
    ticket = factories.ticket(requester=eve, subject="<script>alert(1)</script>", now=now)
    ticket_change_tags(actor=people.adam, ticket_id=ticket.pk, add=["<x>"], now=now)
    columns_set(agent=people.adam, columns=list(COLUMNS))
    page = client_for(people.adam).get("/", {"queue": "all"}).content.decode()
    row = page.split(f'data-ticket="{ticket.number}"')[1].split("</tr>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row and "<script>" not in row
    assert 'title="&lt;b&gt;Eve&lt;/b&gt; · A&amp;B &lt;i&gt;&quot;q&quot;"' in row and "<b>" not in row
    assert 'data-tag>&lt;x&gt;</span>' in row and "<x>" not in row and "<i>" not in row
    assert f'href="/tickets/{ticket.number}/?list=queue%3Dall"' in row
    assert f'aria-label="Select ticket {ticket.number}"' in row and f'value="{ticket.pk}"' in row
    assert [part.split('"')[0] for part in row.split('<td class="')[2:]] == _column_classes(list(COLUMNS))
    # Read-only staff get the same row without the selection box.
    readonly = client_for(people.rita).get("/", {"queue": "all"}).content.decode()
    assert f'data-ticket="{ticket.number}"' in readonly and "data-bulk-check" not in readonly


def _column_classes(columns: list[str]) -> list[str]:
    from otklik.web.templatetags.otklik_web import COLUMN_CLASSES

    return [COLUMN_CLASSES.get(column, "") for column in columns]
