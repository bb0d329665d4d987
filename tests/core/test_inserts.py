"""`core.inserts`: rows written through the remembered INSERT are the rows Django's save() and
bulk_create write, column by column; whatever save() would do beyond the INSERT goes through save()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext

from otklik.core import inserts
from otklik.core.inserts import insert_row, insert_rows
from otklik.search.models import SearchEntry
from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.tickets.models import Category, Message, Ticket, TicketEvent


def _row(model: type[Model], pk: int) -> dict[str, Any]:
    """The stored row as the database gives it back, without its key."""
    found = model._default_manager.filter(pk=pk).values().get()
    found.pop(model._meta.pk.attname)
    return found


def _message(ticket: Ticket, now: datetime, **fields: Any) -> Message:
    fields.setdefault("author", ticket.requester)
    return Message(ticket=ticket, channel="api", body_text="Floor 3 «кв»", body_html="<p>x</p>",
                   external_id="<id@x>", raw_ref="r/1", created_at=now, **fields)


@pytest.fixture
def ticket(people: Personas, now: datetime) -> Ticket:
    return factories.ticket(requester=people.alice, now=now)


def test_a_message_and_an_event_are_the_rows_save_writes(ticket: Ticket, now: datetime) -> None:
    pairs: list[tuple[Model, Model]] = [
        (_message(ticket, now), _message(ticket, now)),
        (_message(ticket, now, is_internal=True, markdown=True, cc=["a@x.ru"], author=None),
         _message(ticket, now, is_internal=True, markdown=True, cc=["a@x.ru"], author=None)),
        (TicketEvent(ticket=ticket, actor=None, kind="created", data={"source": "api", "n": [1, None]},
                     created_at=now),
         TicketEvent(ticket=ticket, actor=None, kind="created", data={"source": "api", "n": [1, None]},
                     created_at=now)),
    ]
    for fast, slow in pairs:
        with CaptureQueriesContext(connection) as captured:
            insert_row(fast)
        slow.save(force_insert=True)

        assert len(captured.captured_queries) == 1
        assert isinstance(fast.pk, int) and fast.pk != slow.pk
        assert not fast._state.adding and fast._state.db == slow._state.db
        assert _row(type(fast), fast.pk) == _row(type(slow), slow.pk)


def test_a_ticket_is_the_row_save_writes_with_its_priority_rank(people: Personas, now: datetime) -> None:
    def new(number: int) -> Ticket:
        return Ticket(number=number, subject="Printer", requester=people.alice, organization=people.alice.organization,
                      priority=factories.priority("high"), status=factories.status("new"), source="api",
                      fields={"room": "305"}, created_at=now, updated_at=now)

    fast = insert_row(new(90001))
    slow = new(90002)
    slow.save(force_insert=True)

    assert fast.priority_rank == factories.priority("high").rank != 0
    expected = _row(Ticket, slow.pk)
    assert _row(Ticket, fast.pk) == {**expected, "number": 90001}
    with CaptureQueriesContext(connection) as captured:  # as after save(): the priority is not looked at again
        fast.save(update_fields=["subject"])
    assert len(captured.captured_queries) == 1


def test_search_rows_are_the_rows_bulk_create_writes(ticket: Ticket, now: datetime) -> None:
    def rows() -> list[SearchEntry]:
        first, second = insert_row(_message(ticket, now)), insert_row(_message(ticket, now, is_internal=True))
        return [SearchEntry(ticket=ticket, message=first, text="1 Subject «ё»"),
                SearchEntry(ticket=ticket, message=second, is_internal=True, text="body")]

    fast = insert_rows(rows())
    slow = SearchEntry.objects.bulk_create(rows())

    assert [row.pk for row in fast] == sorted(row.pk for row in fast)  # keys in the order given
    for made, expected in zip(fast, slow, strict=True):
        assert made.message_id != expected.message_id
        assert ({**_row(SearchEntry, made.pk), "message_id": None}
                == {**_row(SearchEntry, expected.pk), "message_id": None})


def test_an_unsaved_related_object_is_refused_as_by_save(people: Personas, now: datetime) -> None:
    unsaved = Ticket(subject="x", requester=people.alice)
    message = Message(ticket=unsaved, author=people.alice, created_at=now)

    with pytest.raises(ValueError, match="unsaved related object"):
        insert_row(message)
    assert message._state.adding and message.pk is None


def test_models_whose_save_does_more_go_through_save(people: Personas, now: datetime,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[Any] = []

    def tried(rows: Any) -> bool:
        written.append(rows)
        return False

    monkeypatch.setattr(inserts, "_written", tried)
    category = insert_row(Category(name="Printers"))  # its own save() fills the path

    assert category.path == "Printers" and Category.objects.get(pk=category.pk).path == "Printers"
    assert written == []  # not even tried


def test_a_listened_save_signal_is_sent_as_by_save(ticket: Ticket, now: datetime) -> None:
    heard: list[Any] = []

    def listener(sender: Any, instance: Any, **kwargs: Any) -> None:
        heard.append(instance)

    pre_save.connect(listener, sender=Message, weak=False, dispatch_uid="test_inserts")
    try:
        message = insert_row(_message(ticket, now))
    finally:
        pre_save.disconnect(sender=Message, dispatch_uid="test_inserts")

    assert heard == [message] and message.pk is not None


def test_the_create_path_writes_its_rows_through_the_remembered_insert(ticket: Ticket) -> None:
    message = ticket.messages.get()
    event = ticket.events.get()

    assert SearchEntry.objects.filter(ticket=ticket).count() == 2
    assert event.data["message"] == message.pk
    assert SearchEntry.objects.get(ticket=ticket, message=message).text == message.body_text
