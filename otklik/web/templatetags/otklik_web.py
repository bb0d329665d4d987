"""Template helpers: badges, plain-words statuses for requesters, history lines, list URLs."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from otklik.accounts.access import person_label
from otklik.accounts.models import User
from otklik.tickets.models import EventKind, LinkKind, Priority, Source, Status, StatusKind, Ticket, TicketEvent
from otklik.web.renderers import shown

register = template.Library()

PRIORITY_CLASSES = {"red": "text-bg-danger", "yellow": "text-bg-warning", "green": "text-bg-success"}
STATUS_CLASSES: dict[str, str] = {
    StatusKind.NEW: "text-bg-primary",
    StatusKind.OPEN: "text-bg-info",
    StatusKind.WAITING_CUSTOMER: "text-bg-warning",
    StatusKind.ON_HOLD: "text-bg-secondary",
    StatusKind.RESOLVED: "text-bg-success",
    StatusKind.CLOSED: "text-bg-dark",
}


@register.simple_tag
def priority_badge(priority: Priority) -> SafeString:
    css = PRIORITY_CLASSES.get(priority.color, "text-bg-light")
    return format_html('<span class="badge {} prio-{}">{}</span>', css, priority.color, priority.label)


@register.simple_tag
def status_badge(status: Status) -> SafeString:
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASSES.get(status.kind, "text-bg-light"),
                       status.label)


def plain_status_text(kind: str, *, rated: bool = False) -> str:
    """What a status means to the person who asked, in plain words (a rated answer asks no more)."""
    if kind == StatusKind.RESOLVED and rated:
        return str(_("Solved — thank you for rating the answer"))
    texts: dict[str, str] = {
        StatusKind.NEW: _("Received — waiting for a support agent"),
        StatusKind.OPEN: _("In progress — support is working on it"),
        StatusKind.WAITING_CUSTOMER: _("Waiting for your answer"),
        StatusKind.ON_HOLD: _("On hold — waiting for something outside our team"),
        StatusKind.RESOLVED: _("Solved — please check and rate the answer"),
        StatusKind.CLOSED: _("Closed"),
    }
    return texts.get(kind, kind)


@register.simple_tag
def plain_status(ticket: Ticket, rated: bool | None = None) -> SafeString:
    """`rated`: whether the current resolution was rated; lists annotate it as `ticket.is_rated`."""
    is_rated = bool(getattr(ticket, "is_rated", False) if rated is None else rated)
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASSES.get(ticket.status.kind, "text-bg-light"),
                       plain_status_text(ticket.status.kind, rated=is_rated))


@register.filter
def source_label(code: str) -> str:
    try:
        return str(Source(code).label)
    except ValueError:
        return code


@register.simple_tag
def event_text(event: TicketEvent, names: dict[str, Any]) -> str:
    """One history line; `names` maps ids and codes in event.data to labels (built once per page)."""
    data = event.data or {}
    statuses: dict[Any, str] = names.get("statuses", {})
    priorities: dict[Any, str] = names.get("priorities", {})
    users: dict[Any, str] = names.get("users", {})
    teams: dict[Any, str] = names.get("teams", {})
    categories: dict[Any, str] = names.get("categories", {})
    nobody = _("nobody")
    kind = event.kind
    if kind == EventKind.STATUS_CHANGED:
        return _("Status: %(old)s → %(new)s") % {
            "old": statuses.get(data.get("from"), data.get("from")), "new": statuses.get(data.get("to"), data.get("to"))
        }
    if kind == EventKind.PRIORITY_CHANGED:
        return _("Priority: %(old)s → %(new)s") % {
            "old": priorities.get(data.get("from"), data.get("from")),
            "new": priorities.get(data.get("to"), data.get("to")),
        }
    if kind == EventKind.ASSIGNED:
        return _("Assignee: %(old)s → %(new)s") % {
            "old": users.get(data.get("from"), nobody) if data.get("from") else nobody,
            "new": users.get(data.get("to"), nobody) if data.get("to") else nobody,
        }
    if kind == EventKind.TEAM_CHANGED:
        return _("Team: %(old)s → %(new)s") % {
            "old": teams.get(data.get("from"), "—") if data.get("from") else "—",
            "new": teams.get(data.get("to"), "—") if data.get("to") else "—",
        }
    if kind == EventKind.CATEGORY_CHANGED:
        return _("Category: %(old)s → %(new)s") % {
            "old": categories.get(data.get("from"), "—") if data.get("from") else "—",
            "new": categories.get(data.get("to"), "—") if data.get("to") else "—",
        }
    if kind == EventKind.SUBJECT_CHANGED:
        return _("Subject: “%(old)s” → “%(new)s”") % {"old": data.get("from", ""), "new": data.get("to", "")}
    if kind in {EventKind.WATCHER_ADDED, EventKind.WATCHER_REMOVED}:
        who = users.get(data.get("user"), "?")
        if kind == EventKind.WATCHER_ADDED:
            return _("%(name)s now watches the ticket") % {"name": who}
        return _("%(name)s stopped watching the ticket") % {"name": who}
    if kind == EventKind.LINKED and isinstance(data.get("external"), dict):
        return _("Linked to tracker issue %(issue)s") % {"issue": data["external"].get("issue", "?")}
    if kind == EventKind.UNLINKED and isinstance(data.get("external"), dict):
        return _("Unlinked from tracker issue %(issue)s") % {"issue": data["external"].get("issue", "?")}
    if kind == EventKind.LINKED:
        try:
            link_kind = str(LinkKind(str(data.get("kind"))).label)
        except ValueError:
            link_kind = str(data.get("kind"))
        return _("Linked: %(kind)s #%(number)s") % {"kind": link_kind, "number": data.get("ticket")}
    if kind == EventKind.MERGED:
        return _("Merged into #%(number)s") % {"number": data.get("into")}
    if kind == EventKind.MERGED_IN:
        return _("#%(number)s was merged into this ticket") % {"number": data.get("from")}
    if kind == EventKind.TAGS_CHANGED:
        lines = []
        if data.get("added"):
            lines.append(_("Tags added: %(tags)s") % {"tags": ", ".join(map(str, data["added"]))})
        if data.get("removed"):
            lines.append(_("Tags removed: %(tags)s") % {"tags": ", ".join(map(str, data["removed"]))})
        return "; ".join(lines) or str(EventKind.TAGS_CHANGED.label)
    if kind == EventKind.RATED:
        return _("Rated %(score)s of 5") % {"score": data.get("score")}
    if kind == EventKind.CREATED:
        return _("Created (%(source)s)") % {"source": source_label(str(data.get("source", "")))}
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return kind


@register.simple_tag
def person(viewer: User | None, someone: User | None) -> str:
    """A person's name as the viewer may see it (requesters never see staff emails)."""
    return person_label(viewer, someone)


