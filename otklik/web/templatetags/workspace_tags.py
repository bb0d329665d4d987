"""Panels of the agent's ticket page that fetch their own rows: the macro buttons and the tags."""

from __future__ import annotations

from typing import Any

from django import template

from otklik.accounts.access import handles
from otklik.accounts.models import User
from otklik.automation.macros import macro_summary, macros_offered_to
from otklik.tickets.models import Ticket
from otklik.tickets.tags import tags_in_use

register = template.Library()

# Suggestions offered while typing a tag: the most common words, not the whole vocabulary.
SUGGESTED_TAGS = 200


def _viewer(context: template.Context) -> User | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None


def _may_act(viewer: User) -> bool:
    return viewer.is_active and (viewer.is_superuser or viewer.can_write)


def tag_panel_context(viewer: User, ticket: Ticket, *, error: str = "") -> dict[str, Any]:
    return {
        "ticket": ticket,
        "tags": list(ticket.tags.all()),
        "suggestions": list(tags_in_use().values_list("name", flat=True)[:SUGGESTED_TAGS]),
        "can_act": _may_act(viewer),
        "error": error,
    }


@register.inclusion_tag("web/agent/tag_panel.html", takes_context=True)
def tag_panel(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    viewer = _viewer(context)
    if viewer is None or not handles(viewer, ticket):
        return {"ticket": None}
    return {
        **tag_panel_context(viewer, ticket),
        "csrf_token": context.get("csrf_token"),
        "list_param": context.get("list_param", ""),
    }


@register.inclusion_tag("web/agent/macro_panel.html", takes_context=True)
def macro_panel(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The macros this agent may apply here (none for read-only staff: they change nothing)."""
    viewer = _viewer(context)
    if viewer is None or not _may_act(viewer) or not handles(viewer, ticket):
        return {"ticket": None}
    return {
        "ticket": ticket,
        "macros": [(macro, macro_summary(macro)) for macro in macros_offered_to(viewer)],
        "csrf_token": context.get("csrf_token"),
        "list_param": context.get("list_param", ""),
    }
