from __future__ import annotations

from typing import Any

from django import template

from otklik.sla.selectors import humanize_seconds

register = template.Library()


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as words (`2 h 10 min`), or a dash when there is nothing to average."""
    if seconds is None or seconds == "":
        return "—"
    return humanize_seconds(float(seconds))


@register.filter
def percent(share: Any) -> str:
    if share is None:
        return "—"
    return f"{100 * float(share):.1f} %"