# Narrow screens keep the essentials; the rest of the chosen columns appear as the screen widens.
COLUMN_CLASSES = {
    "requester": "d-none d-md-table-cell cell-short", "organization": "d-none d-lg-table-cell cell-short",
    "team": "d-none d-xl-table-cell cell-short", "assignee": "d-none d-lg-table-cell cell-short",
    "category": "d-none d-lg-table-cell cell-short", "request_type": "d-none d-lg-table-cell cell-short",
    "source": "d-none d-lg-table-cell small", "created": "d-none d-sm-table-cell text-nowrap small",
    "updated": "d-none d-sm-table-cell text-nowrap small",
}


@register.simple_tag
def column_label(key: str) -> str:
    from otklik.web.columns import COLUMNS

    return str(COLUMNS.get(key, key))


@register.simple_tag
def column_class(key: str) -> str:
    return COLUMN_CLASSES.get(key, "")


def _e(value: object) -> str:
    """Escaped as the template engine escapes a variable (Django's `escape` is `html.escape` of its text);
    called directly, without the lazy-text wrapper `format_html` goes through for every argument."""
    return html.escape(str(value))


def _cell_time(value: datetime | None) -> str:
    """What `<time datetime="{{ v|date:'c' }}">{{ v|date:"SHORT_DATETIME_FORMAT" }}</time>` renders (the
    "c" format is `isoformat()`)."""
    if value is None:
        return '<time datetime=""></time>'
    if settings.USE_TZ and timezone.is_aware(value):
        value = timezone.localtime(value)
    return (f'<time datetime="{_e(value.isoformat())}">'
            f'{_e(formats.date_format(value, "SHORT_DATETIME_FORMAT"))}</time>')


