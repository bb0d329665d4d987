"""Template helpers for showing untrusted content safely.

`{{ message.body_html|safe_html }}` is the only way HTML written by users or received by email reaches a
page: it is cleaned again at render time (the stored copy was cleaned on the way in, but rules tighten and
rows can come from elsewhere). Never use `|safe` on user content.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from otklik.core.text import sanitize_html

register = template.Library()


@register.filter(name="safe_html", is_safe=True)
def safe_html(value: object) -> SafeString:
    return mark_safe(sanitize_html(str(value or "")))  # noqa: S308 - cleaned by nh3 just above
