"""The agent's ticket page and its actions: header fields in place, reply, note, watchers, links, merge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts import selectors as account_selectors
from otklik.accounts.access import visible_fields
from otklik.accounts.decorators import staff_required
from otklik.accounts.models import Team, User
from otklik.automation.forbidden import ReplyHeld, reply_guard
from otklik.core.errors import DomainError, InvalidInput, NotFound
from otklik.core.text import markdown_to_html
from otklik.mail.models import OutboundKind, OutboundMail
from otklik.notifications.rendering import language_of
from otklik.tickets import changes, services
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import (
    Attachment,
    Category,
    EventKind,
    FieldKind,
    LinkKind,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from otklik.web import selectors
from otklik.web.canned import canned_replies_for, fill_placeholders
from otklik.web.forms import NoteForm, ReplyForm, TicketFieldsForm, as_inbound
from otklik.web.views.base import (
    current_user,
    error_text,
    logger,
    report_error,
    report_form_errors,
)

# History kinds the timeline shows otherwise: as the message itself, or as the status change beside them.
HIDDEN_EVENTS = {EventKind.CREATED, EventKind.REPLIED, EventKind.NOTE_ADDED, EventKind.RESOLVED,
                 EventKind.CLOSED, EventKind.REOPENED}


# Messages the page shows at first, newest last; "show earlier" loads the ones before, as many at a time.
TIMELINE_LATEST = 20

# How long a reply form's token is remembered: longer than anyone keeps a page open before sending twice.
FORM_TOKEN_SECONDS = 24 * 3600


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    message: Message | None = None
    event: TicketEvent | None = None


def _ticket_for(viewer: User, number: int) -> Ticket:
    try:
        return ticket_selectors.ticket_get_by_number_for(viewer, number)
    except NotFound as error:
        raise Http404 from error


def _header_context() -> dict[str, Any]:
    return {
        "statuses": ticket_selectors.statuses_active(),
        "priorities": ticket_selectors.priorities_all(),
        "teams": account_selectors.teams_all(),
        "categories": ticket_selectors.categories_active(),
        "agents": selectors.agent_choices(),
    }


def _names(header: dict[str, Any], events: list[TicketEvent]) -> dict[str, Any]:
    user_ids: set[int] = set()
    for event in events:
        if event.kind in {EventKind.ASSIGNED, EventKind.WATCHER_ADDED, EventKind.WATCHER_REMOVED}:
            user_ids.update(value for key in ("from", "to", "user")
                            if isinstance(value := event.data.get(key), int))
    known = {user.pk: str(user) for user in header["agents"]}
    missing = user_ids - set(known)
    if missing:
        known.update({user.pk: str(user) for user in User.objects.filter(pk__in=missing)})
    return {
        "statuses": {status.code: status.label for status in header["statuses"]},
        "priorities": {priority.code: priority.label for priority in header["priorities"]},
        "teams": {team.pk: team.label for team in header["teams"]},
        "categories": {category.pk: category.path_label for category in header["categories"]},
        "users": known,
    }


def timeline_context(viewer: User, ticket: Ticket, header: dict[str, Any] | None = None, *,
                     before: int | None = None) -> dict[str, Any]:
    """The latest TIMELINE_LATEST messages with the history between them (or those before the message
    `before`), so a long conversation costs the page what a short one does; "show earlier" asks for more."""
    header = header or _header_context()
    messages_qs = ticket_selectors.ticket_messages(viewer, ticket)
    anchor: datetime | None = None
    if before is not None:
        anchor = messages_qs.filter(pk=before).values_list("created_at", flat=True).first()
        if anchor is None:
            raise Http404()
        messages_qs = messages_qs.filter(Q(created_at__lt=anchor) | Q(created_at=anchor, id__lt=before))
    # Files are read for the messages that have any (most have none), the same read otherwise.
    newest_first = list(messages_qs.prefetch_related(None).annotate(
        has_files=Exists(Attachment.objects.filter(message_id=OuterRef("pk")))
    ).order_by("-created_at", "-id")[:TIMELINE_LATEST + 1])
    earlier = len(newest_first) > TIMELINE_LATEST
    message_list = newest_first[:TIMELINE_LATEST][::-1]
    prefetch_related_objects([m for m in message_list if m.has_files], "attachments")
    # Each public reply's mail delivery (sent, retrying, failed: why), one query for the whole page.
    public = [m.pk for m in message_list if not m.is_internal]
    deliveries = {
        row.reply_message_id: row for row in OutboundMail.objects.filter(
            reply_message_id__in=public, kind=OutboundKind.REPLY
        ).only("reply_message_id", "status", "attempts", "last_error")
    } if public else {}
    for message in message_list:
        message.delivery = deliveries.get(message.pk)  # type: ignore[attr-defined]
    # The history between the messages shown: from the oldest shown (all of it when none is earlier).
    event_qs = ticket_selectors.ticket_events(viewer, ticket)
    if earlier and message_list:
        event_qs = event_qs.filter(created_at__gte=message_list[0].created_at)
    if anchor is not None:  # the history from the anchor message on is on the page already
        event_qs = event_qs.filter(created_at__lt=anchor)
    # The kinds shown otherwise are left in the database: a ticket's history is mostly replies and notes.
    events = list(event_qs.exclude(kind__in=HIDDEN_EVENTS))
    timeline = sorted(
        [TimelineItem(at=m.created_at, message=m) for m in message_list]
        + [TimelineItem(at=e.created_at, event=e) for e in events],
        key=lambda item: (item.at, 0 if item.message else 1),
    )
    return {"ticket": ticket, "timeline": timeline, "names": _names(header, events),
            "earlier_before": message_list[0].pk if earlier and message_list else None}


def ticket_page(
    request: HttpRequest, ticket: Ticket, *, held_reply: dict[str, Any] | None = None,
    fields_form: TicketFieldsForm | None = None, merge_error: str = "", merge_value: str = "",
) -> HttpResponse:
    """The agent's page; the caller has checked that the viewer handles this ticket as staff.

    `held_reply` is a reply stopped for forbidden words: shown again, with its text, for a decision;
    `fields_form` a refused fields edit, `merge_error` a refused merge: each shown beside its fields."""
    viewer = current_user(request)
    header = _header_context()
    list_param = request.GET.get("list", "") or request.POST.get("list", "")
    language = get_language() or ""
    # A ticket read by web.selectors.ticket_by_number knows whether it has any (most have none).
    watchers = list(ticket.watchers.all()) if getattr(ticket, "has_watchers", True) else []
    links = list(ticket_selectors.ticket_links(viewer, ticket).order_by("id")) if getattr(
        ticket, "has_links", True) else []
    context = {
        **timeline_context(viewer, ticket, header),
        "watchers": watchers,
        "links_out": [link for link in links if link.from_ticket_id == ticket.pk],
        "links_in": [link for link in links if link.to_ticket_id == ticket.pk and link.from_ticket_id != ticket.pk],
        "reply_form": ReplyForm(uploader=viewer),
        "note_form": NoteForm(uploader=viewer),
        "link_kinds": LinkKind.choices,
        "list_param": list_param,
        "custom_fields": custom_fields(viewer, ticket, handled=True),
        "held_reply": held_reply,
        "fields_form": fields_form or TicketFieldsForm(ticket=ticket, language=language),
        "merge_error": merge_error,
        "merge_value": merge_value,
        # A fresh token per rendered form: the server accepts each once, so a double submit sends once.
        "form_token": uuid.uuid4().hex,
        # Auditors and other read-only staff see the page with every control disabled.
        "can_act": viewer.is_superuser or viewer.can_write,
        **header,
    }
    return render(request, "web/agent/ticket.html", context, status=400 if (merge_error or (
        fields_form is not None and fields_form.errors)) else 200)


def first_use_of_form_token(viewer: User, token: str) -> bool:
    """True the first time a form token is seen (for this person); a repeated post of the same form is
    a double click or a retried request, and must not write twice. No token (an old page): allowed."""
    if not token:
        return True
    return bool(cache.add(f"otklik:web:form-token:{viewer.pk}:{token[:64]}", 1, timeout=FORM_TOKEN_SECONDS))


def _refreshed_parts(request: HttpRequest, viewer: User, number: int) -> HttpResponse:
    """After a change made in place: the header, plus the timeline and SLA panel swapped out of band."""
    ticket = _ticket_for(viewer, number)
    header = _header_context()
    context = {**header, **timeline_context(viewer, ticket, header), "oob": True,
               "can_act": viewer.is_superuser or viewer.can_write}
    return render(request, "web/agent/ticket.html#refresh", context)


def custom_fields(viewer: User, ticket: Ticket, *, handled: bool = False) -> list[tuple[str, str]]:
    """Labelled custom field values the viewer may read (internal-only fields are staff's alone).

    `handled`: the caller has established that the viewer handles the ticket as staff
    (can_see_internal_on), for whom visible_fields returns every value; it saves its queries.
    """
    language = get_language() or ""
    values = dict(ticket.fields or {}) if handled else visible_fields(viewer, ticket)
    defined = list(ticket.request_type.fields.all() if ticket.request_type else [])
    labels = {
        field.code: (field.label_ru if language.startswith("ru") and field.label_ru else field.label)
        for field in defined
    }
    dates = {field.code for field in defined if field.kind == FieldKind.DATE}
    return [
        (labels.get(code, code), _shown_value(value, is_date=code in dates)) for code, value in values.items()
    ]


def _shown_value(value: Any, *, is_date: bool) -> str:
    """A stored value as people read it: lists joined, dates in the reader's locale format (not ISO)."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if is_date:
        try:
            return date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        except ValueError:
            return str(value)
    return str(value)


def _back(ticket: Ticket, request: HttpRequest) -> HttpResponse:
    url = reverse("ticket", kwargs={"number": ticket.number})
    return redirect(url + ("?list=" + request.POST["list"] if request.POST.get("list") else ""))


def _lookup(model: type[Any], raw: str, *, allow_empty: bool = False, **filters: Any) -> Any:
    if raw in ("", None):
        if allow_empty:
            return None
        raise InvalidInput(_("Choose a value."))
    try:
        return model.objects.get(pk=int(raw), **filters)
    except (ValueError, model.DoesNotExist) as error:
        raise InvalidInput(_("Unknown value.")) from error


@staff_required
@require_POST
def ticket_update(request: HttpRequest, number: int) -> HttpResponse:
    """One header field changed in place (HTMX swaps the header back), or by a plain form post."""
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    field = request.POST.get("field", "")
    value = request.POST.get("value", "")
    now = timezone.now()
    try:
        if field == "status":
            changes.ticket_change_status(actor=viewer, ticket_id=ticket.pk, status=_lookup(Status, value), now=now)
        elif field == "priority":
            changes.ticket_change_priority(actor=viewer, ticket_id=ticket.pk, priority=_lookup(Priority, value),
                                            now=now)
        elif field == "team":
            changes.ticket_change_team(actor=viewer, ticket_id=ticket.pk,
                                        team=_lookup(Team, value, allow_empty=True), now=now)
        elif field == "assignee":
            assignee = viewer if value == "me" else _lookup(User, value, allow_empty=True)
            changes.ticket_assign(actor=viewer, ticket_id=ticket.pk, assignee=assignee, now=now)
        elif field == "category":
            changes.ticket_change_category(actor=viewer, ticket_id=ticket.pk,
                                            category=_lookup(Category, value, allow_empty=True), now=now)
        elif field == "subject":
            changes.ticket_change_subject(actor=viewer, ticket_id=ticket.pk, subject=value, now=now)
        else:
            raise InvalidInput(_("Unknown field."))
    except DomainError as error:
        report_error(request, error, ticket=ticket.number, field=field)
    else:
        messages.success(request, _("Saved."))
    if request.htmx:  # type: ignore[attr-defined]
        return _refreshed_parts(request, viewer, number)
    return _back(ticket, request)


@staff_required
@require_POST
def ticket_fields(request: HttpRequest, number: int) -> HttpResponse:
    """The request type and custom fields, edited in place; refusals are shown next to their fields."""
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    form = TicketFieldsForm(request.POST, ticket=ticket, language=get_language() or "")
    if not form.is_valid():
        return ticket_page(request, ticket, fields_form=form)
    now = timezone.now()
    try:
        if form.type_changed():
            # The new type's fields: the values typed for them, or kept from the old type by code.
            values = {code: value for code, value in form.values().items() if value is not None}
            changes.ticket_change_request_type(actor=viewer, ticket_id=ticket.pk,
                                                request_type=form.cleaned_data["request_type"],
                                                fields=values, now=now)
        else:
            changes.ticket_set_fields(actor=viewer, ticket_id=ticket.pk, values=form.values(), now=now)
    except DomainError as error:
        field_errors = getattr(error, "errors", {}) or {}
        if field_errors:  # said beside each field; a banner would only repeat it
            logger.info("fields refused: %s ticket=%s %s", error.code, ticket.number, field_errors)
        else:
            report_error(request, error, ticket=ticket.number)
        form.add_service_errors(field_errors)
        return ticket_page(request, _ticket_for(viewer, number), fields_form=form)
    messages.success(request, _("Saved."))
    return _back(ticket, request)


@staff_required
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    form = ReplyForm(request.POST, request.FILES, uploader=viewer)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(ticket, request)
    if not first_use_of_form_token(viewer, request.POST.get("form_token", "")):
        messages.info(request, _("This reply was already sent."))
        return _back(ticket, request)
    try:
        reply_guard(body_text=form.cleaned_data["body"], confirmed=form.cleaned_data["send_anyway"])
    except ReplyHeld as held:
        new_status = form.cleaned_data.get("new_status")
        return ticket_page(request, ticket, held_reply={
            "body": form.cleaned_data["body"], "message": held.message,
            "status_id": new_status.pk if new_status else None,
            "had_files": bool(form.cleaned_data["attachments"]), "cc": ", ".join(form.cleaned_data["cc"]),
        })
    try:
        # Agents write Markdown; their signature goes under every public reply (never under notes).
        services.ticket_reply(
            actor=viewer, ticket_id=ticket.pk, body_text=form.cleaned_data["body"],
            attachments=as_inbound(form.cleaned_data["attachments"]),
            new_status=form.cleaned_data.get("new_status"), now=timezone.now(),
            markdown=True, cc=form.cleaned_data["cc"], signed=True,
        )
    except DomainError as error:
        report_error(request, error, ticket=ticket.number)
    else:
        messages.success(request, _("Reply sent."))
    return _back(ticket, request)


@staff_required
@require_POST
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    form = NoteForm(request.POST, request.FILES, uploader=viewer)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(ticket, request)
    if not first_use_of_form_token(viewer, request.POST.get("form_token", "")):
        messages.info(request, _("This note was already added."))
        return _back(ticket, request)
    try:
        services.ticket_add_note(actor=viewer, ticket_id=ticket.pk, body_text=form.cleaned_data["body"],
                                 attachments=as_inbound(form.cleaned_data["attachments"]), now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=ticket.number)
    else:
        messages.success(request, _("Internal note added."))
    return _back(ticket, request)


@staff_required
@require_POST
def ticket_watchers(request: HttpRequest, number: int) -> HttpResponse:
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    raw = request.POST.get("user", "")
    user_id = viewer.pk if raw == "me" else (int(raw) if raw.isdigit() else None)
    now = timezone.now()
    try:
        if user_id is None:
            raise InvalidInput(_("Choose a person."))
        if request.POST.get("action") == "remove":
            services.ticket_unwatch(actor=viewer, ticket_id=ticket.pk, user_id=user_id, now=now)
        else:
            services.ticket_watch(actor=viewer, ticket_id=ticket.pk, user_id=user_id, now=now)
    except DomainError as error:
        report_error(request, error, ticket=ticket.number)
    return _back(ticket, request)


def _other(viewer: User, raw: str) -> Ticket:
    number = raw.strip().lstrip("#")
    if not number.isdigit():
        raise InvalidInput(_("Enter a ticket number."))
    return ticket_selectors.ticket_get_by_number_for(viewer, int(number))


@staff_required
@require_POST
def ticket_link(request: HttpRequest, number: int) -> HttpResponse:
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    try:
        other = _other(viewer, request.POST.get("other", ""))
        changes.ticket_link(actor=viewer, ticket_id=ticket.pk, other_id=other.pk,
                             kind=request.POST.get("kind", ""), now=timezone.now())
    except DomainError as error:
        report_error(request, error, ticket=ticket.number)
    else:
        messages.success(request, _("Linked to #%(number)s.") % {"number": other.number})
    return _back(ticket, request)


@staff_required
@require_POST
def ticket_merge(request: HttpRequest, number: int) -> HttpResponse:
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    raw = request.POST.get("target", "")
    try:
        target = _other(viewer, raw)
        if request.POST.get("confirm") != "yes":
            raise InvalidInput(_("Tick the box to confirm the merge."))
        changes.ticket_merge(actor=viewer, source_id=ticket.pk, target_id=target.pk, now=timezone.now())
    except DomainError as error:
        logger.info("merge refused: %s %s ticket=%s target=%r", error.code, error.message, ticket.number, raw)
        # Shown under the number field, where the agent is looking, with what they typed kept.
        text = _("There is no ticket #%(number)s you can see.") % {"number": raw.strip().lstrip("#")} if (
            isinstance(error, NotFound)) else error_text(error)
        return ticket_page(request, ticket, merge_error=text, merge_value=raw[:20])
    messages.success(request, _("#%(source)s was merged into #%(target)s.")
                     % {"source": ticket.number, "target": target.number})
    return redirect("ticket", number=target.number)


@staff_required
@require_GET
def canned_reply_text(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    """A canned reply with this ticket's placeholders filled in, for the editor to insert."""
    viewer = current_user(request)
    ticket = _ticket_for(viewer, number)
    canned = canned_replies_for(viewer).filter(pk=pk).first()
    if canned is None:
        raise Http404()
    # In the requester's language when the reply has it: the text goes to them, not to the agent.
    text = fill_placeholders(canned.text_for(language_of(ticket.requester)), ticket=ticket, agent=viewer)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@staff_required
@require_POST
def reply_preview(request: HttpRequest) -> HttpResponse:
    """The reply box's Markdown as it will look: rendered and sanitised by the same code as the sent reply."""
    body = request.POST.get("body", "")[:100_000]
    html = markdown_to_html(body, breaks=True)
    if not html:
        return HttpResponse(format_html('<p class="text-body-secondary mb-0">{}</p>', _("Nothing to preview.")))
    return HttpResponse(html)
