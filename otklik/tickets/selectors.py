"""Every read of tickets starts from what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from otklik.accounts import access
from otklik.accounts.access import messages_visible_to, tickets_visible_to
from otklik.accounts.models import User
from otklik.core.errors import NotFound
from otklik.tickets.models import Message, Ticket, TicketEvent

SORTS: dict[str, tuple[str, ...]] = {
    "updated": ("-updated_at", "-id"),
    "created": ("-created_at", "-id"),
    "priority": ("-priority_rank", "-updated_at", "-id"),
    "number": ("-number",),
}


@dataclass(frozen=True)
class TicketFilters:
    status_codes: tuple[str, ...] = ()
    status_kinds: tuple[str, ...] = ()
    priority_codes: tuple[str, ...] = ()
    category_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    assignee_ids: tuple[int, ...] = ()
    unassigned: bool = False
    requester_id: int | None = None
    organization_id: int | None = None
    sources: tuple[str, ...] = ()
    request_type_ids: tuple[int, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    text: str = ""
    # Tickets the full-text index matched for `text` (otklik.search.filters fills it); None: subject only.
    text_ticket_ids: tuple[int, ...] | None = None


def ticket_list(viewer: User, filters: TicketFilters | None = None, sort: str = "updated") -> QuerySet[Ticket]:
    """One query for a page of tickets with everything a list row shows."""
    filters = filters or TicketFilters()
    tickets = tickets_visible_to(viewer).select_related(
        "status", "priority", "assignee", "team", "requester", "organization", "category", "request_type"
    )
    conditions = Q()
    if filters.status_codes:
        conditions &= Q(status__code__in=filters.status_codes)
    if filters.status_kinds:
        conditions &= Q(status__kind__in=filters.status_kinds)
    if filters.priority_codes:
        conditions &= Q(priority__code__in=filters.priority_codes)
    if filters.category_ids:
        conditions &= Q(category_id__in=filters.category_ids)
    if filters.team_ids:
        conditions &= Q(team_id__in=filters.team_ids)
    if filters.assignee_ids and filters.unassigned:
        # "these people or nobody", as a multi-select of assignees asks
        conditions &= Q(assignee_id__in=filters.assignee_ids) | Q(assignee__isnull=True)
    elif filters.assignee_ids:
        conditions &= Q(assignee_id__in=filters.assignee_ids)
    elif filters.unassigned:
        conditions &= Q(assignee__isnull=True)
    if filters.requester_id is not None:
        conditions &= Q(requester_id=filters.requester_id)
    if filters.organization_id is not None:
        conditions &= Q(organization_id=filters.organization_id)
    if filters.sources:
        conditions &= Q(source__in=filters.sources)
    if filters.request_type_ids:
        conditions &= Q(request_type_id__in=filters.request_type_ids)
    if filters.created_from:
        conditions &= Q(created_at__gte=filters.created_from)
    if filters.created_to:
        conditions &= Q(created_at__lt=filters.created_to)
    if filters.updated_from:
        conditions &= Q(updated_at__gte=filters.updated_from)
    if filters.updated_to:
        conditions &= Q(updated_at__lt=filters.updated_to)
    if filters.text:
        text = filters.text.strip().lstrip("#")
        text_match = Q(subject__icontains=filters.text.strip())
        if text.isdigit():
            text_match |= Q(number=int(text))
        if filters.text_ticket_ids:
            text_match |= Q(pk__in=filters.text_ticket_ids)
        conditions &= text_match
    return tickets.filter(conditions).order_by(*SORTS.get(sort, SORTS["updated"]))


def ticket_get_for(viewer: User | None, ticket_id: int) -> Ticket:
    """The same NotFound for absent and forbidden."""
    ticket = (
        tickets_visible_to(viewer)
        .select_related("status", "priority", "assignee", "team", "requester", "organization", "category",
                        "request_type", "merged_into")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound()
    return ticket


def ticket_get_by_number_for(viewer: User | None, number: int) -> Ticket:
    ticket = tickets_visible_to(viewer).filter(number=number).only("pk").first()
    if ticket is None:
        raise NotFound()
    return ticket_get_for(viewer, ticket.pk)


def ticket_messages(viewer: User | None, ticket: Ticket) -> QuerySet[Message]:
    return (
        messages_visible_to(viewer, ticket)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def ticket_events(viewer: User | None, ticket: Ticket) -> QuerySet[TicketEvent]:
    """History for staff who handle the ticket; anyone else who sees it (its requester, even an agent,
    or an only-assigned agent who watches) follows the conversation and the status only."""
    events = ticket.events.select_related("actor").order_by("created_at", "id")
    if not access.handles(viewer, ticket):
        return events.filter(kind__in=["created", "status_changed"])
    return events
