"""Reads the web UI needs beyond tickets.selectors; each starts from what the viewer may see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import OrderBy

from otklik.accounts import access
from otklik.accounts.access import tickets_visible_to
from otklik.accounts.models import Organization, Role, User
from otklik.core import lookups
from otklik.core.errors import NotFound
from otklik.reports.drill import drill_tickets
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import DONE_KINDS, RequestType, Ticket, TicketLink
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


def _reversed_ordering(keys: tuple[SortKey, ...]) -> list[OrderBy]:
    # The mirror of _ordering: a nullable key sorts its NULLs last, so reversed they come first.
    return [
        F(key.field).asc() if key.descending else F(key.field).desc(nulls_first=key.nullable or None)
        for key in keys
    ]


def _before(keys: tuple[SortKey, ...], values: list[Any]) -> Q:
    """Rows strictly before the given row in this ordering (the previous page, read backwards)."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        if key.nullable and value is None:
            step = Q(**{f"{key.field}__isnull": False})  # every non-NULL value sorts before a NULL
            equal = Q(**{f"{key.field}__isnull": True})
        else:
            lookup = "gt" if key.descending else "lt"
            step = Q(**{f"{key.field}__{lookup}": value})
            equal = Q(**{key.field: value})
        condition |= equal_so_far & step
        equal_so_far &= equal
    return condition


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


# Counting stops here: beyond it an exact COUNT costs more than a list is worth, so the page shows an
# estimate (PostgreSQL's planner) or "more than" this number.
EXACT_COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class ListPage:
    rows: list[Ticket]
    next_cursor: str | None
    is_first: bool
    prev_cursor: str | None = None
    start: int = 0  # position of the first row in the whole list, from 0
    total: int = 0
    total_is_estimate: bool = False  # the planner's estimate ("of about")
    total_is_lower_bound: bool = False  # only known to be more than `total` ("of more than")

    @property
    def first_number(self) -> int:
        return self.start + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        return self.start + len(self.rows)

    @property
    def next_start(self) -> int:
        return self.start + len(self.rows)


