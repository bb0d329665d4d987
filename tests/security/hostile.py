"""Hostile payloads and a checker that finds active content in rendered HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Each payload carries the word "xss" so any that survives as active content is easy to spot.
PAYLOADS = (
    '<script>alert("xss-script")</script>',
    '"><img src=x onerror=alert("xss-img")>',
    "'><svg onload=alert('xss-svg')>",
    '<a href="javascript:alert(\'xss-link\')">xss-link</a>',
    '<iframe src="https://evil.example/xss-frame"></iframe>',
    "</textarea></title><script>alert('xss-break')</script>",
    '<body onload=alert("xss-body")>',
    "javascript:alert('xss-scheme')",
)
HTML_PAYLOAD = (
    '<p>Hello <b>there</b></p><script>alert("xss-html")</script><img src="x" onerror="alert(\'xss-html-img\')">'
    '<a href="javascript:alert(1)">xss-js-link</a><iframe src="https://evil.example"></iframe>'
    '<style>body{display:none}</style><form action="https://evil.example"><input name=xss-form></form>'
)
INERT_SCRIPT_TYPES = {"application/json", "application/ld+json", "importmap"}


@dataclass
class ActiveContent(HTMLParser):
    """Collects everything in a page that could run script: the things a strict CSP would also block."""

    inline_scripts: list[str] = field(default_factory=list)
    handlers: list[str] = field(default_factory=list)
    script_urls: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    style_attributes: list[str] = field(default_factory=list)
    _in_script: bool = False
    _script_text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction", "xlink:href", "data"} and value:
                compact = "".join(value.split()).lower()
                if compact.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.script_urls.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
        if tag in {"iframe", "frame", "object", "embed"}:
            self.frames.append(f"<{tag} {values}>")
        if tag == "script" and not values.get("src") and (values.get("type") or "") not in INERT_SCRIPT_TYPES:
            self._in_script = True
            self._script_text = []

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script:
            self.inline_scripts.append("".join(self._script_text)[:200])
            self._in_script = False

    def problems(self, *, allow_style_attributes: bool = True) -> list[str]:
        found = [*(f"inline script: {s}" for s in self.inline_scripts), *self.handlers, *self.script_urls,
                 *self.frames]
        if not allow_style_attributes:
            found += self.style_attributes
        return found


def active_content(html: str, *, allow_style_attributes: bool = True) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.problems(allow_style_attributes=allow_style_attributes)
