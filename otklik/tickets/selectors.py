"""Every read of tickets starts from what the viewer may see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from otklik.accounts import access
from otklik.accounts.access import messages_visible_to, tickets_visible_to
from otklik.accounts.models import User
from otklik.accounts.selectors import teams_all
from otklik.core import lookups
from otklik.core.errors import NotFound
from otklik.tickets.models import (
    DONE_KINDS,
    Category,
    CustomField,
    Message,
    Priority,
    RequestType,
    Status,
    SubmitRule,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketRating,
)

# Configuration lists read on every create and every ticket page, kept in the cache (otklik.core.lookups)
# and dropped whenever a row of their table is saved or deleted.
lookups.depends_on("tickets.statuses", Status)
lookups.depends_on("tickets.priorities", Priority)
lookups.depends_on("tickets.categories", Category)
lookups.depends_on("tickets.by_id", Status, Priority, Category, RequestType, CustomField)


def statuses_active() -> list[Status]:
    """Active statuses in their configured order (order, id): the choices of every status picker."""
    return lookups.remembered("tickets.statuses", lambda: list(Status.objects.filter(is_active=True)
                                                              .order_by("order", "id")))


def priorities_all() -> list[Priority]:
    """Every priority in the model's order (highest rank first)."""
    return lookups.remembered("tickets.priorities", lambda: list(Priority.objects.all()))


def categories_active() -> list[Category]:
    """Active categories in the model's order (by path)."""
    return lookups.remembered("tickets.categories", lambda: list(Category.objects.filter(is_active=True)))


# The configuration a list row shows beside the ticket's own columns, attached from the cache.
ROW_CONFIGURATION = {"status": Status, "priority": Priority, "category": Category, "request_type": RequestType}


def configuration_by_id() -> dict[str, dict[int, Any]]:
    """Every status, priority, category and request type (inactive ones too) by id, per ticket field; the
    request types with their custom fields (`request_type.fields.all()` reads no table: the ticket page
    shows them on every view)."""
    return lookups.remembered("tickets.by_id", lambda: {
        field: {row.pk: row for row in (
            RequestType.objects.prefetch_related("fields") if model is RequestType
            else model.objects.all())}  # type: ignore[attr-defined]
        for field, model in ROW_CONFIGURATION.items()})


def attach_configuration(tickets: Iterable[Any], fields: Mapping[str, str] | None = None) -> None:
    """Give list rows their status, priority, team, category and request type from the cache, so the list
    query joins only the people: PostgreSQL plans a 9-table join in 20-150 ms (most of a list view at a
    million tickets) and a 4-table one in about 1 ms. A row whose value the cache lacks loads it itself.

    `fields` maps other rows' foreign keys to those kinds (a macro's `set_status` is a status)."""
    found = {**configuration_by_id(), "team": {team.pk: team for team in teams_all()}}
    chosen = [(field, found[kind]) for field, kind in (fields or {kind: kind for kind in found}).items()]
    for ticket in tickets:
        for field, rows in chosen:
            value = rows.get(getattr(ticket, f"{field}_id"))
            if value is not None:
                setattr(ticket, field, value)


def request_type_configured(code: str) -> RequestType | None:
    """The active request type with this code, from the cached configuration (`configuration_by_id`), with
    its custom fields, category, default priority and team attached from the same cache: what a new ticket
    takes from its type, with no query. Whether the submitter may use it is `request_type_may_submit`'s."""
    found = configuration_by_id()
    request_type: RequestType | None = next(
        (row for row in found["request_type"].values() if row.code == code and row.is_active), None
    )
    if request_type is None:
        return None
    teams = {team.pk: team for team in teams_all()}
    for field, rows in (("category", found["category"]), ("default_priority", found["priority"]), ("team", teams)):
        key = getattr(request_type, f"{field}_id")
        if key is not None and key in rows:
            setattr(request_type, field, rows[key])
    return request_type


def status_default(kind: str) -> Status | None:
    """The status a ticket moves to for `kind` (new, open, resolved, closed): the first active one of it."""
    return next((status for status in statuses_active() if status.kind == kind), None)


def priority_default() -> Priority | None:
    """The priority marked default (the highest-ranked if several), else the lowest-ranked one."""
    priorities = priorities_all()
    marked = next((priority for priority in priorities if priority.is_default), None)
    if marked is not None or not priorities:
        return marked
    lowest = min(priority.rank for priority in priorities)
    return next(priority for priority in priorities if priority.rank == lowest)

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
    tags: tuple[str, ...] = ()
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
    if filters.tags:
        # tags.py writes through services.py, which reads through this module: imported when used
        from otklik.tickets.tags import tickets_with_tags

        conditions &= tickets_with_tags(filters.tags)
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


# The people a ticket read joins; its configuration (status, priority, team, category, request type with
# its fields) comes from the remembered rows (`attach_configuration`).
TICKET_PEOPLE = ("assignee", "requester", "organization", "merged_into")


