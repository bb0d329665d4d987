"""Mail bodies for display: sanitised HTML, text derived from HTML, quoted history and signatures
folded away. Pure Python (nh3 and inscriptis), no Django. The full original stays in the raw message.

No library folds Russian attributions ("пишет:", "написал(а):", Gmail's "пт, 30 окт. 2026 г. в 10:00",
Outlook's "От: / Отправлено:"), so the rules are ours: HTML markers first, then text patterns.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import nh3
from inscriptis import get_text

from otklik.mail.charsets import strip_controls

_MONTHS = (
    r"(?:янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
)
_ATTRIBUTION_PATTERNS = [
    # English clients: "On Mon, Apr 2, 2012 at 6:26 PM, Megan <x@y> wrote:"
    r"^\s*on\b.{0,300}\bwrote:\s*$",
    r"^.{0,300}\bwrote:\s*$",
    # Russian: "Иван Петров пишет:", "… написал(а):", "… написала:"
    r"^.{0,300}\b(?:пишет|написал|написала|написал\(а\)|писал|писала):\s*$",
    # Gmail RU: "пт, 30 окт. 2026 г. в 10:00, Otklik <support@…>:"
    rf"^\s*(?:пн|вт|ср|чт|пт|сб|вс),?\s+\d{{1,2}}\s+{_MONTHS}\S*\s+\d{{4}}\s*г?\.?\s+в\s+\d{{1,2}}:\d{{2}},.*:\s*$",
    # Yandex: '26.06.2014, 14:41, "Alexander L" <abc@example.com>:'
    r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4},?\s+\d{1,2}:\d{2},.*<[^<>@\s]+@[^<>\s]+>:\s*$",
    # Mail.ru: "Среда, 25 июня 2014, 14:31 +04:00 от Иван <ivan@mail.ru>:"
    r"^.{0,200}\d{1,2}:\d{2}.{0,40}\bот\b.{0,120}<[^<>@\s]+@[^<>\s]+>:\s*$",
]
_SEPARATOR_PATTERNS = [
    r"^\s*-{2,}\s*(?:original message|исходное сообщение|оригинальное сообщение)\s*-{2,}\s*$",
    r"^\s*-{2,}\s*(?:reply above this line|отвечайте выше этой строки)\s*-{2,}\s*$",
    r"^\s*_{20,}\s*$",
]
_ATTRIBUTION = [re.compile(pattern, re.IGNORECASE) for pattern in _ATTRIBUTION_PATTERNS]
_SEPARATOR = [re.compile(pattern, re.IGNORECASE) for pattern in _SEPARATOR_PATTERNS]
# Outlook's header block: "From: …" then "Sent:/Date:" (or "От: …" then "Отправлено:/Дата:").
_HEADER_LINE = re.compile(
    r"^\s*\*?(from|sent|date|to|cc|subject|от|отправлено|дата|кому|копия|тема)\s*:\*?(?:\s|$)", re.IGNORECASE
)
_SIGNATURE = re.compile(r"^-- ?$")

# HTML structures mail clients wrap quoted history in.
_HTML_QUOTE_MARKERS = re.compile(
    r"""<(?:div|blockquote|span|table)\b[^>]*(?:class\s*=\s*["'][^"']*\b(?:gmail_quote|gmail_attr|yahoo_quoted|"""
    r"""protonmail_quote|moz-cite-prefix|OutlookMessageHeader|mail-quote|quote-container)\b|"""
    r"""id\s*=\s*["'](?:divRplyFwdMsg|appendonsend|isForwardContent|OLK_SRC_BODY_SECTION|"""
    r"""yahoo_quoted[^"']*)["']|type\s*=\s*["']cite["'])""",
    re.IGNORECASE,
)
_HTML_SEPARATORS = re.compile(
    r"-{2,}\s*(?:original message|исходное сообщение)\s*-{2,}|<hr\b[^>]*>\s*(?:<[^>]+>\s*)*(?:<b>)?\s*(?:from|от)\s*:",
    re.IGNORECASE,
)
_HTML_BLOCKQUOTE = re.compile(r"<blockquote\b", re.IGNORECASE)

_IMG_SRC = re.compile(r"""(\bsrc\s*=\s*)(["']?)(cid:)?([^"'\s>]+)\2""", re.IGNORECASE)


@dataclass(frozen=True)
class Body:
    """What a ticket message shows: the new text, and the folded rest."""

    text: str
    html: str
    quoted_text: str


# ---------------------------------------------------------------- text


def _is_attribution(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if not line or line.startswith(">"):
        return False
    if any(pattern.match(line) for pattern in _ATTRIBUTION):
        return True
    # An attribution wrapped over two lines ("On Mon, … Megan One <x@y>\nwrote:").
    if index + 1 < len(lines):
        tail = lines[index + 1].strip()
        looks_dated = bool(re.match(r"^on\b", line, re.IGNORECASE) or re.search(r"\d{1,2}:\d{2}|@", line))
        if looks_dated and tail.endswith(":") and len(tail) < 80 and not tail.startswith(">"):
            joined = f"{line} {tail}"
            return len(joined) < 400 and any(pattern.match(joined) for pattern in _ATTRIBUTION)
    return False


def _is_header_block(lines: list[str], index: int) -> bool:
    """Outlook-style quoted headers: "From: …" with "Sent:/Date:/To:/Subject:" (or Russian) around it."""
    if not _HEADER_LINE.match(lines[index]):
        return False
    window = [line for line in lines[index : index + 6] if line.strip()]
    if not window:
        return False
    names = [match.group(1).lower() for line in window if (match := _HEADER_LINE.match(line))]
    return len(names) >= 3 and any(name in {"from", "от"} for name in names)


def _quote_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if any(pattern.match(line) for pattern in _SEPARATOR):
            return index
        if _is_header_block(lines, index):
            return index
        if _is_attribution(lines, index) and any(later.strip() for later in lines[index + 1 :]):
            return index
    # A trailing block that is entirely "> " lines (no inline answers after it).
    trailing = None
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].strip()
        if not stripped:
            continue
        if stripped.startswith(">"):
            trailing = index
            continue
        break
    return trailing


def _leading_quote_end(lines: list[str]) -> int:
    """Bottom posting: an attribution and "> " block first, the answer under it."""
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index < len(lines) and _is_attribution(lines, index):
        index += 2 if not lines[index].strip().endswith(":") else 1
    start = index
    while index < len(lines) and (lines[index].lstrip().startswith(">") or not lines[index].strip()):
        index += 1
    if any(line.lstrip().startswith(">") for line in lines[index:]):
        return 0  # answers between quotes: an inline reply, shown as written
    return index if index > start else 0


def split_quoted_text(text: str) -> tuple[str, str]:
    """(the new part, the quoted history and signature) of a plain-text mail body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    leading_end = _leading_quote_end(lines)
    leading = lines[:leading_end]
    lines = lines[leading_end:]
    start = _quote_start(lines)
    reply_lines, quoted_lines = (lines, []) if start is None else (lines[:start], lines[start:])
    # The signature of the new part ("-- " line) is folded too, but only near its end.
    for index in range(len(reply_lines) - 1, max(-1, len(reply_lines) - 16), -1):
        if _SIGNATURE.match(reply_lines[index]):
            quoted_lines = reply_lines[index:] + quoted_lines
            reply_lines = reply_lines[:index]
            break
    reply = "\n".join(reply_lines).strip()
    quoted = "\n".join([*leading, *quoted_lines]).strip()
    if not reply:
        # Everything looked quoted: show it all rather than an empty message.
        return text.strip(), ""
    return reply, quoted


# ---------------------------------------------------------------- HTML


def _html_quote_start(html: str) -> int | None:
    positions = []
    for pattern in (_HTML_QUOTE_MARKERS, _HTML_SEPARATORS):
        match = pattern.search(html)
        if match:
            positions.append(match.start())
    if positions:
        return min(positions)
    # No structure we know: find the attribution or header block in the rendered text, then in the HTML.
    lines = html_to_text(html).split("\n")
    start = _quote_start(lines)
    if start is None or not lines[start].strip() or lines[start].lstrip().startswith(">"):
        return None
    return _line_position(html, lines[start])


def _line_position(html: str, line: str) -> int | None:
    """Where the HTML renders a given text line: its first words, with tags and spaces between them."""
    words = line.split()[:4]
    if not words:
        return None
    gap = r"(?:\s|&nbsp;|&#160;|\u200e|<[^>]*>)*"
    pattern = gap.join(re.escape(html_lib.escape(word, quote=False)) for word in words)
    match = re.search(pattern, html)
    if match is None:
        return None
    position = match.start()
    # Step back over the opening tags right before the words, so the cut starts a whole element.
    while True:
        preceding = re.search(r"<[a-zA-Z][^<>]*>\s*$", html[:position])
        if preceding is None:
            return position
        position = preceding.start()


def split_quoted_html(html: str) -> tuple[str, str]:
    start = _html_quote_start(html)
    if start is None or not get_text(html[:start]).strip():
        return html, ""
    return html[:start], html[start:]


def sanitize_mail_html(html: str, cid_urls: Mapping[str, str], *, allow_remote_images: bool = False) -> str:
    """Scripts, handlers and forms dropped; cid: images pointed at our attachment URLs; remote images
    (tracking pixels) blocked unless allowed."""
    if not html.strip():
        return ""
    lowered = {key.lower(): value for key, value in cid_urls.items()}

    def to_url(match: re.Match[str]) -> str:
        url = lowered.get(match.group(4).strip("<>").lower())
        return f'{match.group(1)}"{url}"' if url else match.group(0)

    ours = set(lowered.values())
    # Before sanitizing: nh3 drops the unknown "cid:" scheme (and Outlook sometimes omits it).
    html = _IMG_SRC.sub(to_url, html) if lowered else html

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            candidate = value.strip()
            if candidate.lower().startswith("cid:"):
                candidate = candidate[4:]
            if candidate in ours:
                return candidate
            url = lowered.get(candidate.strip("<>").lower())
            if url is not None:
                return url
            if re.match(r"^(?:https?:)?//", candidate, re.IGNORECASE):
                return value if allow_remote_images else None
            return None
        return value

    cleaned = nh3.clean(
        strip_controls(html),
        clean_content_tags={"script", "style", "title", "head"},
        attribute_filter=rewrite,
        link_rel="noopener noreferrer nofollow",
        url_schemes={"http", "https", "mailto", "tel"},
    )
    return str(cleaned)


def html_to_text(html: str) -> str:
    try:
        text = get_text(html)
    except Exception:  # inscriptis is robust, but a body must never stop the pipeline
        text = re.sub(r"<[^>]+>", " ", html)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join(
        "<p>" + html_lib.escape(paragraph).replace("\n", "<br>") + "</p>" for paragraph in paragraphs if paragraph
    )


def fold(visible_html: str, quoted_html: str, *, label: str) -> str:
    if not quoted_html.strip():
        return visible_html
    return (
        f'{visible_html}<details class="otklik-quoted"><summary>{html_lib.escape(label)}</summary>'
        f"{quoted_html}</details>"
    )


def build_body(
    *, text: str, html: str, cid_urls: Mapping[str, str], quoted_label: str, allow_remote_images: bool = False
) -> Body:
    """The stored body of a ticket message: new text (for search, notifications), display HTML with the
    history folded under a <details> element."""
    if html.strip():
        visible_raw, quoted_raw = split_quoted_html(html)
        visible_html = sanitize_mail_html(visible_raw, cid_urls, allow_remote_images=allow_remote_images)
        quoted_html = sanitize_mail_html(quoted_raw, cid_urls, allow_remote_images=allow_remote_images)
        visible_text = html_to_text(visible_html)
        if not visible_text and "<img" not in visible_html:
            visible_html, quoted_html = quoted_html, ""
            visible_text = html_to_text(visible_html)
        quoted_text = html_to_text(quoted_html) if quoted_html else ""
        if not quoted_html and text.strip():
            # The HTML had no quote marker we know; the text part may still carry an attribution.
            new_text, rest = split_quoted_text(text)
            if rest:
                return Body(text=new_text, html=fold(text_to_html(new_text), text_to_html(rest), label=quoted_label),
                            quoted_text=rest)
        return Body(text=visible_text or text.strip(), html=fold(visible_html, quoted_html, label=quoted_label),
                    quoted_text=quoted_text)
    new_text, rest = split_quoted_text(text)
    return Body(text=new_text, html=fold(text_to_html(new_text), text_to_html(rest), label=quoted_label),
                quoted_text=rest)
