"""Text helpers shared by every channel: HTML sanitising and safe file names."""

from __future__ import annotations

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Raw HTML off: what people type is text and Markdown, never markup; nh3 cleans the output anyway.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
# Replies keep the writer's line breaks, as a plain-text reply would show them.
_MARKDOWN_BREAKS = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, handlers and remote-content tricks."""
    if not html:
        return ""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def markdown_to_html(text: str, *, breaks: bool = False) -> str:
    """Markdown to HTML, cleaned by the shared sanitiser: knowledge articles and formatted replies use it."""
    if not text:
        return ""
    return sanitize_html((_MARKDOWN_BREAKS if breaks else _MARKDOWN).render(text))


def safe_filename(name: str, *, fallback: str = "attachment") -> str:
    """A display name that cannot climb directories or carry control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().lstrip(".")
    return name[:200] or fallback
