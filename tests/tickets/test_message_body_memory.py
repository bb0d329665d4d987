"""A formatted message's HTML is remembered by its text: rendered once, and anew when the text changes."""

from __future__ import annotations

from otklik.core.text import markdown_to_html
from otklik.tickets.models import Message
from otklik.tickets.templatetags import otklik_messages


def test_the_same_text_is_rendered_once_and_an_edited_one_anew(monkeypatch) -> None:
    rendered: list[str] = []

    def counting(text: str, *, breaks: bool = False) -> str:
        rendered.append(text)
        return markdown_to_html(text, breaks=breaks)

    monkeypatch.setattr(otklik_messages, "markdown_to_html", counting)
    otklik_messages._remembered_markdown.cache_clear()
    message = Message(markdown=True, body_text="**one** <script>x</script>", body_html="")  # not saved
    first = otklik_messages.message_body(message)
    assert otklik_messages.message_body(message) == first == markdown_to_html(message.body_text, breaks=True)
    assert "<script>" not in first and rendered == [message.body_text]
    message.body_text = "**two**"  # an edit: another text, another entry
    assert "two" in otklik_messages.message_body(message) and len(rendered) == 2
    long_text = "x" * (otklik_messages.REMEMBERED_TEXT_CHARS + 1)  # too long to keep: rendered each time
    otklik_messages.formatted_html(long_text)
    otklik_messages.formatted_html(long_text)
    assert len(rendered) == 4
