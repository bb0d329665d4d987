"""Guided intake `/new`: service -> its fields in order -> subject -> description -> files -> summary -> ticket.

The state lives in Conversation rows (one per bot and chat), so a restarted bot continues where the person
was; an idle conversation expires after the bot's configured minutes. Who may submit which request type,
how a field value is validated and the upload limit are the ticket core's functions, called here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from otklik.core.errors import DomainError
from otklik.telegram.context import Ctx, fetch_files, file_of
from otklik.telegram.models import Conversation
from otklik.telegram.outbox import Keyboard, esc
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets import services as ticket_services
from otklik.tickets.fields import clean_field_value
from otklik.tickets.inbound import InboundMessage
from otklik.tickets.models import CustomField, FieldKind, RequestType, Source

MAX_FILES = 10
INTAKE_STATES = frozenset({"type", "field", "subject", "description", "files", "summary"})


def _button(text: str, data: str) -> dict[str, str]:
    return {"text": text[:64], "callback_data": data[:64]}


def submittable_types(ctx: Ctx) -> list[RequestType]:
    """Active request types this person may submit, by the ticket core's one submit rule."""
    return list(ticket_selectors.request_types_submittable(ctx.user).order_by("group", "order", "name"))


def _fields(request_type_id: int) -> list[CustomField]:
    # Internal-only fields are support's to fill; a requester is never asked for them.
    return list(CustomField.objects.filter(request_type_id=request_type_id, internal_only=False)
                .order_by("order", "id"))


def expired(conversation: Conversation, ctx: Ctx) -> bool:
    idle = timedelta(minutes=max(1, ctx.bot.conversation_idle_minutes))
    return bool(conversation.state) and conversation.updated_at < ctx.now - idle


def _save(conversation: Conversation, ctx: Ctx, state: str, data: dict[str, Any]) -> None:
    conversation.state, conversation.data, conversation.updated_at = state, data, ctx.now
    conversation.save()


def start(ctx: Ctx, conversation: Conversation) -> None:
    types = submittable_types(ctx)
    if not types:
        _save(conversation, ctx, "", {})
        ctx.say(_("There are no services you can request here."))
        return
    keyboard: Keyboard = []
    group = None
    for request_type in types:
        if request_type.group and request_type.group != group:
            group = request_type.group
            keyboard.append([_button(f"— {group} —", "noop")])
        keyboard.append([_button(request_type.label, f"rt:{request_type.pk}")])
    keyboard.append([_button(_("Cancel"), "cancel")])
    _save(conversation, ctx, "type", {})
    ctx.say(_("What do you need? Choose a service:"), keyboard=keyboard)


def choose_type(ctx: Ctx, conversation: Conversation, request_type_id: int) -> None:
    request_type = RequestType.objects.filter(pk=request_type_id).first()
    if request_type is None:
        ctx.say(_("You may not submit this type of request."))
        return
    try:
        ticket_services.request_type_ensure_may_submit(ctx.user, request_type)
    except DomainError as exc:
        ctx.outcome = "refused"
        ctx.say(esc(exc.message))
        return
    data = {"rt": request_type.pk, "index": 0, "fields": {}, "files": []}
    _next(ctx, conversation, data)


def _next(ctx: Ctx, conversation: Conversation, data: dict[str, Any]) -> None:
    """Ask the next thing still missing, or show the summary."""
    if data.pop("editing", False):
        _summary(ctx, conversation, data)
        return
    fields = _fields(int(data["rt"]))
    index = int(data.get("index", 0))
    if index < len(fields):
        _ask_field(ctx, conversation, data, fields[index])
        return
    if "subject" not in data:
        _save(conversation, ctx, "subject", data)
        ctx.say(_("Subject: in a few words, what is it about?"), keyboard=[[_button(_("Cancel"), "cancel")]])
        return
    if "description" not in data:
        _save(conversation, ctx, "description", data)
        ctx.say(_("Describe the request in detail."),
                keyboard=[[_button(_("Skip"), "skip"), _button(_("Cancel"), "cancel")]])
        return
    if not data.get("files_done"):
        _save(conversation, ctx, "files", data)
        ctx.say(_("Attach photos or documents if they help, then press Done."),
                keyboard=[[_button(_("Done"), "done"), _button(_("Cancel"), "cancel")]])
        return
    _summary(ctx, conversation, data)


