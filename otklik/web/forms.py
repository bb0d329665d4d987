"""Forms of the agent workspace and the portal. They parse input; services decide and write."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Team, User
from otklik.accounts.selectors import teams_all
from otklik.core.errors import InvalidInput
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import (
    Category,
    CustomField,
    DateRule,
    FieldKind,
    Priority,
    RequestType,
    Source,
    Status,
)
from otklik.tickets.replies import cc_addresses_clean
from otklik.tickets.selectors import (
    TicketFilters,
    categories_active,
    priorities_all,
    statuses_active,
)
from otklik.tickets.tags import tag_normalise
from otklik.tickets.uploads import upload_limit
from otklik.web.choices import RememberedChoiceField, macro_labels, request_types_active
from otklik.web.queues import queues
from otklik.web.renderers import QUICK_SELECT
from otklik.web.selectors import DEFAULT_SORT, agent_choices, agents, organization_choices

MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, checked against the uploader's size limit before anything is read."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, limit: int = 0, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.limit = limit

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(count)s files at once.") % {"count": MAX_FILES})
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        for item in cleaned:
            if self.limit and item.size is not None and item.size > self.limit:
                raise forms.ValidationError(
                    _("%(name)s is larger than the allowed %(limit)s MB.")
                    % {"name": item.name, "limit": round(self.limit / 1024 / 1024, 1)}
                )
        return cleaned


def set_choices(form: forms.BaseForm, name: str, choices: list[tuple[Any, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def style_fields(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget, and aria-invalid on fields with errors (once validated).

    It must not trigger validation itself: forms add fields after __init__ (request type fields).
    """
    errors = getattr(form, "_errors", None) or {}
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        wanted = [css, "is-invalid"] if name in errors else [css]
        widget.attrs["class"] = " ".join([*classes, *(item for item in wanted if item not in classes)])
        if "is-invalid" in wanted:
            widget.attrs["aria-invalid"] = "true"


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def full_clean(self) -> None:
        super().full_clean()
        style_fields(self)


def as_inbound(files: Sequence[UploadedFile[bytes]]) -> list[InboundAttachment]:
    return [
        InboundAttachment(
            filename=item.name or "attachment", content=item.read(),
            content_type=item.content_type or "application/octet-stream",
        )
        for item in files
    ]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


