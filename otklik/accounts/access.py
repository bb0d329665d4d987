"""The one place that decides who may see and do what with tickets.

Every page, API endpoint, search, export, report, download, notification and bot answer starts from
`tickets_visible_to` and `messages_visible_to`; services call `ensure_can` before they write.
Absent and forbidden raise the same NotFound, so ticket ids cannot be probed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.apps import apps
from django.db.models import Q, QuerySet

from otklik.accounts.models import Role, TeamKind, User
from otklik.core.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from otklik.tickets.models import Message, Ticket

Action = Literal[
    "view", "reply", "note", "change", "assign", "merge", "close", "reopen", "watch", "link", "rate"
]

# What a requester may do on a ticket they can see; staff who may write can do everything.
REQUESTER_ACTIONS: frozenset[str] = frozenset({"view", "reply", "close", "reopen", "rate"})


def _ticket_model() -> type[Ticket]:
    # Resolved at call time: accounts sits below tickets in the layering.
    return apps.get_model("tickets", "Ticket")  # type: ignore[return-value]


def _watched_ids(user: User) -> QuerySet[Ticket, int]:
    through = _ticket_model().watchers.through
    return through.objects.filter(user_id=user.pk).values("ticket_id")  # type: ignore[return-value]


def tickets_visible_to(viewer: User | None) -> QuerySet[Ticket]:
    tickets = _ticket_model().objects.all()
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return tickets.none()
    if viewer.is_superuser or viewer.role == Role.ADMIN:
        return tickets
    if viewer.role == Role.REQUESTER:
        own = Q(requester_id=viewer.pk) | Q(pk__in=_watched_ids(viewer))
        if viewer.organization_id is not None and viewer.organization and viewer.organization.shares_tickets:
            own |= Q(organization_id=viewer.organization_id)
        return tickets.filter(own)
    # Staff: agents, managers and auditors see their teams' work.
    if viewer.role == Role.AGENT and viewer.only_assigned_to_me:
        return tickets.filter(assignee_id=viewer.pk)
    team_ids = list(viewer.teams.values_list("pk", "kind"))
    scope = Q(assignee_id=viewer.pk) | Q(pk__in=_watched_ids(viewer)) | Q(team_id__in=[pk for pk, _ in team_ids])
    if any(kind == TeamKind.FIRST_LINE for _, kind in team_ids) or viewer.role == Role.MANAGER:
        # Tickets not yet routed to any team wait in the first line's queue.
        scope |= Q(team__isnull=True)
    return tickets.filter(scope)


def messages_visible_to(viewer: User | None, ticket: Ticket) -> QuerySet[Message]:
    messages = ticket.messages.all()
    if viewer is None or not viewer.is_authenticated:
        return messages.none()
    if viewer.is_staff_member or viewer.is_superuser:
        return messages
    return messages.filter(is_internal=False)


def can_see_internal(viewer: User | None) -> bool:
    return bool(viewer and viewer.is_authenticated and (viewer.is_staff_member or viewer.is_superuser))


def is_visible(viewer: User | None, ticket_id: int) -> bool:
    return tickets_visible_to(viewer).filter(pk=ticket_id).exists()


def ensure_can(actor: User | None, action: Action, ticket: Ticket) -> None:
    """Raise NotFound when the actor may not see the ticket, PermissionDenied when they may not act.

    `actor=None` is the system itself (jobs, automation): always allowed.
    """
    if actor is None:
        return
    if not is_visible(actor, ticket.pk):
        raise NotFound()
    if actor.is_superuser or actor.can_write:
        return
    if actor.role == Role.REQUESTER and action in REQUESTER_ACTIONS:
        return
    raise PermissionDenied()


def ensure_staff_writer(actor: User | None) -> None:
    if actor is not None and not (actor.is_superuser or actor.can_write):
        raise PermissionDenied()
