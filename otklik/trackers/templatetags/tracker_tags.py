"""The ticket page's tracker panel and customer-profile slot, as tags so the page template changes by a line."""

from __future__ import annotations

from typing import Any

from django import template

from otklik.accounts.models import User
from otklik.tickets.models import Ticket
from otklik.trackers import selectors

register = template.Library()


def _viewer(context: template.Context) -> User | None:
    viewer = getattr(context.get("request"), "user", None)
    return viewer if isinstance(viewer, User) else None


@register.inclusion_tag("trackers/panel.html", takes_context=True)
def tracker_panel(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """Linked issues with their last known status, assignee and link; nothing for who may not see them."""
    viewer = _viewer(context)
    if viewer is None or not selectors.sees_issues(viewer, ticket):
        return {"panel": None, "ticket": ticket}
    return {"panel": selectors.issue_panel(viewer, ticket), "ticket": ticket,
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("trackers/profile_slot.html", takes_context=True)
def customer_profile_slot(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """A slot the profile fills in after the page loads (HTMX), so a slow CRM never holds the page."""
    viewer = _viewer(context)
    shown = viewer is not None and selectors.sees_issues(viewer, ticket) and selectors.any_profile_source()
    return {"shown": shown, "ticket": ticket}