class TicketFilterForm(forms.Form):
    """The list's filters and sort, read from the query string (so a list is a link, and a saved view)."""

    SORT_CHOICES = [
        ("updated", _("Recently updated")),
        ("created", _("Newest")),
        ("priority", _("Priority")),
        ("sla", _("SLA due")),
    ]

    q = forms.CharField(label=_("Text"), required=False, max_length=200)
    queue = forms.ChoiceField(label=_("Queue"), required=False)
    status = forms.MultipleChoiceField(label=_("Status"), required=False)
    priority = forms.MultipleChoiceField(label=_("Priority"), required=False)
    # Several values each (a searchable multi-select on the page); one value, as older links have, still works.
    category = forms.TypedMultipleChoiceField(label=_("Category"), required=False, coerce=int)
    team = forms.TypedMultipleChoiceField(label=_("Team"), required=False, coerce=int)
    assignee = forms.MultipleChoiceField(label=_("Assignee"), required=False)
    requester = forms.CharField(label=_("Requester email"), required=False, max_length=254)
    organization = forms.TypedChoiceField(label=_("Organization"), required=False, coerce=int, empty_value=None)
    source = forms.MultipleChoiceField(label=_("Source"), required=False, choices=Source.choices)
    request_type = forms.TypedMultipleChoiceField(label=_("Request type"), required=False, coerce=int)
    created_from = forms.DateField(label=_("Created from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(label=_("Created to"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    updated_from = forms.DateField(label=_("Updated from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    updated_to = forms.DateField(label=_("Updated to"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=200)

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        empty = [("", "—")]
        set_choices(self, "queue", empty + [(queue.key, queue.label) for queue in queues()])
        # The choice lists come from the remembered lookups (otklik.core.lookups): the queue page, which
        # every agent reloads all day, reads none of these tables per request.
        set_choices(self, "status", [(s.code, s.label) for s in statuses_active()])
        set_choices(self, "priority", [(p.code, p.label) for p in priorities_all()])
        set_choices(self, "category", [(c.pk, c.path_label) for c in categories_active()])
        set_choices(self, "team", [(t.pk, t.label) for t in teams_all()])
        set_choices(self, "assignee", [("me", _("Me")), ("none", _("Nobody"))] + [
            (str(u.pk), str(u)) for u in agent_choices()
        ])
        set_choices(self, "organization", empty + organization_choices())
        set_choices(self, "request_type", [(r.pk, r.label) for r in request_types_active()])

    def clean_requester(self) -> str:
        email = (self.cleaned_data.get("requester") or "").strip().lower()
        if email:
            found = User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
            if found is None:
                # Kept in cleaned_data would hide the mistake behind an empty list: say it instead.
                self._requester_unknown = True
                raise forms.ValidationError(_("Nobody has the email %(email)s.") % {"email": email})
            self._requester_id = found
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end, label in (("created_from", "created_to", _("Created")),
                                  ("updated_from", "updated_to", _("Updated"))):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("%(label)s: the end date is before the start date.") % {"label": label})
        return data

    def error_list(self) -> list[str]:
        """Every filter error as one line naming its filter, for the notice above the list."""
        lines = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            for error in errors:
                lines.append(f"{label}: {error}" if label and not str(error).startswith(str(label)) else str(error))
        return lines

    def filters(self) -> TicketFilters:
        """TicketFilters from valid input; invalid parts are left out (and shown as form errors).

        An unknown requester email is the exception: it filters to nothing, beside its error."""
        self.is_valid()  # fields with errors are simply absent from cleaned_data
        data = self.cleaned_data
        assignees = data.get("assignee") or []
        assignee_ids = tuple(sorted({self.viewer.pk if value == "me" else int(value)
                                     for value in assignees if value == "me" or value.isdigit()}))
        requester_id: int | None = getattr(self, "_requester_id", None)
        if getattr(self, "_requester_unknown", False):
            requester_id = 0
        created_to, updated_to = data.get("created_to"), data.get("updated_to")
        return TicketFilters(
            status_codes=tuple(data.get("status") or ()),
            priority_codes=tuple(data.get("priority") or ()),
            category_ids=tuple(data.get("category") or ()),
            team_ids=tuple(data.get("team") or ()),
            assignee_ids=assignee_ids,
            unassigned="none" in assignees,
            requester_id=requester_id,
            organization_id=data.get("organization") or None,
            sources=tuple(data.get("source") or ()),
            request_type_ids=tuple(data.get("request_type") or ()),
            created_from=_day_start(data["created_from"]) if data.get("created_from") else None,
            created_to=_day_start(created_to + timedelta(days=1)) if created_to else None,
            updated_from=_day_start(data["updated_from"]) if data.get("updated_from") else None,
            updated_to=_day_start(updated_to + timedelta(days=1)) if updated_to else None,
            text=(data.get("q") or "").strip(),
            tags=tuple(tag_normalise(name) for name in (data.get("tag") or "").split(",") if tag_normalise(name)),
        )

    def sort_key(self) -> str:
        sort = self.cleaned_data.get("sort") if self.is_valid() else ""
        return sort or DEFAULT_SORT

    def queue_key(self) -> str:
        return (self.cleaned_data.get("queue") if self.is_valid() else "") or ""


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
                           max_length=100_000)
    new_status = forms.ModelChoiceField(
        label=_("Then set status"), queryset=Status.objects.filter(is_active=True), required=False,
        empty_label=_("keep the current status"),
    )
    attachments = MultipleFileField(label=_("Attachments"))
    # Set by the agent after a warning about forbidden words: "send it as written".
    send_anyway = forms.BooleanField(label=_("Send anyway"), required=False)
    cc = forms.CharField(label=_("Cc"), required=False, max_length=2000)

    def __init__(self, *args: Any, uploader: User | None, allow_status: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].limit = upload_limit(uploader)  # type: ignore[attr-defined]
        if not allow_status:
            del self.fields["new_status"]

    def clean_cc(self) -> list[str]:
        try:
            return cc_addresses_clean(self.cleaned_data.get("cc") or "")
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from error

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return data


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                           max_length=100_000)
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, uploader: User | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].limit = upload_limit(uploader)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a note or attach a file."))
        return data