def _cell_titled(value: object) -> str:
    shown = _e(value) if value else ""
    return f'<span title="{shown}">{shown or "—"}</span>'


# The columns whose cell shows one related row (or the source), by the ticket attribute that names it: their
# cells are the same for every ticket of that row.
_ROW_CELLS = {"organization": "organization_id", "status": "status_id", "priority": "priority_id",
              "team": "team_id", "assignee": "assignee_id", "category": "category_id",
              "request_type": "request_type_id", "source": "source"}


def _cell(ticket: Ticket, column: str, columns: list[str], memo: dict[Any, str]) -> str:
    """One list cell's HTML (a column of tickets.selectors' list rows; every relation is attached). `memo`
    keeps the cells that depend on one configuration row or person only (a status badge, a team's name),
    which a page of 50 rows repeats: written once per page."""
    if column == "requester":
        requester, organization = _e(ticket.requester), ticket.organization
        title = f"{requester} · {_e(organization)}" if organization else requester
        cell = f'<span title="{title}">{requester}</span>'
        if organization and "organization" not in columns:
            cell += f'<span class="small text-body-secondary d-block text-truncate">{_e(organization)}</span>'
        return cell
    if column in ("created", "updated"):
        return _cell_time(ticket.created_at if column == "created" else ticket.updated_at)
    attribute = _ROW_CELLS.get(column)
    if attribute is None:
        return ""
    key = (column, getattr(ticket, attribute))
    found = memo.get(key)
    if found is None:
        found = memo[key] = _cell_of_row(ticket, column)
    return found


def _cell_of_row(ticket: Ticket, column: str) -> str:
    """The cells that show one related row (or the source): the same for every ticket of that row."""
    if column == "organization":
        return _cell_titled(ticket.organization)
    if column == "status":
        return status_badge(ticket.status)
    if column == "priority":
        return priority_badge(ticket.priority)
    if column == "team":
        return _cell_titled(ticket.team)
    if column == "assignee":
        return _cell_titled(ticket.assignee)
    if column == "category":
        return _cell_titled(ticket.category.path_label if ticket.category else "")
    if column == "request_type":
        return _e((ticket.request_type.label if ticket.request_type else "") or "—")
    return _e(source_label(ticket.source))


def _list_cells(ticket: Ticket, columns: list[str], memo: dict[Any, str]) -> str:
    """A row's chosen columns, each `<td>` with its responsive class."""
    return "".join(f'<td class="{COLUMN_CLASSES.get(column, "")}">{_cell(ticket, column, columns, memo)}\n</td>'
                   for column in columns)


_URL_NUMBER = 987654321987


def _tag_names(ticket: Ticket) -> list[str]:
    """The row's tag names: read for the page (`web.selectors.attach_tag_names`), else from the ticket."""
    names: list[str] | None = getattr(ticket, "tag_names", None)
    return names if names is not None else [tag.name for tag in ticket.tags.all()]


