"""Keeps the search rows in step with tickets.

Ticket services send `ticket_event_recorded` inside their transaction, so a reply and its index row
commit or roll back together. Rows written around the services (the demo generator, imports) are
picked up by `index_missing` (a periodic job and the `search_reindex` command).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Max, Model, OuterRef, Subquery
from django.utils.html import strip_tags

from otklik.core.inserts import insert_row, insert_rows
from otklik.search.models import SearchEntry
from otklik.tickets.models import EventKind, Message, Ticket, TicketEvent

logger = logging.getLogger(__name__)

BATCH = 2000


def message_text(message: Message) -> str:
    text = message.body_text.strip()
    if not text and message.body_html:
        text = strip_tags(message.body_html).strip()
    return text


def subject_text(ticket: Ticket) -> str:
    return f"{ticket.number} {ticket.subject}"


def message_entry(message: Message) -> SearchEntry:
    return SearchEntry(
        ticket_id=message.ticket_id, message=message, is_internal=message.is_internal, text=message_text(message)
    )


def _new_message(event: TicketEvent, written: Message | None = None) -> Message | None:
    """The message an event just wrote (its row cannot be indexed yet: it is new in this transaction):
    the one the service handed over with the event, read back only when it did not."""
    message_id = event.data.get("message")
    if not message_id:
        return None
    if written is not None and written.pk == message_id:
        return written
    return (
        Message.objects.filter(pk=message_id)
        .only("pk", "ticket_id", "is_internal", "body_text", "body_html")
        .first()
    )


def index_subject(ticket: Ticket) -> None:
    SearchEntry.objects.update_or_create(
        ticket=ticket, message=None, defaults={"text": subject_text(ticket), "is_internal": False}
    )


def index_message(message: Message) -> None:
    """(Re)write one message's row, e.g. after its text was rewritten outside the ticket services."""
    entry = message_entry(message)
    SearchEntry.objects.update_or_create(
        message=message, defaults={"ticket_id": entry.ticket_id, "is_internal": entry.is_internal, "text": entry.text}
    )


def on_ticket_event(sender: Any, event: TicketEvent, ticket: Ticket, message: Message | None = None,
                    **kwargs: Any) -> None:
    """Receiver of ticket_event_recorded: runs in the service's transaction."""
    kind = event.kind
    written = message
    if kind == EventKind.CREATED:
        # Both rows are new with the ticket: one INSERT, no lookups or savepoints (a hot path).
        rows = [SearchEntry(ticket=ticket, message=None, text=subject_text(ticket))]
        message = _new_message(event, written)
        if message is not None:
            rows.append(message_entry(message))
        insert_rows(rows)
    elif kind == EventKind.SUBJECT_CHANGED:
        index_subject(ticket)
    elif kind in {EventKind.REPLIED, EventKind.NOTE_ADDED}:
        message = _new_message(event, written)
        if message is not None:
            insert_row(message_entry(message))
    elif kind == EventKind.MERGED:
        # The merge moved the messages; their rows follow them to the target ticket.
        SearchEntry.objects.filter(ticket=ticket, message__isnull=False).update(
            ticket_id=Subquery(Message.objects.filter(pk=OuterRef("message_id")).values("ticket_id")[:1])
        )


def reindex_tickets(
    ticket_ids: list[int], *, replace: list[int] | None = None,
    insert: Callable[[type[Model], list[Any]], Any] | None = None,
) -> int:
    """Rewrite the rows of these tickets (inside the caller's transaction), e.g. after a bulk import.

    `replace`: the tickets that may have rows already (all of them when not given); new ones have none.
    `insert`: how the new rows are written (e.g. COPY for a bulk import); `bulk_create` when not given."""
    if not ticket_ids:
        return 0
    stale = ticket_ids if replace is None else replace
    if stale:
        SearchEntry.objects.filter(ticket_id__in=stale).delete()
    rows = [SearchEntry(ticket=t, message=None, text=subject_text(t))
            for t in Ticket.objects.filter(pk__in=ticket_ids).only("pk", "number", "subject")]
    messages = (Message.objects.filter(ticket_id__in=ticket_ids)
                .only("pk", "ticket_id", "is_internal", "body_text", "body_html"))
    rows += [message_entry(m) for m in messages]
    if insert is None:
        SearchEntry.objects.bulk_create(rows, batch_size=BATCH)
    else:
        insert(SearchEntry, rows)
    return len(rows)


def index_missing() -> dict[str, int]:
    """Index tickets and messages written without the services (bulk loads); safe to run any time."""
    written = {"subjects": 0, "messages": 0}
    while True:
        last_ticket = SearchEntry.objects.filter(message__isnull=True).aggregate(m=Max("ticket_id"))["m"] or 0
        tickets = list(Ticket.objects.filter(pk__gt=last_ticket).order_by("pk").only("pk", "number", "subject")[:BATCH])
        if not tickets:
            break
        with transaction.atomic():
            SearchEntry.objects.bulk_create(
                [SearchEntry(ticket=t, message=None, text=subject_text(t)) for t in tickets],
                ignore_conflicts=True,
            )
        written["subjects"] += len(tickets)
    while True:
        last_message = SearchEntry.objects.aggregate(m=Max("message_id"))["m"] or 0
        messages = list(
            Message.objects.filter(pk__gt=last_message).order_by("pk")
            .only("pk", "ticket_id", "is_internal", "body_text", "body_html")[:BATCH]
        )
        if not messages:
            break
        with transaction.atomic():
            SearchEntry.objects.bulk_create(
                [message_entry(m) for m in messages],
                ignore_conflicts=True,
            )
        written["messages"] += len(messages)
    if written["subjects"] or written["messages"]:
        logger.info("search index caught up: %(subjects)s subjects, %(messages)s messages", written)
    return written


def rebuild() -> dict[str, int]:
    """Drop and rebuild every row (after changing the text rules)."""
    SearchEntry.objects.all().delete()
    return index_missing()