def _ask_field(ctx: Ctx, conversation: Conversation, data: dict[str, Any], field: CustomField) -> None:
    _save(conversation, ctx, "field", data)
    label = field.label_ru if _language_is_ru() and field.label_ru else field.label
    question = f"<b>{esc(label)}</b>"
    hints: dict[str, str] = {
        FieldKind.NUMBER: _("Enter a number."),
        FieldKind.DATE: _("Enter a date as YYYY-MM-DD or DD.MM.YYYY."),
        FieldKind.USER: _("Enter the person's email address."),
        FieldKind.MULTI_CHOICE: _("Choose one or more, then press Done."),
    }
    if field.kind in hints:
        question += "\n" + esc(hints[field.kind])
    keyboard: Keyboard = []
    if field.kind in {FieldKind.CHOICE, FieldKind.MULTI_CHOICE}:
        chosen = set(data.get("multi", []))
        prefix = "fv" if field.kind == FieldKind.CHOICE else "fm"
        for number, choice in enumerate(field.choices):
            mark = "✓ " if number in chosen else ""
            keyboard.append([_button(f"{mark}{choice}", f"{prefix}:{number}")])
        if field.kind == FieldKind.MULTI_CHOICE:
            keyboard.append([_button(_("Done"), "fd")])
    if field.kind == FieldKind.DATE:
        keyboard.append([_button(_("Today"), "fdate:0"), _button(_("Tomorrow"), "fdate:1")])
    row = [] if field.required else [_button(_("Skip"), "skip")]
    keyboard.append([*row, _button(_("Cancel"), "cancel")])
    ctx.say(question, keyboard=keyboard)


def _language_is_ru() -> bool:
    from django.utils import translation

    return (translation.get_language() or "").startswith("ru")


def _current_field(data: dict[str, Any]) -> CustomField | None:
    fields = _fields(int(data["rt"]))
    index = int(data.get("index", 0))
    return fields[index] if index < len(fields) else None


def _store_value(ctx: Ctx, conversation: Conversation, data: dict[str, Any], raw: Any) -> None:
    field = _current_field(data)
    if field is None:
        _next(ctx, conversation, data)
        return
    if raw is None:
        if field.required:
            ctx.say(esc(_("This field is required.")))
            return
        data["fields"].pop(field.code, None)
    else:
        if field.kind == FieldKind.DATE and isinstance(raw, str) and raw.count(".") == 2:
            day, month, year = raw.strip().split(".")
            raw = f"{year}-{month.zfill(2)}-{day.zfill(2)}"
        if field.kind == FieldKind.USER and isinstance(raw, str):
            from otklik.accounts.models import User

            person = User.objects.filter(email=raw.strip().lower(), is_active=True).only("pk").first()
            raw = person.pk if person else ""
        try:
            data["fields"][field.code] = clean_field_value(field, raw)
        except ValueError as exc:
            ctx.outcome = "bad_answer"
            ctx.say(esc(str(exc)) + "\n" + esc(_("Please try again.")))
            return
    data.pop("multi", None)
    data["index"] = int(data.get("index", 0)) + 1
    if data.get("editing"):
        data["index"] = len(_fields(int(data["rt"])))
    _next(ctx, conversation, data)


