"""Panels of the agent's ticket page that fetch their own rows: the macro buttons and the tags."""

from __future__ import annotations

from typing import Any

from django import template

from otklik.accounts.access import handles
from otklik.accounts.models import User
from otklik.automation.macros import macro_summary, macros_offered_to
from otklik.automation.models import Macro
from otklik.tickets.models import Ticket
from otklik.tickets.selectors import attach_configuration
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


# A macro's summary names what it sets; those rows come from the remembered configuration, not a join.
MACRO_CONFIGURATION = {"set_status": "status", "set_priority": "priority", "set_category": "category",
                       "set_team": "team"}


def _macros_summarised(viewer: User) -> list[Macro]:
    """The macros `viewer` is offered (automation.macros' rule) with what `macro_summary` reads: the person
    joined, the configuration attached from the cache (a 9-table join costs PostgreSQL more to plan than
    to run, on every ticket page), the tags prefetched."""
    macros = list(macros_offered_to(viewer).select_related(None).select_related("assignee"))
    attach_configuration(macros, MACRO_CONFIGURATION)
    return macros


@register.inclusion_tag("web/agent/macro_panel.html", takes_context=True)
def macro_panel(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The macros this agent may apply here (none for read-only staff: they change nothing)."""
    viewer = _viewer(context)
    if viewer is None or not _may_act(viewer) or not handles(viewer, ticket):
        return {"ticket": None}
    return {
        "ticket": ticket,
        "macros": [(macro, macro_summary(macro)) for macro in _macros_summarised(viewer)],
        "csrf_token": context.get("csrf_token"),
        "list_param": context.get("list_param", ""),
    }