class OnBehalfForm(StyledForm):
    """A request that came by phone, typed in by an agent: the requester (found or new), the request type's
    own fields (the portal's rendering and checks), category and files."""

    requester_email = forms.EmailField(label=_("Requester email"))
    requester_name = forms.CharField(
        label=_("Name (for a new requester)"), required=False, max_length=300,
        help_text=_("Only needed when this email is not known yet."),
    )
    requester_phone = forms.CharField(label=_("Phone (for a new requester)"), required=False, max_length=50)
    subject = forms.CharField(label=_("Subject"), max_length=500)
    body = forms.CharField(label=_("What the requester said"), widget=forms.Textarea(attrs={"rows": 5}),
                           required=False, max_length=100_000)
    source = forms.ChoiceField(label=_("Came by"), choices=Source.choices, initial=Source.PHONE)
    request_type = forms.ModelChoiceField(label=_("Request type"), queryset=RequestType.objects.none(),
                                          required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    priority = forms.ModelChoiceField(label=_("Priority"), queryset=Priority.objects.all(), required=False)
    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False, initial=True)

    def __init__(self, *args: Any, uploader: User | None = None, language: str = "",
                 request_type_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = RequestType.objects.filter(is_active=True)
        self.fields["request_type"].queryset = types  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(is_active=True)  # type: ignore[attr-defined]
        # The chosen type's fields: the posted one, else the one asked for in the address (?request_type=).
        raw = str(self.data.get("request_type", "")) if self.is_bound else request_type_id
        self.chosen_type = types.prefetch_related("fields").filter(pk=int(raw)).first() if raw.isdigit() else None
        if self.chosen_type is not None and not self.is_bound:
            self.fields["request_type"].initial = self.chosen_type.pk
        # Staff fill internal-only fields too (access.ensure_may_set_fields lets them).
        self.custom_fields = list(self.chosen_type.fields.all()) if self.chosen_type is not None else []
        add_custom_fields(self, self.custom_fields, language)
        self.fields["attachments"] = MultipleFileField(label=_("Attachments"), limit=upload_limit(uploader))
        style_fields(self)

    def field_values(self) -> dict[str, Any]:
        return custom_field_values(self, self.custom_fields)

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[f"field_{field.code}"] for field in self.custom_fields]


class RatingForm(StyledForm):
    score = forms.TypedChoiceField(
        label=_("How good was the answer?"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("5 — excellent")), (4, _("4 — good")), (3, _("3 — fair")), (2, _("2 — poor")),
                 (1, _("1 — bad"))],
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