def on_text(ctx: Ctx, conversation: Conversation, text: str) -> None:
    data = dict(conversation.data)
    state = conversation.state
    if state == "field":
        field = _current_field(data)
        if field is not None and field.kind in {FieldKind.CHOICE, FieldKind.MULTI_CHOICE}:
            ctx.say(esc(_("Choose one of the offered options.")))
            return
        _store_value(ctx, conversation, data, text)
    elif state == "subject":
        subject = " ".join(text.split())[:500]
        if not subject:
            ctx.say(esc(_("A subject is required.")))
            return
        data["subject"] = subject
        _next(ctx, conversation, data)
    elif state == "description":
        data["description"] = text.strip()[:20000]
        _next(ctx, conversation, data)
    elif state == "files":
        ctx.say(_("Send photos or documents, or press Done."),
                keyboard=[[_button(_("Done"), "done"), _button(_("Cancel"), "cancel")]])
    elif state == "summary":
        _summary(ctx, conversation, data)
    else:
        ctx.say(_("Choose one of the buttons above, or /cancel."))


def on_file(ctx: Ctx, conversation: Conversation, message: dict[str, Any]) -> None:
    data = dict(conversation.data)
    item = file_of(message)
    if conversation.state != "files" or item is None:
        ctx.say(_("Files can be added at the end of the request."))
        return
    if len(data.get("files", [])) >= MAX_FILES:
        ctx.say(esc(_("At most %(count)s files per request.") % {"count": MAX_FILES}))
        return
    try:
        fetch_files(ctx, [item])  # the size limits, checked now so the person can send a smaller file
    except DomainError as exc:
        ctx.outcome = "file_refused"
        ctx.say(esc(exc.message))
        return
    data.setdefault("files", []).append(item)
    if message.get("caption") and "description" in data:
        data["description"] = (data["description"] + "\n" + str(message["caption"]))[:20000]
    _save(conversation, ctx, "files", data)
    ctx.say(esc(_("Added %(name)s.") % {"name": item["name"]}),
            keyboard=[[_button(_("Done"), "done"), _button(_("Cancel"), "cancel")]])


def on_callback(ctx: Ctx, conversation: Conversation, action: str, argument: str, message_id: int | None) -> None:
    data = dict(conversation.data)
    if action == "rt" and conversation.state == "type" and argument.isdigit():
        choose_type(ctx, conversation, int(argument))
        return
    if action == "rt" and argument.isdigit():
        # A button of an earlier /new: the same check applies.
        choose_type(ctx, conversation, int(argument))
        return
    if conversation.state not in INTAKE_STATES or "rt" not in data:
        ctx.say(_("This request was already sent or cancelled. Start a new one with /new."))
        return
    field = _current_field(data) if conversation.state == "field" else None
    if action == "skip":
        if conversation.state == "field":
            _store_value(ctx, conversation, data, None)
        elif conversation.state == "description":
            data["description"] = ""
            _next(ctx, conversation, data)
    elif action == "fv" and field is not None and argument.isdigit() and int(argument) < len(field.choices):
        _store_value(ctx, conversation, data, field.choices[int(argument)])
    elif action == "fm" and field is not None and argument.isdigit() and int(argument) < len(field.choices):
        chosen = set(data.get("multi", []))
        chosen ^= {int(argument)}
        data["multi"] = sorted(chosen)
        _save(conversation, ctx, "field", data)
        if message_id:
            keyboard = [[_button(("✓ " if n in chosen else "") + str(choice), f"fm:{n}")]
                        for n, choice in enumerate(field.choices)]
            keyboard.append([_button(_("Done"), "fd")])
            ctx.edit_keyboard(message_id, f"<b>{esc(field.label)}</b>", keyboard)
    elif action == "fd" and field is not None:
        values = [field.choices[n] for n in data.get("multi", []) if n < len(field.choices)]
        _store_value(ctx, conversation, data, values or None)
    elif action == "fdate" and field is not None and argument in {"0", "1"}:
        from django.utils import timezone

        day = timezone.localdate(ctx.now) + timedelta(days=int(argument))
        _store_value(ctx, conversation, data, day.isoformat())
    elif action == "done" and conversation.state == "files":
        data["files_done"] = True
        _next(ctx, conversation, data)
    elif action == "send" and conversation.state == "summary":
        submit(ctx, conversation, data)
    elif action == "edit" and conversation.state == "summary":
        _edit_menu(ctx, data)
    elif action == "ed" and conversation.state == "summary":
        _edit_step(ctx, conversation, data, argument)
    else:
        ctx.say(_("Choose one of the buttons above, or /cancel."))


