"""How a message's body is shown, the same in the workspace, the portal and the reply mail's HTML part.

A formatted (Markdown) reply is rendered and sanitised at render time, from its text; mail that arrived as
HTML is sanitised again; plain text keeps its line breaks. Never `|safe` on a message body.

The rendered Markdown is remembered per process by its text (`formatted_html`): the ticket page shows
the same replies on every view, and rendering plus cleaning one costs ~0.3 ms. Keyed by the text itself,
an edited text is rendered anew; nothing to invalidate."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from otklik.core.text import markdown_to_html, sanitize_html
from otklik.tickets.models import Message

register = template.Library()

# Texts longer than this are rendered every time: the memory stays bounded (at most ~512 × 2 × 16 KB).
REMEMBERED_TEXT_CHARS = 16_000


@lru_cache(maxsize=512)
def _remembered_markdown(text: str) -> str:
    return markdown_to_html(text, breaks=True)


def formatted_html(text: str) -> str:
    """A formatted message's text as cleaned HTML (Markdown with line breaks, then the shared sanitiser)."""
    if len(text) > REMEMBERED_TEXT_CHARS:
        return markdown_to_html(text, breaks=True)
    return _remembered_markdown(text)


@register.filter(name="message_html", is_safe=True)
def message_html(message: Message) -> SafeString:
    """The body as HTML for a mail's HTML part: Markdown rendered, mail HTML cleaned, text in paragraphs."""
    if message.markdown:
        return mark_safe(formatted_html(message.body_text))  # noqa: S308 - nh3 cleaned it
    if message.body_html:
        return mark_safe(sanitize_html(message.body_html))  # noqa: S308 - cleaned by nh3 just above
    return mark_safe(linebreaks(message.body_text, autoescape=True))  # noqa: S308 - escaped by linebreaks


@register.filter(name="message_body", is_safe=True)
def message_body(message: Message) -> SafeString:
    """The body on a page: Markdown rendered and cleaned; anything else as its text with line breaks
    (pages have always shown the text of mail, not its HTML)."""
    if message.markdown:
        return mark_safe(formatted_html(message.body_text))  # noqa: S308 - nh3 cleaned it
    return linebreaksbr(message.body_text, autoescape=True)
