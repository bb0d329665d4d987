"""Reads the API needs beyond tickets.selectors, each rooted in the access module's visibility."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from otklik.accounts import access
from otklik.accounts.access import can_see_internal
from otklik.accounts.models import Organization, Team, User
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import (
    Attachment,
    Category,
    CustomField,
    Priority,
    RequestType,
    Status,
    Ticket,
)


def ticket_for(viewer: User, number: int) -> Ticket:
    """Tickets are addressed by their number, the one people see; absent and forbidden are both 404."""
    return ticket_selectors.ticket_get_by_number_for(viewer, number)


def ticket_attachments(viewer: User, ticket: Ticket) -> QuerySet[Attachment]:
    return access.attachments_visible_to(viewer, ticket)


def attachment_for(viewer: User, token: str) -> Attachment:
    return access.attachment_get_for(viewer, token)


def staff_ticket_ids(viewer: User, ticket_ids: list[int]) -> set[int]:
    """Of these tickets, those the viewer sees as staff (with internal fields): one query for a page."""
    if not ticket_ids or not access.can_see_internal(viewer):
        return set()
    return set(access.tickets_handled_by(viewer).filter(pk__in=ticket_ids).values_list("pk", flat=True))


def users_visible_to(viewer: User) -> QuerySet[User]:
    """Staff look people up to open tickets for them; a requester sees only themselves."""
    users = User.objects.select_related("organization")
    if can_see_internal(viewer):
        return users
    return users.filter(pk=viewer.pk)


def organizations_visible_to(viewer: User) -> QuerySet[Organization]:
    if can_see_internal(viewer):
        return Organization.objects.all()
    return (
        Organization.objects.filter(pk=viewer.organization_id)
        if viewer.organization_id
        else (Organization.objects.none())
    )


def teams_visible_to(viewer: User) -> QuerySet[Team]:
    return Team.objects.all() if can_see_internal(viewer) else Team.objects.none()


def statuses() -> QuerySet[Status]:
    return Status.objects.filter(is_active=True)


def priorities() -> QuerySet[Priority]:
    return Priority.objects.all()


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def request_types_for(viewer: User) -> QuerySet[RequestType]:
    """Active request types the viewer may submit (tickets.selectors' one submit rule), with their fields."""
    return (
        ticket_selectors.request_types_submittable(viewer)
        .select_related("default_priority")
        .prefetch_related(Prefetch("fields", queryset=CustomField.objects.order_by("order", "id")))
    )