def _summary(ctx: Ctx, conversation: Conversation, data: dict[str, Any]) -> None:
    _save(conversation, ctx, "summary", data)
    request_type = RequestType.objects.get(pk=data["rt"])
    lines = [f"<b>{esc(request_type.label)}</b>"]
    for field in _fields(request_type.pk):
        value = data["fields"].get(field.code)
        if value not in (None, "", []):
            shown = ", ".join(value) if isinstance(value, list) else value
            lines.append(f"{esc(field.label)}: {esc(shown)}")
    subject_label = _("Subject")
    lines.append(f"{esc(subject_label)}: {esc(data.get('subject', ''))}")
    if data.get("description"):
        lines.append(esc(data["description"]))
    if data.get("files"):
        lines.append(esc(_("Files: %(names)s") % {"names": ", ".join(f["name"] for f in data["files"])}))
    keyboard = [[_button(_("Send"), "send"), _button(_("Edit"), "edit"), _button(_("Cancel"), "cancel")]]
    ctx.say("\n".join(lines), keyboard=keyboard)


def _edit_menu(ctx: Ctx, data: dict[str, Any]) -> None:
    keyboard: Keyboard = [[_button(field.label, f"ed:f{n}")] for n, field in enumerate(_fields(int(data["rt"])))]
    keyboard += [[_button(_("Subject"), "ed:subject")], [_button(_("Description"), "ed:description")],
                 [_button(_("Files"), "ed:files")]]
    ctx.say(_("What do you want to change?"), keyboard=keyboard)


def _edit_step(ctx: Ctx, conversation: Conversation, data: dict[str, Any], step: str) -> None:
    fields = _fields(int(data["rt"]))
    if step.startswith("f") and step[1:].isdigit() and int(step[1:]) < len(fields):
        data["index"] = int(step[1:])
        data["editing"] = True
        _ask_field(ctx, conversation, data, fields[data["index"]])
        return
    if step in {"subject", "description"}:
        data.pop(step, None)
    elif step == "files":
        data["files"], data["files_done"] = [], False
    else:
        return
    _next(ctx, conversation, data)


def submit(ctx: Ctx, conversation: Conversation, data: dict[str, Any]) -> None:
    """The ticket through the one ingest path; the conversation ends only when the ticket exists."""
    request_type = RequestType.objects.get(pk=data["rt"])
    try:
        ticket_services.request_type_ensure_may_submit(ctx.user, request_type)
        attachments = fetch_files(ctx, list(data.get("files", [])))
        result = ticket_services.ticket_ingest(
            inbound=InboundMessage(
                sender_email=ctx.user.email, sender_name=ctx.user.get_full_name(), channel=Source.TELEGRAM,
                subject=data.get("subject", ""), body_text=data.get("description", ""),
                request_type_code=request_type.code, fields=dict(data.get("fields", {})),
                attachments=tuple(attachments), external_id=f"telegram:{ctx.bot.pk}:{ctx.row.update_id}",
                raw_ref=f"telegram-update:{ctx.row.pk}",
            ),
            now=ctx.now,
        )
    except DomainError as exc:
        ctx.outcome = "refused"
        errors = getattr(exc, "errors", {}) or {}
        details = "\n".join(f"{esc(code)}: {esc(message)}" for code, message in errors.items())
        ctx.say(esc(exc.message) + (f"\n{details}" if details else ""))
        return
    _save(conversation, ctx, "", {})
    ctx.ticket = result.ticket
    ctx.outcome = "ticket_created"
    ctx.say(_("Your request <b>#%(number)s</b> was created. We will write to you here.")
            % {"number": result.ticket.number}, ticket=result.ticket)
