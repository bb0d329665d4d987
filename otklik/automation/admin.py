"""Admin screens for automation: everything is configured here, no code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts
    from django.utils.functional import _StrPromise

from otklik.automation.conditions import FIELD_CODE
from otklik.automation.forbidden import pattern_problem
from otklik.automation.models import (
    AgentAvailability,
    AssigneeStrategy,
    AssignmentRule,
    AutomationSettings,
    CannedReply,
    ForbiddenWord,
    ForbiddenWordHit,
    Macro,
    MacroAssignee,
    NotifyRole,
    TeamRouting,
    TimeRule,
    TimeRuleKind,
    TimeRuleStep,
    Trigger,
    TriggerRun,
)
from otklik.notifications.rendering import template_check
from otklik.tickets.models import Source
from otklik.worktime import validate_calendar

WEEKDAYS = [
    ("0", _("Monday")), ("1", _("Tuesday")), ("2", _("Wednesday")), ("3", _("Thursday")),
    ("4", _("Friday")), ("5", _("Saturday")), ("6", _("Sunday")),
]
CONDITION_M2M = ("categories", "request_types", "priorities", "organizations")


class ConditionsForm(forms.ModelForm[Any]):
    sources = forms.MultipleChoiceField(
        label=_("sources"), choices=Source.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    weekdays = forms.MultipleChoiceField(
        label=_("weekdays"), choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["weekdays"] = [str(day) for day in self.instance.weekdays or []]

    def clean_weekdays(self) -> list[int]:
        return sorted(int(day) for day in self.cleaned_data.get("weekdays") or [])

    def clean_field_values(self) -> dict[str, list[str]]:
        values = self.cleaned_data.get("field_values") or {}
        if not isinstance(values, dict):
            raise forms.ValidationError(_('Enter an object such as {"system": ["VPN"]}.'))
        cleaned: dict[str, list[str]] = {}
        for code, accepted in values.items():
            if not isinstance(code, str) or not FIELD_CODE.match(code):
                raise forms.ValidationError(_("%(code)s is not a field code.") % {"code": code})
            items = accepted if isinstance(accepted, list) else [accepted]
            if not items or any(isinstance(item, dict | list) or item in (None, "") for item in items):
                raise forms.ValidationError(_("Give %(code)s one or more plain values.") % {"code": code})
            cleaned[code] = [str(item) for item in items]
        return cleaned

    def clean_mailboxes(self) -> str:
        lines = [line.strip().lower() for line in (self.cleaned_data.get("mailboxes") or "").splitlines()]
        bad = [line for line in lines if line and "@" not in line]
        if bad:
            raise forms.ValidationError(_("Not an email address: %(value)s") % {"value": bad[0]})
        return "\n".join(line for line in lines if line)

    def _check_assignee(self, cleaned: dict[str, Any]) -> None:
        strategy = cleaned.get("assignee_strategy")
        if strategy == AssigneeStrategy.PERSON and not cleaned.get("assignee"):
            self.add_error("assignee", _("Choose the person."))
        person = cleaned.get("assignee")
        if person is not None and not (person.can_write or person.is_superuser):
            self.add_error("assignee", _("Only agents, managers and administrators can be assigned."))


CONDITION_FIELDSET: tuple[str | _StrPromise, _FieldOpts] = (_("Conditions (empty means any)"), {"fields": (
    "categories", "include_subcategories", "request_types", "priorities", "sources", "organizations",
    "mailboxes", "field_values", ("time_from", "time_to"), "weekdays",
)})


class AssignmentRuleForm(ConditionsForm):
    class Meta:
        model = AssignmentRule
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_assignee(cleaned)
        return cleaned


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin[AssignmentRule]):
    form = AssignmentRuleForm
    list_display = ("name", "order", "is_active", "run_on_create", "run_on_change", "set_team",
                    "assignee_strategy", "assignee")
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "assignee_strategy", "set_team")
    search_fields = ("name",)
    list_select_related = ("set_team", "assignee")
    filter_horizontal = (*CONDITION_M2M, "add_watchers")
    fieldsets = (
        (None, {"fields": ("name", "order", "is_active", "run_on_create", "run_on_change"),
                "description": _("Rules are tried in order; the first whose conditions all hold is applied.")}),
        CONDITION_FIELDSET,
        (_("Actions"), {"fields": ("set_team", "assignee_strategy", "assignee", "set_priority", "add_watchers")}),
    )


class TriggerForm(ConditionsForm):
    notify_roles = forms.MultipleChoiceField(
        label=_("notify"), choices=NotifyRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Trigger
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_assignee(cleaned)
        for name in ("add_note", "notify_subject", "notify_body"):
            problem = template_check(cleaned.get(name) or "")
            if problem:
                self.add_error(name, _("This text does not compile: %(problem)s") % {"problem": problem})
        if cleaned.get("notify_roles") and not (cleaned.get("notify_subject") or cleaned.get("notify_body")):
            self.add_error("notify_body", _("Write what the notification should say."))
        status = cleaned.get("set_status")
        if status is not None and not status.is_active:
            self.add_error("set_status", _("This status is not in use."))
        return cleaned


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin[Trigger]):
    form = TriggerForm
    list_display = ("name", "event", "order", "is_active", "preview_link")
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "event")
    search_fields = ("name",)
    filter_horizontal = (*CONDITION_M2M, "statuses", "teams")
    autocomplete_fields = ("tags", "add_tags")
    readonly_fields = ("preview_link",)
    fieldsets = (
        (None, {"fields": ("name", "event", "order", "is_active", "preview_link"), "description": _(
            "Every matching trigger runs, in order. Changes made by triggers never fire triggers again.")}),
        CONDITION_FIELDSET,
        (_("Ticket state"), {"fields": ("statuses", "teams", "assignee_state", "tags")}),
        (_("Actions"), {"fields": (
            "set_status", "set_priority", "set_team", "assignee_strategy", "assignee", "add_tags", "add_note",
            "send_reply",
            "notify_roles", "notify_subject", "notify_body",
        ), "description": _("Texts may use {{ ticket_number }}, {{ ticket_subject }}, {{ status }}, "
                            "{{ priority }} and {{ team }}.")}),
    )

    @admin.display(description=_("preview"))
    def preview_link(self, trigger: Trigger) -> SafeString | str:
        if not trigger.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("automation:trigger_preview", args=[trigger.pk]),
                           _("Which existing tickets match?"))


@admin.register(TriggerRun)
class TriggerRunAdmin(admin.ModelAdmin[TriggerRun]):
    list_display = ("created_at", "trigger", "ticket", "outcome")
    list_filter = ("trigger",)
    list_select_related = ("trigger", "ticket")
    raw_id_fields = ("event", "ticket")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class TimeRuleForm(forms.ModelForm[TimeRule]):
    class Meta:
        model = TimeRule
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind in {TimeRuleKind.AUTO_CLOSE_RESOLVED, TimeRuleKind.REMIND_THEN_CLOSE} and not cleaned.get("after_days"):
            self.add_error("after_days", _("How many days?"))
        if kind == TimeRuleKind.ESCALATE_UNASSIGNED and not cleaned.get("after_minutes"):
            self.add_error("after_minutes", _("How many minutes?"))
        return cleaned


@admin.register(TimeRule)
class TimeRuleAdmin(admin.ModelAdmin[TimeRule]):
    form = TimeRuleForm
    list_display = ("name", "kind", "after_days", "close_after_days", "after_minutes", "is_active")
    list_filter = ("kind", "is_active")
    filter_horizontal = ("teams",)


@admin.register(TimeRuleStep)
class TimeRuleStepAdmin(admin.ModelAdmin[TimeRuleStep]):
    list_display = ("created_at", "rule", "step", "ticket", "episode_start")
    list_filter = ("rule", "step")
    raw_id_fields = ("ticket",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ForbiddenWordForm(forms.ModelForm[ForbiddenWord]):
    class Meta:
        model = ForbiddenWord
        fields = ["phrase", "is_regex", "note", "is_active"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        problem = pattern_problem(cleaned.get("phrase") or "", bool(cleaned.get("is_regex")))
        if problem:
            self.add_error("phrase", problem)
        return cleaned


@admin.register(ForbiddenWord)
class ForbiddenWordAdmin(admin.ModelAdmin[ForbiddenWord]):
    form = ForbiddenWordForm
    list_display = ("phrase", "is_regex", "is_active", "note")
    list_filter = ("is_active", "is_regex")
    search_fields = ("phrase", "note")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = {**(extra_context or {}), "subtitle": format_html(
            '<a href="{}">{}</a>', reverse("automation:forbidden_report"), _("Report of sent replies that matched")
        )}
        return super().changelist_view(request, extra_context)


@admin.register(ForbiddenWordHit)
class ForbiddenWordHitAdmin(admin.ModelAdmin[ForbiddenWordHit]):
    list_display = ("sent_at", "phrase", "matched_text", "author", "ticket")
    list_filter = ("phrase",)
    list_select_related = ("author", "ticket")
    raw_id_fields = ("message", "ticket", "author", "word")
    date_hierarchy = "sent_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin[CannedReply]):
    list_display = ("title", "language", "team", "owner", "is_active", "order")
    list_filter = ("is_active", "language", "team")
    search_fields = ("title", "body", "body_ru")
    list_editable = ("is_active", "order")
    raw_id_fields = ("owner",)


class MacroForm(forms.ModelForm[Macro]):
    class Meta:
        model = Macro
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("text_kind") and not (cleaned.get("body") or "").strip():
            self.add_error("body", _("Write the text, or choose “No text”."))
        if (cleaned.get("body") or "").strip() and not cleaned.get("text_kind"):
            self.add_error("text_kind", _("Choose whether the text is a public reply or an internal note."))
        if cleaned.get("assignee_action") == MacroAssignee.PERSON and cleaned.get("assignee") is None:
            self.add_error("assignee", _("Choose the person."))
        if cleaned.get("owner") is not None and cleaned.get("team") is not None:
            self.add_error("team", _("A personal macro belongs to no team."))
        return cleaned


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin[Macro]):
    """Shared macros (no owner, no team) are made here; agents keep their own and their teams' in the
    workspace."""

    form = MacroForm
    list_display = ("title", "title_ru", "team", "owner", "is_active", "order")
    list_filter = ("is_active", "team", "text_kind")
    search_fields = ("title", "title_ru", "body", "body_ru")
    list_editable = ("is_active", "order")
    raw_id_fields = ("owner",)
    autocomplete_fields = ("add_tags", "remove_tags")
    list_select_related = ("team", "owner")
    fieldsets = (
        (
            None,
            {
                "fields": ("title", "title_ru", "team", "owner", "is_active", "order"),
                "description": _(
                    "With an owner the macro is personal; with a team, that team's; with neither, every agent's."
                ),
            },
        ),
        (
            _("Fields"),
            {
                "fields": (
                    "set_status",
                    "set_priority",
                    "set_category",
                    "set_team",
                    "assignee_action",
                    "assignee",
                    "add_tags",
                    "remove_tags",
                )
            },
        ),
        (_("Text"), {"fields": ("text_kind", "body", "body_ru")}),
    )


class AgentAvailabilityForm(forms.ModelForm[AgentAvailability]):
    class Meta:
        model = AgentAvailability
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        hours = cleaned.get("weekly_hours")
        if hours:
            zone = cleaned.get("time_zone") or settings.TIME_ZONE
            check = validate_calendar(zone, hours, [])
            if not check.is_valid:
                self.add_error("weekly_hours", "; ".join(check.problems))
        return cleaned


@admin.register(AgentAvailability)
class AgentAvailabilityAdmin(admin.ModelAdmin[AgentAvailability]):
    form = AgentAvailabilityForm
    list_display = ("user", "is_away", "away_until", "auto_assign", "time_zone")
    list_filter = ("is_away", "auto_assign")
    search_fields = ("user__email", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin[TeamRouting]):
    list_display = ("team", "default_assignee", "last_assigned")
    readonly_fields = ("last_assigned",)
    list_select_related = ("team", "default_assignee", "last_assigned")


@admin.register(AutomationSettings)
class AutomationSettingsAdmin(admin.ModelAdmin[AutomationSettings]):
    list_display = ("__str__", "default_assignee", "automation_user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AutomationSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