def ticket_read_by_number(viewer: User, number: int, *, related: Iterable[str] = TICKET_PEOPLE,
                          **annotations: Any) -> Ticket:
    """One visible ticket for a read (a page, the API's GET), in one statement; NotFound for absent and
    forbidden alike.

    The row is read by its number alone, with whether the viewer watches it, and the viewer's scope is
    decided on its columns (`access.row_answers`: the rules of `tickets_visible_to` and `tickets_handled_by`),
    so the statement carries no scope: Django compiled the scope's OR of subqueries on every view (most of
    the read's CPU), and PostgreSQL planned it. Both answers go to the request's memory, so the checks that
    follow (`is_visible`, `handles`, `visible_fields`) read nothing. Only `related` is joined: PostgreSQL
    spends more time planning a 9-table join than running it. `annotations`: what the caller's page asks
    of the row besides."""
    # Numbers are unique: no order to compile (`first()` would sort by the model's ordering).
    tickets = Ticket.objects.select_related(*related).filter(number=number).order_by()
    if viewer is not None and not access.sees_everything(viewer):  # everything: no need to ask
        annotations = {**annotations, "viewer_watches": Exists(
            Ticket.watchers.through.objects.filter(ticket_id=OuterRef("pk"), user_id=viewer.pk))}
    ticket = next(iter((tickets.annotate(**annotations) if annotations else tickets)[:1]), None)
    if ticket is None:
        raise NotFound()
    visible, handled = access.row_answers(viewer, ticket, watched=bool(getattr(ticket, "viewer_watches", False)))
    if not visible:
        raise NotFound()
    access.remember_answers(viewer, ticket.pk, handled=handled)
    attach_configuration([ticket])
    return ticket


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


# ---------------------------------------------------------------- who may submit which request type


@dataclass(frozen=True)
class SubmitScope:
    """The submit rules open to one submission: the one answer to "may this be submitted?" (issue 11).

    `everything`: staff submitting for themselves may use every active type. Otherwise `rules` are the
    submit rules open without further condition, and `organization_id` opens the types allowed for that
    organization. The catalogue listings read it as a query, the services' check in memory."""

    everything: bool
    rules: frozenset[str]
    organization_id: int | None

    def condition(self) -> Q:
        if self.everything:
            return Q()
        allowed = Q(submit_rule__in=sorted(self.rules))
        if self.organization_id is not None:
            through = RequestType.allowed_organizations.through
            allowed |= Q(
                submit_rule=SubmitRule.ORGANIZATIONS,
                pk__in=through.objects.filter(organization_id=self.organization_id).values("requesttype_id"),
            )
        return allowed


def submit_scope(requester: User, *, actor: User | None = None) -> SubmitScope:
    """Which request types `requester` may submit, or `actor` may submit for them.

    Staff (and superusers) submitting for themselves may use every type. A requester gets "everyone",
    "department heads" when they head a department and "organizations" for their organization's types.
    Staff filing on a requester's behalf (a phone call, the API with `requester`) add the staff-only
    types: the request is theirs to classify, while the requester's own rules still bound the rest."""
    if access.can_see_internal(requester) and (actor is None or actor.pk == requester.pk):
        return SubmitScope(everything=True, rules=frozenset(), organization_id=None)
    rules = {SubmitRule.EVERYONE.value}
    if requester.is_department_head:
        rules.add(SubmitRule.DEPARTMENT_HEADS.value)
    if actor is not None and actor.pk != requester.pk and actor.is_active and (actor.is_superuser or actor.can_write):
        rules.add(SubmitRule.STAFF.value)
    return SubmitScope(everything=False, rules=frozenset(rules), organization_id=requester.organization_id)


def request_types_submittable(requester: User, *, actor: User | None = None) -> QuerySet[RequestType]:
    """Active request types `requester` may submit (or `actor` for them): every catalogue listing
    (portal, API, bot) starts here, and the services check the same `submit_scope` on submit."""
    return RequestType.objects.filter(is_active=True).filter(submit_scope(requester, actor=actor).condition())


def request_type_may_submit(requester: User, request_type: RequestType, *, actor: User | None = None) -> bool:
    """Whether this (active) type is in `request_types_submittable`; a query only for organization types."""
    if not request_type.is_active:
        return False
    scope = submit_scope(requester, actor=actor)
    if scope.everything or request_type.submit_rule in scope.rules:
        return True
    if request_type.submit_rule != SubmitRule.ORGANIZATIONS or scope.organization_id is None:
        return False
    return request_types_submittable(requester, actor=actor).filter(pk=request_type.pk).exists()


# ---------------------------------------------------------------- ratings


def rating_current(ticket: Ticket) -> TicketRating | None:
    """The rating of the ticket's latest resolution, if it was rated (one per resolution)."""
    if ticket.resolved_at is None:
        return None
    return TicketRating.objects.filter(ticket_id=ticket.pk, resolved_at=ticket.resolved_at).first()


def is_rater(user: User | None, ticket: Ticket) -> bool:
    """Who rates an answer: the requester and the people copied on the request, nobody else."""
    if user is None:
        return False
    return ticket.requester_id == user.pk or ticket.watchers.filter(pk=user.pk).exists()


def may_rate(user: User | None, ticket: Ticket, *, current: TicketRating | None = None) -> bool:
    """Whether `user` may rate the ticket now: resolved or closed, not yet rated for this resolution, and
    the user is a rater. `ticket_rate` refuses exactly what this denies; pass `current` (from
    `rating_current`) when the caller already has it, to save its query."""
    if ticket.status.kind not in DONE_KINDS or ticket.resolved_at is None:
        return False
    if current is None:
        current = rating_current(ticket)
    return current is None and is_rater(user, ticket)


def ticket_links(viewer: User, ticket: Ticket) -> QuerySet[TicketLink]:
    """Links in both directions, only to tickets the viewer may see: one query (the API's list, the page)."""
    visible = tickets_visible_to(viewer).values("pk")
    return TicketLink.objects.filter(
        Q(from_ticket=ticket, to_ticket__in=visible) | Q(to_ticket=ticket, from_ticket__in=visible)
    ).select_related("from_ticket", "to_ticket")
