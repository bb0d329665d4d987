"""Reads the web UI needs beyond tickets.selectors; each starts from what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy

from otklik.accounts.access import tickets_visible_to
from otklik.accounts.models import Role, User
from otklik.core.errors import NotFound
from otklik.reports.drill import drill_tickets
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import RequestType, SubmitRule, Ticket
from otklik.web.queues import queue_get

CURSOR_SALT = "otklik.web.list-cursor"


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool
    nullable: bool = False


SORTS: dict[str, tuple[SortKey, ...]] = {
    "updated": (SortKey("updated_at", True), SortKey("id", True)),
    "created": (SortKey("created_at", True), SortKey("id", True)),
    "priority": (SortKey("priority_rank", True), SortKey("updated_at", True), SortKey("id", True)),
    # Soonest due first; tickets without a running clock come last.
    "sla": (SortKey("sla_next_due_at", False, nullable=True), SortKey("id", False)),
}
DEFAULT_SORT = "updated"


def _ordering(keys: tuple[SortKey, ...]) -> list[OrderBy]:
    return [
        F(key.field).desc() if key.descending else F(key.field).asc(nulls_last=key.nullable or None) for key in keys
    ]


def _value(ticket: Ticket, field: str) -> Any:
    value: Any = ticket
    for part in field.split("__"):
        value = getattr(value, part)
    return value


def _encode(value: Any) -> Any:
    return {"dt": value.isoformat()} if isinstance(value, datetime) else value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        return datetime.fromisoformat(value["dt"])
    return value


def cursor_for(ticket: Ticket, sort: str) -> str:
    values = [_encode(_value(ticket, key.field)) for key in SORTS[sort]]
    return signing.dumps({"s": sort, "v": values}, salt=CURSOR_SALT, compress=True)


def cursor_values(cursor: str, sort: str) -> list[Any] | None:
    """The row values a cursor points after, or None for a cursor that is broken or of another sort."""
    try:
        payload = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("s") != sort:
        return None
    values = payload.get("v")
    if not isinstance(values, list) or len(values) != len(SORTS[sort]):
        return None
    try:
        return [_decode(value) for value in values]
    except (TypeError, ValueError):
        return None


def _after(keys: tuple[SortKey, ...], values: list[Any]) -> Q:
    """Rows strictly after the given row in this ordering (keyset pagination)."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        if key.nullable and value is None:
            step = Q(pk__in=[])  # nothing sorts after NULL but other NULLs, handled by equality
            equal = Q(**{f"{key.field}__isnull": True})
        else:
            lookup = "lt" if key.descending else "gt"
            step = Q(**{f"{key.field}__{lookup}": value})
            if key.nullable:
                step |= Q(**{f"{key.field}__isnull": True})
            equal = Q(**{key.field: value})
        condition |= equal_so_far & step
        equal_so_far &= equal
    return condition


@dataclass(frozen=True)
class ListPage:
    rows: list[Ticket]
    next_cursor: str | None
    is_first: bool


def ticket_list_query(
    viewer: User, filters: ticket_selectors.TicketFilters, *, sort: str, queue: str = "", report: str = ""
) -> QuerySet[Ticket]:
    # Custom field values are not shown in lists; skipping their JSON saves a decode per row.
    tickets = ticket_selectors.ticket_list(viewer, filters).defer("fields")
    chosen = queue_get(queue)
    if chosen is not None:
        tickets = tickets.filter(chosen.condition(viewer))
    if report:
        # The tickets behind a report's number: the report's own selector, so the totals agree.
        tickets = tickets.filter(pk__in=drill_tickets(viewer, report).values("pk"))
    return tickets.order_by(*_ordering(SORTS.get(sort, SORTS[DEFAULT_SORT])))


def ticket_list_page(
    viewer: User, filters: ticket_selectors.TicketFilters, *, sort: str, queue: str = "", cursor: str = "",
    size: int = 50, report: str = "",
) -> ListPage:
    """One page of the list after the cursor: one query, whatever the page's position."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    tickets = ticket_list_query(viewer, filters, sort=sort, queue=queue, report=report)
    values = cursor_values(cursor, sort) if cursor else None
    if values is not None:
        tickets = tickets.filter(_after(SORTS[sort], values))
    rows = list(tickets[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    return ListPage(
        rows=rows, next_cursor=cursor_for(rows[-1], sort) if has_next else None, is_first=values is None
    )


def ticket_after(
    viewer: User, filters: ticket_selectors.TicketFilters, *, sort: str, queue: str, current: Ticket
) -> Ticket | None:
    """The ticket that follows `current` in a list (the "next ticket" key)."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    values = [_value(current, key.field) for key in SORTS[sort]]
    tickets = ticket_list_query(viewer, filters, sort=sort, queue=queue)
    return tickets.filter(_after(SORTS[sort], values)).first()


def ticket_by_number(viewer: User, number: int) -> Ticket:
    """One visible ticket with what its page shows, in one query; NotFound for absent and forbidden alike."""
    ticket = (
        tickets_visible_to(viewer)
        .select_related("status", "priority", "assignee", "team", "requester", "organization", "category",
                        "request_type", "merged_into")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise NotFound()
    return ticket


def requester_other_tickets(viewer: User, ticket: Ticket, *, limit: int = 5) -> list[Ticket]:
    """The requester's other tickets, only those the viewer may see."""
    return list(
        tickets_visible_to(viewer)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .select_related("status", "priority")
        .order_by("-updated_at", "-id")[:limit]
    )


def request_types_for(user: User, text: str = "") -> QuerySet[RequestType]:
    """The catalogue a person may submit from; the service checks the same rule again on submit."""
    types = RequestType.objects.filter(is_active=True)
    if not (user.is_staff_member or user.is_superuser):
        allowed = Q(submit_rule=SubmitRule.EVERYONE)
        if user.is_department_head:
            allowed |= Q(submit_rule=SubmitRule.DEPARTMENT_HEADS)
        if user.organization_id is not None:
            allowed |= Q(submit_rule=SubmitRule.ORGANIZATIONS, allowed_organizations=user.organization_id)
        types = types.filter(allowed)
    text = text.strip()
    if text:
        types = types.filter(
            Q(name__icontains=text) | Q(name_ru__icontains=text) | Q(description__icontains=text)
            | Q(group__icontains=text)
        )
    return types.distinct().order_by("group", "order", "name")


def portal_tickets(user: User, scope: str) -> QuerySet[Ticket]:
    """A requester's list: their own (and watched) requests, or their organization's when it shares."""
    tickets = tickets_visible_to(user).select_related("status", "priority", "requester")
    if scope == "organization" and user.organization_id is not None:
        return tickets.filter(organization_id=user.organization_id).exclude(requester_id=user.pk)
    return tickets.filter(Q(requester_id=user.pk) | Q(watchers=user.pk)).distinct()


def agents() -> QuerySet[User]:
    """People a ticket can be assigned to."""
    return User.objects.filter(
        is_active=True, role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN]
    ).order_by("first_name", "last_name", "email")
