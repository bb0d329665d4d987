"""`otklik export-json`: Otklik's tickets in the import format (readers/jsonl.py), so a round trip
(export here, import there, or import back under another source name) keeps everything the format
carries. Reads a chunk of tickets with their messages and files in a fixed number of queries."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any

from django.db.models import Prefetch, QuerySet

from otklik.accounts.models import Organization, User
from otklik.imports.readers.jsonl import FORMAT
from otklik.tickets.models import Attachment, Message, Ticket

CHUNK = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _chunks(queryset: QuerySet[Ticket]) -> Iterator[list[Ticket]]:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        yield list(
            Ticket.objects.filter(pk__in=chunk)
            .order_by("pk")
            .select_related("status", "priority", "team", "category")
            .prefetch_related(
                Prefetch(
                    "messages",
                    queryset=Message.objects.order_by("created_at", "id").prefetch_related(
                        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
                    ),
                )
            )
        )


def export_jsonl(
    out: IO[str],
    *,
    since: datetime | None = None,
    with_files: bool = True,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, int]:
    tickets = Ticket.objects.all() if since is None else Ticket.objects.filter(created_at__gte=since)
    counts = {"organizations": 0, "people": 0, "tickets": 0, "messages": 0}

    def line(data: dict[str, Any]) -> None:
        out.write(json.dumps(data, ensure_ascii=False) + "\n")

    line({"type": "header", "format": FORMAT})
    for org in Organization.objects.order_by("pk"):
        line({"type": "organization", "id": str(org.pk), "name": org.name, "domain": org.domain})
        counts["organizations"] += 1
    people = User.objects.filter(pk__in=_people_ids(tickets)).order_by("pk")
    for user in people.iterator(chunk_size=2000):
        line(
            {
                "type": "person",
                "id": str(user.pk),
                "email": user.email,
                "name": user.get_full_name(),
                "organization": str(user.organization_id) if user.organization_id else None,
                "staff": user.is_staff_member,
                "phone": user.phone,
            }
        )
        counts["people"] += 1
    total = tickets.count()
    for chunk in _chunks(tickets):
        for ticket in chunk:
            messages = []
            for message in ticket.messages.all():
                files = []
                for item in message.attachments.all():
                    entry: dict[str, Any] = {
                        "id": str(item.pk),
                        "filename": item.filename,
                        "content_type": item.content_type,
                    }
                    if with_files:
                        with item.file.open("rb") as handle:
                            entry["content_base64"] = base64.b64encode(handle.read()).decode()
                    files.append(entry)
                messages.append(
                    {
                        "id": str(message.pk),
                        "author": str(message.author_id) if message.author_id else None,
                        "text": message.body_text,
                        "html": message.body_html,
                        "internal": message.is_internal,
                        "created_at": _iso(message.created_at),
                        "attachments": files,
                    }
                )
            line(
                {
                    "type": "ticket",
                    "id": str(ticket.pk),
                    "number": ticket.number,
                    "subject": ticket.subject,
                    "requester": str(ticket.requester_id),
                    "status": ticket.status.code,
                    "priority": ticket.priority.code,
                    "assignee": str(ticket.assignee_id) if ticket.assignee_id else None,
                    "team": ticket.team.name if ticket.team else "",
                    "category": ticket.category.path if ticket.category else "",
                    "channel": ticket.source,
                    "organization": str(ticket.organization_id) if ticket.organization_id else None,
                    "created_at": _iso(ticket.created_at),
                    "updated_at": _iso(ticket.updated_at),
                    "resolved_at": _iso(ticket.resolved_at),
                    "closed_at": _iso(ticket.closed_at),
                    "messages": messages,
                }
            )
            counts["tickets"] += 1
            counts["messages"] += len(messages)
        if progress:
            progress(counts["tickets"], total)
    return counts


def _people_ids(tickets: QuerySet[Ticket]) -> set[int]:
    ids = set(tickets.values_list("requester_id", flat=True))
    ids |= {pk for pk in tickets.values_list("assignee_id", flat=True) if pk}
    ids |= {pk for pk in Message.objects.filter(ticket__in=tickets).values_list("author_id", flat=True) if pk}
    return ids