class ProfileForm(forms.ModelForm[User]):
    def full_clean(self) -> None:
        super().full_clean()
        style_fields(self)

    language = forms.ChoiceField(label=_("Language"), required=False)
    # A text input with a list of suggestions: a <select> of ~400 zones costs tens of ms to render.
    time_zone = forms.CharField(
        label=_("Time zone"), required=False, max_length=64,
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )

    # Saved by accounts.services.user_set_signature (the view calls it), not by the model form.
    signature = forms.CharField(
        label=_("Signature"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Added under your public replies (not under internal notes). Markdown works."),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "language", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "language", [("", _("As the browser says"))] + [
            (code, name) for code, name in settings.LANGUAGES
        ])
        self.fields["time_zone"].help_text = _("For example Europe/Moscow. Empty: the service's (%(zone)s).") % {
            "zone": settings.TIME_ZONE
        }
        if not self.instance.is_staff_member:
            del self.fields["signature"]
        else:
            self.fields["signature"].initial = self.instance.signature
        style_fields(self)

    def clean_time_zone(self) -> str:
        zone = (self.cleaned_data.get("time_zone") or "").strip()
        if zone and zone not in time_zone_names():
            raise forms.ValidationError(_("Unknown time zone. Choose one from the list, e.g. Europe/Moscow."))
        return zone


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=100)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class BulkForm(forms.Form):
    ACTIONS = [
        ("assign", _("Assign to")),
        ("status", _("Set status")),
        ("priority", _("Set priority")),
        ("team", _("Move to team")),
        ("macro", _("Apply a macro")),
    ]
    tickets = forms.TypedMultipleChoiceField(coerce=int)  # choices: any int; visibility is checked by services
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    assignee = RememberedChoiceField(agent_choices, label=_("Assignee"), queryset=User.objects.none(),
                                     required=False, empty_label=_("Nobody"))
    status = RememberedChoiceField(statuses_active, label=_("Status"),
                                   queryset=Status.objects.filter(is_active=True), required=False)
    priority = RememberedChoiceField(priorities_all, label=_("Priority"), queryset=Priority.objects.all(),
                                     required=False)
    team = RememberedChoiceField(teams_all, label=_("Team"), queryset=Team.objects.all(), required=False,
                                 empty_label=_("No team"))

    macro = forms.TypedChoiceField(label=_("Macro"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, viewer: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents()  # type: ignore[attr-defined]
        # The macros the viewer is offered (applying checks it again, per ticket).
        set_choices(self, "macro", [(macro.pk, macro.label) for macro in macro_labels(viewer)]
                    if viewer is not None else [])
        raw = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        set_choices(self, "tickets", [(value, value) for value in raw if str(value).isdigit()])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action in {"status", "priority", "macro"} and not data.get(action):
            self.add_error(action, _("Choose a value."))
        return data


def custom_field_form_field(field: CustomField, language: str) -> forms.Field:
    """The form field for one custom field of a request type; the service validates values again."""
    label = field.label_ru if language.startswith("ru") and field.label_ru else field.label
    common: dict[str, Any] = {"label": label, "required": field.required}
    if field.kind == FieldKind.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, **common)
    if field.kind == FieldKind.NUMBER:
        return forms.DecimalField(**common)
    if field.kind == FieldKind.DATE:
        # The browser's date picker shows the person's locale format and offers only allowed days;
        # the service checks the same rule (otklik.tickets.fields.check_date_rule).
        attrs: dict[str, str] = {"type": "date"}
        today = timezone.localdate().isoformat()
        if field.date_rule == DateRule.FUTURE:
            attrs["min"] = today
        elif field.date_rule == DateRule.PAST:
            attrs["max"] = today
        return forms.DateField(widget=forms.DateInput(attrs=attrs, format="%Y-%m-%d"), **common)
    if field.kind == FieldKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in field.choices]], **common)
    if field.kind == FieldKind.MULTI_CHOICE:
        return forms.MultipleChoiceField(choices=[(c, c) for c in field.choices],
                                         widget=forms.CheckboxSelectMultiple, **common)
    if field.kind == FieldKind.USER:
        # Ordered by name: without an order the options moved from one request to the next.
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "email", "pk")
        return forms.ModelChoiceField(queryset=people, **common)
    return forms.CharField(max_length=500, **common)


def add_custom_fields(form: forms.BaseForm, custom_fields: Sequence[CustomField], language: str) -> None:
    """The request type's fields as `field_<code>` form fields: the portal and the phone form share this."""
    for field in custom_fields:
        form.fields[f"field_{field.code}"] = custom_field_form_field(field, language)


def custom_field_values(form: forms.Form, custom_fields: Sequence[CustomField]) -> dict[str, Any]:
    """The filled custom fields as the services take them (empty ones left out)."""
    values: dict[str, Any] = {}
    for field in custom_fields:
        value = form.cleaned_data.get(f"field_{field.code}")
        if value in (None, "", []):
            continue
        values[field.code] = field_value_for_service(value)
    return values


