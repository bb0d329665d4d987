"""Issue 11: an unknown reference in POST or PATCH /api/v1/tickets/ answers 400 `invalid_input` in the
documented shape (docs/api.md), with the message under the field's name, whatever the field and the
kind of bad value; nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets.models import Ticket, TicketEvent
from tests.api.conftest import ClientFor

BAD_IDS: dict[str, Any] = {"unknown": 987654, "huge": 99999999999999999999999, "text": "abc", "negative": -1}
BAD_CODES: dict[str, Any] = {"unknown": "no-such-code", "number": 12, "blank-ish": "  x  "}

CREATE_FIELDS = {"category": BAD_IDS, "team": BAD_IDS, "requester": BAD_IDS, "priority": BAD_CODES,
                 "request_type": BAD_CODES}
UPDATE_FIELDS = {"category": BAD_IDS, "team": BAD_IDS, "assignee": BAD_IDS, "priority": BAD_CODES,
                 "request_type": BAD_CODES, "status": BAD_CODES}


def _cases(fields: dict[str, dict[str, Any]]) -> list[Any]:
    return [pytest.param(field, value, id=f"{field}-{kind}") for field, values in fields.items()
            for kind, value in values.items()]


def _assert_field_error(answer: Any, field: str) -> None:
    assert answer.status_code == 400, (answer.status_code, answer.content)
    body = answer.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == "invalid_input"
    assert isinstance(error["message"], str) and error["message"]
    assert field in {name.split(".")[0] for name in error["fields"]}, error
    assert all(isinstance(text, str) and text for text in error["fields"].values())


@pytest.mark.parametrize(("field", "value"), _cases(CREATE_FIELDS))
def test_create_with_an_unknown_reference(people: Personas, client_for: ClientFor, field: str, value: Any) -> None:
    before = Ticket.objects.count()
    answer = client_for(people.fiona).post("/api/v1/tickets/", {"subject": "Refs", field: value}, format="json")
    _assert_field_error(answer, field)
    assert Ticket.objects.count() == before


@pytest.mark.parametrize("value", list(BAD_IDS.values()), ids=list(BAD_IDS))
def test_create_with_an_unknown_watcher(people: Personas, client_for: ClientFor, value: Any) -> None:
    before = Ticket.objects.count()
    answer = client_for(people.fiona).post(
        "/api/v1/tickets/", {"subject": "Refs", "watchers": [people.bob.pk, value]}, format="json"
    )
    _assert_field_error(answer, "watchers")
    assert Ticket.objects.count() == before


@pytest.mark.parametrize(("field", "value"), _cases(UPDATE_FIELDS))
def test_update_with_an_unknown_reference(people: Personas, client_for: ClientFor, now: Any, field: str,
                                          value: Any) -> None:
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    events = TicketEvent.objects.filter(ticket=ticket).count()
    answer = client_for(people.fiona).patch(f"/api/v1/tickets/{ticket.number}/", {field: value, "subject": "New"},
                                            format="json")
    _assert_field_error(answer, field)
    assert TicketEvent.objects.filter(ticket=ticket).count() == events
    assert Ticket.objects.get(pk=ticket.pk).subject == ticket.subject


def test_assigning_someone_who_is_not_an_agent_names_the_field(people: Personas, client_for: ClientFor,
                                                               now: Any) -> None:
    ticket = factories.ticket(requester=people.alice, team=people.first_line, now=now)
    answer = client_for(people.fiona).patch(f"/api/v1/tickets/{ticket.number}/", {"assignee": people.bob.pk},
                                            format="json")
    _assert_field_error(answer, "assignee")
