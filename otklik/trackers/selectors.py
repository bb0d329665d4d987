"""Reads of the tracker links. Linked issues belong to the ticket's internal side: only staff who handle
the ticket see them, decided by `access.can_see_internal_on`, the same rule as internal notes."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core import lookups
from otklik.core.errors import NotFound, PermissionDenied
from otklik.tickets.models import Ticket
from otklik.trackers.models import CreateState, IssueRequest, ProfileSource, TicketIssueLink, TrackerConnection

lookups.depends_on("trackers.any_profile_source", ProfileSource)


def any_profile_source() -> bool:
    """Whether a customer profile source is switched on (every ticket page asks); remembered until one
    is saved or deleted."""
    return lookups.remembered("trackers.any_profile_source",
                              lambda: ProfileSource.objects.filter(is_active=True).exists())


def sees_issues(viewer: User | None, ticket: Ticket) -> bool:
    return access.can_see_internal_on(viewer, ticket)


def _ensure_sees(viewer: User | None, ticket: Ticket) -> None:
    if not access.is_visible(viewer, ticket.pk):
        raise NotFound()
    if not sees_issues(viewer, ticket):
        raise PermissionDenied()


def issue_links_for(viewer: User | None, ticket: Ticket) -> QuerySet[TicketIssueLink]:
    """The ticket's linked issues, one query with their issue and connection."""
    _ensure_sees(viewer, ticket)
    return (TicketIssueLink.objects.filter(ticket_id=ticket.pk)
            .select_related("issue__connection", "created_by").order_by("created_at", "id"))


def issue_request_for(viewer: User | None, ticket: Ticket, request_id: int) -> IssueRequest:
    _ensure_sees(viewer, ticket)
    request = IssueRequest.objects.filter(pk=request_id, ticket_id=ticket.pk).first()
    if request is None:
        raise NotFound()
    return request


@dataclass
class IssuePanel:
    links: list[TicketIssueLink]
    requests: list[IssueRequest]
    connections: list[TrackerConnection]
    may_link: bool


def issue_panel(viewer: User, ticket: Ticket) -> IssuePanel:
    links = list(issue_links_for(viewer, ticket))
    requests = list(IssueRequest.objects.filter(ticket_id=ticket.pk).exclude(state=CreateState.DONE)
                    .select_related("connection").order_by("-created_at", "-id"))
    connections = list(TrackerConnection.objects.filter(is_active=True).order_by("name", "id"))
    may_link = bool(viewer.is_superuser or viewer.can_write)
    return IssuePanel(links=links, requests=requests, connections=connections, may_link=may_link)


def issue_draft(viewer: User, ticket: Ticket, *, include_notes: bool) -> tuple[str, str]:
    """Subject and description for a new issue: the conversation the viewer may read, internal notes only
    when asked (and only if the viewer may see them: `messages_visible_to` decides)."""
    _ensure_sees(viewer, ticket)
    messages = access.messages_visible_to(viewer, ticket) if include_notes else access.messages_public_side(
        viewer, ticket)
    messages = messages.select_related("author").order_by("created_at", "id")
    url = settings.OTKLIK_BASE_URL + reverse("ticket", kwargs={"number": ticket.number})
    parts = [_("From Otklik ticket #%(number)s: %(url)s") % {"number": ticket.number, "url": url}]
    for message in messages:
        label = _("Internal note") if message.is_internal else _("Message")
        author = str(message.author) if message.author else _("System")
        parts.append(f"--- {label}, {author}, {message.created_at:%Y-%m-%d %H:%M} ---\n{message.body_text.strip()}")
    return ticket.subject, "\n\n".join(parts)
