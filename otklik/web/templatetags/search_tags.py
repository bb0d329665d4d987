"""The search page's result row, written in Python: its template's nodes, 50 rows a page, took a fifth of the
page's CPU. tests/web/test_search_hit_row.py holds the HTML equal to the row's template form."""

from __future__ import annotations

from django import template
from django.template.base import render_value_in_context
from django.template.context import Context
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # (not in the stubs)
from django.utils.translation import gettext

from otklik.search.selectors import Hit
from otklik.tickets.models import Ticket
from otklik.web.templatetags.otklik_web import priority_badge, status_badge

register = template.Library()

_ROW = (
    '<li class="card mb-2"><div class="card-body py-2">\n'
    '        <a class="fw-semibold" href="{}">#{} {}</a>\n'
    "        {} {}\n"
    '        <span class="small text-body-secondary">· {} · {}</span>\n'
    '        <p class="mb-0 small snippet">{}{}</p>\n'
    "      </div></li>"
)
_NOTE = ('<span class="badge text-bg-warning"><i class="bi bi-lock-fill" aria-hidden="true"></i> {}</span> ')


@register.simple_tag(takes_context=True)
def search_hit(context: Context, hit: Hit, ticket: Ticket) -> SafeString:
    """One found ticket: link, badges, requester, last change and the matching text (marked as a note's)."""
    def shown(value: object) -> str:  # what `{{ value }}` prints: localized, escaped
        return render_value_in_context(value, context)

    changed = date_filter(template_localtime(ticket.updated_at, context.use_tz), "SHORT_DATETIME_FORMAT")
    note = format_html(_NOTE, gettext("Internal note")) if hit.in_note else ""
    return format_html(
        _ROW, reverse("ticket", args=[ticket.number]), shown(ticket.number), shown(ticket.subject),
        status_badge(ticket.status), priority_badge(ticket.priority), shown(ticket.requester), shown(changed),
        note, hit.snippet,
    )