def count_or_estimate(tickets: QuerySet[Ticket]) -> tuple[int, str]:
    """The number of rows and how sure it is: "exact" up to EXACT_COUNT_LIMIT; above it the planner's
    estimate ("about", PostgreSQL) or the limit itself ("more")."""
    exact = tickets.order_by()[: EXACT_COUNT_LIMIT + 1].count()
    if exact <= EXACT_COUNT_LIMIT:
        return exact, "exact"
    if connection.vendor == "postgresql":
        sql, params = tickets.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        return max(estimate, EXACT_COUNT_LIMIT + 1), "about"
    return EXACT_COUNT_LIMIT, "more"


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
    size: int = 50, before: str = "", start: int = 0, count: bool = True, report: str = "",
    total: int | None = None,
) -> ListPage:
    """One page of the list after `cursor` (or before `before`, for Previous), plus the list's total.

    A page is one query whatever its position (keyset pagination); the total is one more, unless the
    caller already knows it (`total`: a queue's own count, for a queue shown without filters). `start` is
    the page's position as the link that led here knows it: it only numbers the rows ("51–100 of 320").
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    keys = SORTS[sort]
    tickets = ticket_list_query(viewer, filters, sort=sort, queue=queue, report=report)
    if total is not None or not count:
        total, certainty = total or 0, "exact"
    else:
        total, certainty = count_or_estimate(tickets)
    # The row's labels: one query for the page. The row's configuration comes from the cache
    # (attach_configuration), so the page's query joins only the people.
    tickets = tickets.select_related(None).select_related("requester", "assignee", "organization")
    back_values = cursor_values(before, sort) if before else None
    if back_values is not None:
        rows = list(tickets.filter(_before(keys, back_values)).order_by(*_reversed_ordering(keys))[: size + 1])
        has_prev = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next = True
        start = max(start, 0) if has_prev else 0
    else:
        values = cursor_values(cursor, sort) if cursor else None
        if values is not None:
            tickets = tickets.filter(_after(keys, values))
        rows = list(tickets[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_prev = values is not None
        start = max(start, 0) if has_prev else 0
    ticket_selectors.attach_configuration(rows)
    attach_tag_names(rows)
    return ListPage(
        rows=rows,
        next_cursor=cursor_for(rows[-1], sort) if has_next and rows else None,
        prev_cursor=cursor_for(rows[0], sort) if has_prev and rows else None,
        is_first=not has_prev,
        start=start, total=total, total_is_estimate=certainty == "about",
        total_is_lower_bound=certainty == "more",
    )


def attach_tag_names(tickets: list[Ticket]) -> None:
    """Each ticket's tag names, in the tags' order (by name), as `ticket.tag_names`: one query for a page,
    reading the names only. What `prefetch_related("tags")` answered, without building a related manager
    and a Tag per ticket and tag (~1.5 ms of a 50-row queue page; issue #16, queue round 6)."""
    names: dict[int, list[str]] = {ticket.pk: [] for ticket in tickets}
    if names:
        tagged = (Ticket.tags.through.objects.filter(ticket_id__in=list(names))
                  .order_by("tag__name", "tag_id").values_list("ticket_id", "tag__name"))
        for ticket_id, name in tagged:
            names[ticket_id].append(name)
    for ticket in tickets:
        ticket.tag_names = names[ticket.pk]  # type: ignore[attr-defined]


def ticket_after(
    viewer: User, filters: ticket_selectors.TicketFilters, *, sort: str, queue: str, current: Ticket
) -> Ticket | None:
    """The ticket that follows `current` in a list (the "next ticket" key)."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    values = [_value(current, key.field) for key in SORTS[sort]]
    tickets = ticket_list_query(viewer, filters, sort=sort, queue=queue)
    return tickets.filter(_after(SORTS[sort], values)).first()


def ticket_by_number(viewer: User, number: int) -> Ticket:
    """One visible ticket with what its page shows (`tickets.selectors.ticket_read_by_number`: the people
    joined, the configuration remembered, the viewer's `handles` answered in the same statement), and
    whether it has any link or watcher (`has_links`, `has_watchers`): most have none, and the page then
    skips those reads (the links' read compiles the viewer's scope twice). NotFound for absent and
    forbidden alike."""
    ticket = ticket_selectors.ticket_read_by_number(
        viewer, number,
        has_links=Exists(TicketLink.objects.filter(Q(from_ticket=OuterRef("pk")) | Q(to_ticket=OuterRef("pk")))),
        has_watchers=Exists(Ticket.watchers.through.objects.filter(ticket_id=OuterRef("pk"))),
    )
    # The type's fields are read by the fields panel and by its edit form: once for both (the remembered
    # request types carry them already; this reads only for a type the configuration lacks).
    prefetch_related_objects([ticket], "request_type__fields")
    return ticket


def ticket_handled_by_number(viewer: User, number: int) -> Ticket:
    """A ticket's internal side, for a panel of the agent's page loaded after it: the page's own check
    (visible to the viewer, then `access.handles`), so NotFound exactly where the page would not show
    its staff side (an agent who only asked or watches sees the requester's page, without panels).
    Only the requester is joined: the panels read their own rows, not the page's header."""
    ticket = ticket_selectors.ticket_read_by_number(viewer, number, related=("requester",))
    if not access.handles(viewer, ticket):
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
    """The catalogue a person may submit from (tickets.selectors' one submit rule), searched by `text`."""
    types = ticket_selectors.request_types_submittable(user)
    text = text.strip()
    if text:
        types = types.filter(
            Q(name__icontains=text) | Q(name_ru__icontains=text) | Q(description__icontains=text)
            | Q(group__icontains=text)
        )
    return types.order_by("group", "order", "name")


def portal_tickets(user: User, scope: str) -> QuerySet[Ticket]:
    """A requester's list: their own (and watched) requests, or their organization's when it shares."""
    tickets = tickets_visible_to(user).select_related("status", "priority", "requester")
    if scope == "organization" and user.organization_id is not None:
        return tickets.filter(organization_id=user.organization_id).exclude(requester_id=user.pk)
    # Watched tickets by a subquery, not a join: no DISTINCT over every column of the page and its count.
    watched = Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")
    return tickets.filter(Q(requester_id=user.pk) | Q(pk__in=watched))


def intranet_requests(user: User, limit: int = 10) -> list[Ticket]:
    """The intranet widget's list: the person's own requests still in progress, nearest due first. Rooted in
    `tickets_visible_to`, one query."""
    return list(
        tickets_visible_to(user).filter(requester_id=user.pk).exclude(status__kind__in=DONE_KINDS)
        .select_related("status").order_by(F("sla_next_due_at").asc(nulls_last=True), "-updated_at", "-id")[:limit]
    )


def agents() -> QuerySet[User]:
    """People a ticket can be assigned to."""
    return User.objects.filter(
        is_active=True, role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN]
    ).order_by("first_name", "last_name", "email")


lookups.depends_on("web.agent_choices", User)


def agent_choices() -> list[User]:
    """`agents()` for the assignee pickers of every ticket page: their ids and names only (no password
    hashes in the cache), remembered until a person is saved or deleted."""
    return lookups.remembered("web.agent_choices",
                              lambda: list(agents().only("pk", "first_name", "last_name", "email")))


lookups.depends_on("web.organization_choices", Organization)


def organization_choices() -> list[tuple[int, str]]:
    """Every organization's id and name in the model's order (by name), for the list's organization filter:
    remembered until an organization is saved or deleted, so the queue page reads no table for it."""
    return lookups.remembered("web.organization_choices",
                              lambda: list(Organization.objects.values_list("pk", "name")))
