"""The article picker beside the agent's reply box (rendered with the page, so app.js wires it up)."""

from __future__ import annotations

from typing import Any

from django import template

from otklik.accounts.models import User
from otklik.knowledge.selectors import articles_visible_to
from otklik.notifications.rendering import language_of

register = template.Library()
PICKER_SIZE = 200


@register.inclusion_tag("knowledge/picker.html", takes_context=True)
def kb_picker(context: dict[str, Any], target: str = "reply-body") -> dict[str, Any]:
    user = context["request"].user
    viewer = user if isinstance(user, User) else None
    articles = list(articles_visible_to(viewer).order_by("title_en", "id")[:PICKER_SIZE])
    # The text goes into a reply to the requester: in their language, like the canned replies.
    ticket = context.get("ticket")
    requester = getattr(ticket, "requester", None)
    language = language_of(requester) if isinstance(requester, User) else (viewer.language if viewer else "")
    return {"articles": articles, "target": target, "language": language or ""}