@register.simple_tag(takes_context=True)
def list_rows(context: template.Context, tickets: list[Ticket]) -> SafeString:
    """The agent's list rows: number, subject with its SLA badge and tags, and the agent's chosen columns
    (`columns`), with a bulk-selection box when the agent may write (`can_write`); each link carries the
    list (`row_suffix`). Built in Python, one call per page: the queue page renders 50 rows on every
    reload, and the template engine spent more CPU on them, node by node, than the page's queries took
    (issue #16, round 8). The SLA badge is the SLA app's own (`sla_badge` decides, `sla_badge_html` writes
    what its template `sla/badge.html` writes)."""
    from otklik.sla.templatetags.sla_tags import sla_badge, sla_badge_html

    columns: list[str] = context.get("columns") or []
    can_write, suffix = bool(context.get("can_write")), _e(context.get("row_suffix") or "")
    # The ticket URL reversed once, each row's number put in its place (50 reverses cost more than the rows).
    pattern = _e(reverse("ticket", kwargs={"number": _URL_NUMBER}))
    memo: dict[Any, str] = {}
    select = _("Select ticket %(number)s")
    rows = []
    for ticket in tickets:
        number = _e(formats.localize(ticket.number))
        url = pattern.replace(str(_URL_NUMBER), str(ticket.number)) + suffix
        label = _e(select % {"number": number})
        pk = _e(formats.localize(ticket.pk))
        check = (f'<input class="form-check-input" type="checkbox" name="tickets" value="{pk}" form="bulk-form"'
                 f' data-bulk-check aria-label="{label}">' if can_write else "")
        badge = sla_badge(context, ticket)
        sla = sla_badge_html(badge["status"], badge["due"], badge["countdown"]) + "\n"  # the template's last line
        tags = "".join(f' <span class="badge rounded-pill text-bg-light border fw-normal" data-tag>{_e(name)}</span>'
                       for name in _tag_names(ticket))
        rows.append(
            f'<tr class="prio-row-{_e(ticket.priority.color)}" data-ticket="{number}">\n'
            f'<td>{check}</td>\n'
            f'<td><a href="{url}">{number}</a></td>\n'
            f'<td class="subject"><a class="link-body-emphasis text-decoration-none" href="{url}">{_e(ticket.subject)}'
            f'</a>\n{sla}{tags}</td>\n{_list_cells(ticket, columns, memo)}\n</tr>\n')
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped by _e or is escaped template output


@register.simple_tag(takes_context=True)
def timeline_rows(context: template.Context, items: list[Any]) -> SafeString:
    """The agent's timeline items (messages and history lines), built in Python: `web.timeline`."""
    from otklik.web.timeline import timeline_items

    engine = context.template.engine if context.template else template.engines["django"].engine  # type: ignore[attr-defined]
    delivery_template = engine.get_template("web/includes/delivery.html")
    html_items = timeline_items(
        items, ticket=context["ticket"], names=context.get("names") or {},
        csrf_token=str(context.get("csrf_token") or ""), preview_types=context.get("preview_types") or (),
        delivery=lambda delivery: delivery_template.render(context.new({"delivery": delivery})),
    )
    return mark_safe(html_items)  # noqa: S308 - every value is escaped in web.timeline or is template output


@register.simple_tag
def choice_options(choices: Any, selected: Any = None, *, one: bool = False, plain: bool = False,
                   skip_empty: bool = False) -> SafeString:
    """`<option>`s of a form field's `choices`, as the list page's loops wrote them:
    `<option value="{{ value }}" {% if value|stringformat:'s' in selected %}selected{% endif %}>{{ label }}</option>`
    (`one`: `selected` is one value, compared as text: `selected|stringformat:'s' == value|stringformat:'s'`;
    `plain`: `<option value="{{ value }}">{{ label }}</option>`, no selection mark, as the bulk bar's lists;
    `skip_empty`: plain, with `{% if value %}` around each option).
    Built in Python: the queue page writes nine such lists (a hundred options and more) on every reload."""
    chosen: Any
    if one or isinstance(selected, str):  # a text: `in` asks for a part of it, as the template's `in` does
        chosen = (lambda text: text == str(selected)) if one else (lambda text: text in selected)
    else:
        try:
            chosen = {str(item) for item in selected}.__contains__ if selected is not None else set().__contains__
        except TypeError:  # the template's `in` on what is not a collection: nothing selected
            chosen = set().__contains__
    parts = []
    for value, label in choices:
        if plain or skip_empty:
            if value or not skip_empty:
                parts.append(f'<option value="{shown(value)}">{shown(label)}</option>')
            continue
        mark = "selected" if chosen(str(value)) else ""
        parts.append(f'<option value="{shown(value)}" {mark}>{shown(label)}</option>')
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped by shown


@register.simple_tag
def option_rows(rows: list[Any], selected: Any = None, label: str = "") -> SafeString:
    """`<option>`s of rows: the value is the row's id, the text its attribute `label` (the row itself when
    empty), the row whose id is `selected` is marked; every value escaped. Built in Python: the ticket page
    writes seven such lists (a hundred options and more) on every view."""
    parts = []
    for row in rows:
        text = getattr(row, label) if label else row
        mark = " selected" if row.pk == selected else ""
        parts.append(f'<option value="{_e(formats.localize(row.pk))}"{mark}>{_e(text)}</option>')
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped by _e
