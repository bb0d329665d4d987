"""`{% sla_badge ticket %}` for lists and `{% sla_panel ticket %}` for the ticket page.

The badge costs no query: it reads the clocks `selectors.attach_clocks(page)` prefetched, or
only `ticket.sla_next_due_at` when the page did not prefetch them.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext

from otklik.accounts.access import handles
from otklik.sla import selectors
from otklik.sla.ledger import humanize_working
from otklik.sla.models import ClockEventKind, SlaClock
from otklik.tickets.models import Ticket

register = template.Library()

_RANK = {"late": 0, "due_soon": 1, "running": 2, "paused": 3, "met": 4, "cancelled": 5}


@register.inclusion_tag("sla/badge.html", takes_context=True)
def sla_badge(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    now = context.get("now") or timezone.now()
    clocks: list[SlaClock] | None = getattr(ticket, "sla_clock_list", None)
    status = ""
    due = ticket.sla_next_due_at
    if clocks is not None:
        open_clocks = [clock for clock in clocks if clock.state in (selectors.RUNNING, selectors.PAUSED)]
        statuses = sorted((selectors.clock_status(clock, now) for clock in open_clocks), key=_RANK.__getitem__)
        status = statuses[0] if statuses else ""
        if status == "late":
            late_dues = [c.due_at for c in open_clocks
                         if c.due_at is not None and selectors.clock_status(c, now) == "late"]
            due = min(late_dues, default=due)
    elif due is not None:
        status = "late" if due < now else "running"
    text, past = selectors.countdown(due, now)
    return {"status": status, "due": due, "countdown": text, "past": past, "ticket": ticket}


_BADGE_CLASSES = {"late": "text-bg-danger", "due_soon": "text-bg-warning", "paused": "text-bg-secondary"}


def sla_badge_html(status: str, due: datetime | None, countdown: str) -> str:
    """What `sla/badge.html` renders for `sla_badge`'s answer (translations of literal texts unescaped, as the
    template engine leaves them; values escaped), written in Python for lists: the queue page
    shows 50 badges on every reload, and the template engine's context and nodes cost more per badge than
    the badge itself (issue #16, queue page round 3). The template stays the reference
    (`tests/sla/test_badge_html.py` requires the same HTML for every state, in English and Russian)."""
    if not status:
        return ""
    css = _BADGE_CLASSES.get(status, "text-bg-light border")
    title = ""
    if due:
        shown = timezone.localtime(due) if timezone.is_aware(due) else due
        title = (f' title="{gettext("SLA due")} '
                 f'{html.escape(formats.date_format(shown, "Y-m-d H:i T"))}"')
    if status == "late":
        text = (gettext("late by %(countdown)s") % {"countdown": html.escape(countdown)} if countdown
                else gettext("late"))
    elif status == "paused":
        text = f'<i class="bi bi-pause-circle" aria-hidden="true"></i> {gettext("SLA paused")}'
    elif countdown:
        text = gettext("due in %(countdown)s") % {"countdown": html.escape(countdown)}
    else:
        text = ""
    return (f'<span class="badge sla-badge {css}" data-sla-status="{html.escape(status)}"{title}>'
            f"{text}</span>")


@register.inclusion_tag("sla/panel.html", takes_context=True)
def sla_panel(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The clocks of one ticket (state, due time in the viewer's zone, working time left): staff only."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    now = timezone.now()
    if viewer is None or not handles(viewer, ticket):
        return {"details": [], "ticket": ticket}
    clocks = SlaClock.objects.filter(ticket=ticket).exclude(state=selectors.CANCELLED).select_related("policy")
    # one line per metric: its current cycle (each requester message may start a next-reply cycle)
    latest = {clock.metric: clock for clock in clocks.order_by("metric", "cycle")}
    details = []
    for clock in latest.values():
        status = selectors.clock_status(clock, now)
        late_by = selectors.late_by_seconds(clock, now) if status == "late" else None
        details.append({"clock": clock, "status": status, "late_by": late_by,
                        "remaining": None if late_by is not None else selectors.remaining_business_seconds(clock, now)})
    return {"details": details, "ticket": ticket, "viewer_zone": selectors.viewer_zone(viewer)}


@register.filter
def duration(seconds: int | None) -> str:
    return selectors.humanize_seconds(seconds)


@register.filter
def working(seconds: int | None, day_seconds: int) -> str:
    """Working time in the schedule's working days, e.g. `2 wd 3 h`."""
    return humanize_working(seconds, day_seconds)


_EVENT_LABELS = dict(ClockEventKind.choices)


@register.simple_tag
def clock_event_label(kind: str) -> str:
    return str(_EVENT_LABELS.get(kind, kind))
