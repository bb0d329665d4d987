"""Text helpers shared by every channel: HTML sanitising and safe file names."""

from __future__ import annotations

import re
import unicodedata

import nh3

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, handlers and remote-content tricks."""
    if not html:
        return ""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def safe_filename(name: str, *, fallback: str = "attachment") -> str:
    """A display name that cannot climb directories or carry control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().lstrip(".")
    return name[:200] or fallback
