"""The agent's timeline items (messages and history lines) as HTML, built in Python (issue #16, ticket page
round 2): the page renders them on every view, and the template engine spent more CPU on the per-message
nodes (translations, `{% url %}`s, filters, an include per message) than the page's queries took.

Every value is escaped with `_e` (what the template engine's autoescape does); the message body is the
one rule of `otklik_messages.message_body`, the history line `otklik_web.event_text`, a reply's mail
delivery the template `web/includes/delivery.html`. The HTML is what `web/agent/ticket.html`'s loop
rendered before, but for the whitespace between tags (tests/web/test_ticket_timeline_html.py)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from otklik.tickets.models import Message, Ticket, TicketEvent
from otklik.tickets.templatetags.otklik_messages import message_body

# A number no real id reaches: reversed once, then replaced by each message's id (as the queue's rows do).
_URL_ID = 987654321987


class TimelineEntry(Protocol):
    message: Message | None
    event: TicketEvent | None


def _e(value: object) -> str:
    """Escaped as the template engine escapes a variable (Django's `escape` is `html.escape` of its text)."""
    return html.escape(str(value))


def _n(value: int) -> str:
    """An integer as `{{ value }}` writes it (localised)."""
    return _e(formats.localize(value))


def time_tag(value: datetime | None, css: str = "") -> str:
    """What `<time datetime="{{ v|date:'c' }}">{{ v|date:"SHORT_DATETIME_FORMAT" }}</time>` renders (the
    "c" format is `isoformat()` of the local time)."""
    attrs = f' class="{css}"' if css else ""
    if value is None:
        return f'<time{attrs} datetime=""></time>'
    if settings.USE_TZ and timezone.is_aware(value):
        value = timezone.localtime(value)
    return (f'<time{attrs} datetime="{_e(value.isoformat())}">'
            f'{_e(formats.date_format(value, "SHORT_DATETIME_FORMAT"))}</time>')


class _Words:
    """The page's fixed words, translated once per call (the active language), escaped."""

    def __init__(self) -> None:
        self.note = _e(_("Internal note"))
        self.public = _e(_("Public message"))
        self.note_badge = _e(_("Internal note — not visible to the requester"))
        self.requester = _e(_("Requester"))
        self.reply = _e(_("Public reply"))
        self.system = _e(_("System"))
        self.draft = _e(_("Make a draft article"))
        self.cc = _e(_("Cc"))


def _files(message: Message, preview_types: Sequence[str]) -> str:
    # `has_files`: the timeline's read knows which messages have any, and read the files of those only.
    files = list(message.attachments.all()) if getattr(message, "has_files", True) else []
    if not files:
        return ""
    items = []
    for file in files:
        url = _e(reverse("attachment", kwargs={"token": file.token}))
        name = _e(file.filename)
        preview = (f'<a href="{url}" class="d-block mt-1"><img class="attachment-preview" src="{url}" alt="{name}"'
                   f' loading="lazy"></a>' if file.content_type in preview_types else "")
        items.append(f'<li class="list-inline-item"><a href="{url}"><i class="bi bi-paperclip" aria-hidden="true">'
                     f'</i> {name}</a> <span class="text-body-secondary">({_e(filesizeformat(file.size))})</span>'
                     f'{preview}</li>')
    return f'\n<ul class="list-inline mb-0 mt-2 small">{"".join(items)}</ul>\n'


def _message(message: Message, ticket: Ticket, words: _Words, page: dict[str, Any]) -> str:
    from otklik.web.templatetags.otklik_web import source_label

    internal, asked = message.is_internal, message.author_id == ticket.requester_id
    item_class = "timeline-note" if internal else "timeline-reply" + (" timeline-requester" if asked else "")
    if internal:
        badge = (f'<span class="badge text-bg-warning"><i class="bi bi-lock-fill" aria-hidden="true"></i> '
                 f'{words.note_badge}</span>')
    elif asked:
        badge = (f'<span class="badge text-bg-light border"><i class="bi bi-person" aria-hidden="true"></i> '
                 f'{words.requester}</span>')
    else:
        badge = (f'<span class="badge text-bg-primary"><i class="bi bi-reply" aria-hidden="true"></i> '
                 f'{words.reply}</span>')
    author = _e(message.author) if message.author else words.system
    channel = (f'<span class="text-body-secondary" data-channel>{_e(source_label(message.channel))}</span>'
               if asked or message.channel != "web" else "")
    delivery = getattr(message, "delivery", None)
    delivered = f'<span class="small">{page["delivery"](delivery)}</span>' if delivery else ""
    draft = (f'<form method="post" action="{page["draft_url"].replace(str(_URL_ID), str(message.pk))}">'
             f'{page["csrf_input"]}<button class="btn btn-link btn-sm p-0" type="submit">{words.draft}</button></form>'
             if not internal and not asked else "")
    cc = (f'<p class="small text-body-secondary mb-0 mt-1" data-message-cc>{words.cc}: '
          f'{", ".join(_e(address) for address in message.cc)}</p>' if message.cc else "")
    formatted = " message-formatted" if message.markdown else ""
    return (
        f'<li class="timeline-item {item_class}" id="m{_n(message.pk)}">\n'
        f'<article class="card mb-2 {"border-warning note-card" if internal else ""}"'
        f' aria-label="{words.note if internal else words.public}">\n'
        f'<div class="card-header d-flex flex-wrap gap-2 align-items-center py-1 small">\n{badge}\n'
        f'<strong>{author}</strong>\n{channel}\n{delivered}\n'
        f'{time_tag(message.created_at, "ms-auto text-body-secondary")}\n{draft}\n</div>\n'
        f'<div class="card-body py-2">\n'
        f'<div class="message-body{formatted}">{message_body(message)}</div>{cc}\n'
        f'{_files(message, page["preview_types"])}</div>\n</article>\n</li>\n'
    )


def _event(event: TicketEvent, names: dict[str, Any]) -> str:
    from otklik.web.templatetags.otklik_web import event_text

    data = event.data if isinstance(event.data, dict) else {}
    via = data.get("via")
    via_name = via.get("name") if isinstance(via, dict) else None
    return (
        '<li class="timeline-event small text-body-secondary mb-2">\n'
        '<i class="bi bi-clock-history" aria-hidden="true"></i>\n'
        f'{time_tag(event.created_at)}\n'
        f'— {_e(event_text(event, names))}{f" · {_e(event.actor)}" if event.actor else ""}'
        f'{f" · {_e(via_name)}" if via_name else ""}\n</li>\n'
    )


def timeline_items(items: Sequence[TimelineEntry], *, ticket: Ticket, names: dict[str, Any], csrf_token: str,
                   preview_types: Sequence[str], delivery: Callable[[Any], str]) -> str:
    """The items' HTML, oldest first; `delivery` renders one reply's mail delivery (its template)."""
    csrf_input = (f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf_token)}">'
                  if csrf_token and csrf_token != "NOTPROVIDED" else "")  # noqa: S105 - Django's marker, no secret
    page: dict[str, Any] = {
        "draft_url": _e(reverse("knowledge:draft_from_message", kwargs={"message_id": _URL_ID})),
        "csrf_input": csrf_input, "preview_types": preview_types or (), "delivery": delivery,
    }
    words = _Words()
    parts = []
    for item in items:
        if item.message is not None:
            parts.append(_message(item.message, ticket, words, page))
        elif item.event is not None:
            parts.append(_event(item.event, names))
    return "".join(parts)