def add_service_field_errors(form: forms.Form, errors: dict[str, str]) -> None:
    """A service's per-field refusals next to their fields (custom fields by code); the rest is already in
    the page's message (report_error)."""
    for code, message in errors.items():
        name = f"field_{code}" if f"field_{code}" in form.fields else code
        if name in form.fields:
            form.add_error(name, message)


class PortalRequestForm(StyledForm):
    """A request through a request type: subject, description, its fields, criticality when allowed."""

    subject = forms.CharField(label=_("Subject"), max_length=500)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
                           max_length=100_000)

    def __init__(self, *args: Any, request_type: RequestType, requester: User, language: str,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.custom_fields = [f for f in request_type.fields.all() if not f.internal_only]
        add_custom_fields(self, self.custom_fields, language)
        if request_type.requester_sets_priority:
            self.fields["priority"] = forms.ModelChoiceField(
                label=_("How critical is it?"), queryset=Priority.objects.order_by("rank"), required=False,
                empty_label=_("Normal (let support decide)"),
            )
        self.fields["attachments"] = MultipleFileField(label=_("Attachments"), limit=upload_limit(requester))
        style_fields(self)

    def field_values(self) -> dict[str, Any]:
        return custom_field_values(self, self.custom_fields)


def field_value_for_service(value: Any) -> Any:
    """A cleaned form value as the services store it (dates as ISO text, people by id, numbers as text)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, User):
        return value.pk
    if value is None or isinstance(value, list):
        return value
    return str(value)


class TicketFieldsForm(StyledForm):
    """The agent's in-place editor of a ticket's request type and custom fields.

    It shows the fields of the request type being chosen (the posted one, else the ticket's), with the
    ticket's values as initial; the services validate again, with the same rules as the API and portal."""

    default_renderer = QUICK_SELECT  # the page renders this editor on every view

    request_type = RememberedChoiceField(request_types_active, label=_("Request type"),
                                         queryset=RequestType.objects.none(), required=False, empty_label="—")

    def __init__(self, *args: Any, ticket: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        # Offered: the active types and the ticket's own (even retired), as the queryset that checks a post.
        self.fields["request_type"].rows = lambda: request_types_active(  # type: ignore[attr-defined]
            also=ticket.request_type_id)
        self.fields["request_type"].queryset = RequestType.objects.filter(  # type: ignore[attr-defined]
            Q(is_active=True) | Q(pk=ticket.request_type_id)
        )
        self.fields["request_type"].initial = ticket.request_type_id
        chosen = ticket.request_type
        raw = self.data.get("request_type") if self.is_bound else None
        if raw is not None:
            chosen = RequestType.objects.filter(pk=int(raw)).first() if str(raw).isdigit() else None
        self.chosen_type = chosen
        self.custom_fields = list(chosen.fields.all()) if chosen is not None else []
        values = ticket.fields or {}
        for field in self.custom_fields:
            form_field = custom_field_form_field(field, language)
            form_field.required = False  # "required" is the service's rule, reported next to the field
            initial = values.get(field.code)
            if field.kind == FieldKind.USER and initial is not None:
                initial = str(initial)
            form_field.initial = initial
            self.fields[f"field_{field.code}"] = form_field
        style_fields(self)

    def type_changed(self) -> bool:
        chosen = self.cleaned_data.get("request_type")
        return bool((chosen.pk if chosen else None) != self.ticket.request_type_id)

    def values(self) -> dict[str, Any]:
        """Every shown field's value; empty ones as None, so the service clears (or requires) them."""
        result: dict[str, Any] = {}
        for field in self.custom_fields:
            value = self.cleaned_data.get(f"field_{field.code}")
            result[field.code] = None if value in (None, "", []) else field_value_for_service(value)
        return result

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for code, message in errors.items():
            name = f"field_{code}"
            self.add_error(name if name in self.fields else None, message)
        style_fields(self)
