"""Admin screens: schedules with a week editor ("until midnight", night shifts split at midnight),
holiday calendars with the Russian production calendar import, policies with a due-time preview,
and read-only views of clocks and re-plan runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.core.errors import DomainError
from otklik.sla import recalculation
from otklik.sla.calendars import CalendarData, SlaConfigError, policy_calendar_data, schedule_calendar_data
from otklik.sla.models import (
    CalendarException,
    ExceptionKind,
    HolidayCalendar,
    ReplanRun,
    Schedule,
    SlaClock,
    SlaClockEvent,
    SlaPolicy,
)
from otklik.sla.production_calendar import apply_import, plan_import
from otklik.worktime import (
    WEEKDAY_KEYS,
    CalendarConfigError,
    load_timezone,
    parse_day_hours,
    parse_exception,
    parse_schedule,
    schedule_warnings,
)

DAY_LABELS = {
    "mon": gettext_lazy("Monday"), "tue": gettext_lazy("Tuesday"), "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"), "fri": gettext_lazy("Friday"), "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}


# ---------------------------------------------------------------- the week editor


def day_to_text(value: object) -> tuple[str, bool]:
    """Stored day rule -> (editor text, "until midnight" ticked)."""
    if value == "24h":
        return "24h", False
    if value in ("off", [], None):
        return "off", False
    assert isinstance(value, list)
    until_midnight = bool(value) and value[-1][1] == "24:00"
    parts = [f"{start}-{end}" for start, end in value]
    if until_midnight:
        parts[-1] = parts[-1].rsplit("-", 1)[0] + "-24:00"
    return ", ".join(parts), until_midnight


def parse_week_texts(texts: dict[str, str], until_midnight: dict[str, bool]) -> dict[str, object]:
    """Editor texts -> stored week. "22:00-06:00" is a night shift: the part after midnight moves
    to the next day (SPEC 3.1 rule 2). Raises CalendarConfigError naming the day."""
    week: dict[str, list[list[str]] | str] = {}
    carried: dict[str, list[list[str]]] = {key: [] for key in WEEKDAY_KEYS}
    problems: list[str] = []
    for index, key in enumerate(WEEKDAY_KEYS):
        text = (texts.get(key) or "").strip().lower()
        if text in ("24h", "24/7", "00:00-24:00"):
            week[key] = "24h"
            continue
        if text in ("", "off", "-"):
            if until_midnight.get(key):
                problems.append(f"{DAY_LABELS[key]}: " + _("'until midnight' needs working hours"))
            week[key] = []
            continue
        intervals: list[list[str]] = []
        for part in (p.strip() for p in text.replace(";", ",").split(",") if p.strip()):
            start, sep, end = part.partition("-")
            start, end = start.strip(), end.strip()
            if not sep:
                problems.append(f"{DAY_LABELS[key]}: " + _("%(part)s is not HH:MM-HH:MM") % {"part": part})
                continue
            if end and start and end < start and end != "24:00":
                intervals.append([start, "24:00"])
                if end != "00:00":
                    carried[WEEKDAY_KEYS[(index + 1) % 7]].append(["00:00", end])
                continue
            intervals.append([start, end])
        if until_midnight.get(key) and intervals:
            intervals[-1][1] = "24:00"
        week[key] = intervals
    for key, extra in carried.items():
        if not extra:
            continue
        if week.get(key) == "24h":
            continue
        day = week.get(key)
        week[key] = [*extra, *(day if isinstance(day, list) else [])]
    result: dict[str, object] = {key: (value if value else "off") for key, value in week.items()}
    try:
        parsed = parse_schedule(result)
    except CalendarConfigError as error:
        problems.extend(_localise_day(problem) for problem in error.problems)
    if problems:
        raise CalendarConfigError(problems)
    return parsed.to_data()  # type: ignore[return-value]


def _localise_day(problem: str) -> str:
    key, sep, rest = problem.partition(": ")
    return f"{DAY_LABELS[key]}: {rest}" if sep and key in DAY_LABELS else problem


DAY_HELP = gettext_lazy('"off", "24h" or intervals such as 09:00-13:00, 14:00-18:00; 22:00-06:00 is a night '
                         "shift that continues after midnight on the next day.")


def _week_fields() -> dict[str, forms.Field]:
    declared: dict[str, forms.Field] = {}
    for key in WEEKDAY_KEYS:
        declared[f"day_{key}"] = forms.CharField(label=DAY_LABELS[key], required=False, help_text=DAY_HELP)
        declared[f"midnight_{key}"] = forms.BooleanField(label=gettext_lazy("until midnight (24:00)"),
                                                          required=False)
    return declared


class ScheduleFormBase(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Schedule
        fields = ["name", "timezone", "holiday_calendar"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        week = self.instance.week if self.instance.pk else Schedule._meta.get_field("week").get_default()
        for key in WEEKDAY_KEYS:
            text, midnight = day_to_text(week.get(key, "off"))
            self.initial.setdefault(f"day_{key}", text)
            self.initial.setdefault(f"midnight_{key}", midnight)

    def clean_timezone(self) -> str:
        value = str(self.cleaned_data["timezone"]).strip()
        try:
            load_timezone(value)
        except CalendarConfigError as error:
            raise forms.ValidationError("; ".join(error.problems)) from error
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        texts = {key: cleaned.get(f"day_{key}", "") for key in WEEKDAY_KEYS}
        midnight = {key: bool(cleaned.get(f"midnight_{key}")) for key in WEEKDAY_KEYS}
        try:
            self.instance.week = parse_week_texts(texts, midnight)
        except CalendarConfigError as error:
            raise forms.ValidationError(list(error.problems)) from error
        return cleaned


ScheduleForm = type("ScheduleForm", (ScheduleFormBase,), _week_fields())


def preview_html(data: CalendarData, policy: SlaPolicy | None = None) -> str:
    """'A ticket created now would be due at …' for each target, in the schedule's zone."""
    try:
        calendar = data.build()
    except CalendarConfigError as error:
        return format_html("<span class='errornote'>{}</span>", "; ".join(error.problems))
    now = timezone.now()
    zone = calendar.timezone
    targets = [(_("1 working hour"), 60), (_("8 working hours"), 480)]
    if policy is not None:
        targets = [(label, minutes) for label, minutes in (
            (_("reaction"), policy.reaction_minutes), (_("resolution"), policy.resolution_minutes),
            (_("next reply"), policy.next_reply_minutes)) if minutes]
    rows = []
    for label, minutes in targets:
        due = calendar.due_at(now, minutes)
        when = due.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") if due else _("never (no working time ahead)")
        rows.append((label, minutes, when))
    intro = _("A ticket created now (%(now)s) would be due at:") % {
        "now": now.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")}
    return format_html("{}<ul>{}</ul>", intro, format_html_join(
        "", "<li>{} ({} min): <strong>{}</strong></li>", rows))


def recalculate_open_tickets(request: HttpRequest, *, schedule_ids: tuple[int, ...] = (),
                             holiday_calendar_ids: tuple[int, ...] = ()) -> None:
    """SPEC 7.4: the explicit, audited replay of open clocks on today's calendar, as a background run."""
    user = request.user
    assert user.is_authenticated
    try:
        run = recalculation.recalculate_request(actor=user, now=timezone.now(), schedule_ids=schedule_ids,
                                           holiday_calendar_ids=holiday_calendar_ids)
    except DomainError as error:
        messages.error(request, str(error.message))
        return
    if run is None:
        messages.info(request, _("No SLA policy uses the selected rows; there is nothing to recalculate."))
        return
    messages.success(request, _("Recalculation of %(count)s open SLA clocks started in the background; its "
                                "progress is shown under re-plan runs.") % {"count": run.total})


RECALCULATE_LABEL = gettext_lazy("Recalculate open tickets from their start")


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ScheduleForm
    list_display = ["name", "timezone", "holiday_calendar", "updated_at"]
    readonly_fields = ["preview"]
    actions = ["recalculate"]

    @admin.action(description=RECALCULATE_LABEL, permissions=["change"])
    def recalculate(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        recalculate_open_tickets(request, schedule_ids=tuple(queryset.values_list("pk", flat=True)))

    def get_fieldsets(self, request: HttpRequest, obj: Schedule | None = None) -> Any:
        days = [field for key in WEEKDAY_KEYS for field in (f"day_{key}", f"midnight_{key}")]
        return [
            (None, {"fields": ["name", "timezone", "holiday_calendar"]}),
            (_("Working hours"), {"fields": days}),
            (_("Preview"), {"fields": ["preview"]}),
        ]

    @admin.display(description=gettext_lazy("Due-time preview"))
    def preview(self, obj: Schedule) -> str:
        if obj.pk is None:
            return "—"
        return preview_html(schedule_calendar_data(obj))

    def save_model(self, request: HttpRequest, obj: Schedule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in schedule_warnings(parse_schedule(obj.week)):
            messages.warning(request, warning)


# ---------------------------------------------------------------- exceptions and calendars


class ExceptionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CalendarException
        fields = ["name", "kind", "date_from", "date_to", "hours"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, start, end = cleaned.get("kind"), cleaned.get("date_from"), cleaned.get("date_to")
        if kind is None or start is None or end is None:
            return cleaned
        hours = cleaned.get("hours")
        if kind == ExceptionKind.REST:
            cleaned["hours"] = None
        data: dict[str, object] = {"name": cleaned.get("name", ""), "kind": kind, "from": start.isoformat(),
                                   "to": end.isoformat()}
        if kind == ExceptionKind.WORK:
            data["hours"] = hours
            try:
                parse_day_hours(hours)
            except CalendarConfigError as error:
                raise forms.ValidationError({"hours": list(error.problems)}) from error
        try:
            parse_exception(data)
        except CalendarConfigError as error:
            raise forms.ValidationError(list(error.problems)) from error
        return cleaned


class CalendarExceptionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CalendarException
    form = ExceptionForm
    fk_name = "holiday_calendar"
    extra = 1
    fields = ["name", "kind", "date_from", "date_to", "hours"]


class PolicyExceptionInline(CalendarExceptionInline):
    fk_name = "policy"


def overlaps_html(rows: list[CalendarException]) -> str:
    """Overlapping exceptions and which one wins each shared date (SPEC 3.2)."""
    from otklik.worktime import parse_exceptions, winning_exception

    try:
        parsed = parse_exceptions([row.to_data() for row in rows])
    except CalendarConfigError as error:
        return "; ".join(error.problems)
    lines = []
    for index, first in enumerate(parsed):
        for second in parsed[index + 1:]:
            start = max(first.first_day, second.first_day)
            end = min(first.last_day, second.last_day)
            if start > end:
                continue
            winner = winning_exception(parsed, start)
            lines.append((f"{first.name} / {second.name}", f"{start.isoformat()}..{end.isoformat()}",
                          winner.name if winner else "—"))
    if not lines:
        return _("No overlapping exceptions.")
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{} {}: {} " + _("wins") + "</li>", lines))


@admin.register(HolidayCalendar)
class HolidayCalendarAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "exception_count", "updated_at"]
    inlines = [CalendarExceptionInline]
    readonly_fields = ["overlaps"]
    actions = ["import_ru_this_year", "import_ru_next_year", "recalculate"]

    @admin.action(description=RECALCULATE_LABEL, permissions=["change"])
    def recalculate(self, request: HttpRequest, queryset: QuerySet[HolidayCalendar]) -> None:
        recalculate_open_tickets(request, holiday_calendar_ids=tuple(queryset.values_list("pk", flat=True)))

    def get_queryset(self, request: HttpRequest) -> QuerySet[HolidayCalendar]:
        from django.db.models import Count

        queryset: QuerySet[HolidayCalendar] = super().get_queryset(request)
        return queryset.annotate(exception_total=Count("exceptions"))

    @admin.display(description=gettext_lazy("exceptions"))
    def exception_count(self, obj: HolidayCalendar) -> int:
        return int(getattr(obj, "exception_total", 0))

    @admin.display(description=gettext_lazy("Overlaps"))
    def overlaps(self, obj: HolidayCalendar) -> str:
        if obj.pk is None:
            return "—"
        return overlaps_html(list(obj.exceptions.order_by("date_from", "id")))

    def _import(self, request: HttpRequest, queryset: QuerySet[HolidayCalendar], year: int) -> None:
        for calendar in queryset:
            schedule = calendar.schedules.order_by("pk").first()
            hours = schedule.week.get("mon") if schedule is not None else None
            try:
                plan = plan_import(calendar, year, work_hours=hours if isinstance(hours, list) else None,
                                   shorten=True)
            except ValueError as error:
                messages.error(request, f"{calendar.name}: {error}")
                continue
            added = apply_import(plan)
            messages.info(request, "; ".join(plan.lines()[:1]) + f" — {added} " + _("added"))
            if plan.conflicts:
                messages.warning(request, "\n".join(line for line in plan.lines() if line.lstrip().startswith("!")))

    @admin.action(description=gettext_lazy("Import the Russian production calendar: this year"))
    def import_ru_this_year(self, request: HttpRequest, queryset: QuerySet[HolidayCalendar]) -> None:
        self._import(request, queryset, timezone.localdate().year)

    @admin.action(description=gettext_lazy("Import the Russian production calendar: next year"))
    def import_ru_next_year(self, request: HttpRequest, queryset: QuerySet[HolidayCalendar]) -> None:
        self._import(request, queryset, timezone.localdate().year + 1)


# ---------------------------------------------------------------- policies


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "position", "is_active", "is_default", "schedule", "reaction_minutes",
                    "resolution_minutes", "next_reply_minutes", "responsible_user"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "schedule"]
    filter_horizontal = ["organizations", "categories", "request_types", "priorities"]
    inlines = [PolicyExceptionInline]
    readonly_fields = ["preview", "calendar_key", "calendar_changed_at"]
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active", "is_default"]}),
        (gettext_lazy("Targets"), {"fields": ["reaction_minutes", "resolution_minutes", "next_reply_minutes",
                                               "warn_before_minutes",
                                               "responsible_user", "assign_on_breach"]}),
        (gettext_lazy("Calendar"), {"fields": ["schedule", "holiday_calendar", "preview"]}),
        (gettext_lazy("Matches tickets of (empty: any)"), {"fields": [
            "organizations", "categories", "include_subcategories", "request_types", "priorities"]}),
        (gettext_lazy("Technical"), {"classes": ["collapse"], "fields": ["calendar_key", "calendar_changed_at"]}),
    ]

    @admin.display(description=gettext_lazy("Due-time preview"))
    def preview(self, obj: SlaPolicy) -> str:
        if obj.pk is None:
            return "—"
        try:
            return preview_html(policy_calendar_data(obj), obj)
        except SlaConfigError as error:
            return str(error)


# ---------------------------------------------------------------- read-only views


class SlaClockEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SlaClockEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "data", "recorded_at"]
    readonly_fields = ["at", "kind", "data", "recorded_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["ticket", "metric", "cycle", "state", "due_at", "breached_at", "met", "policy"]
    list_filter = ["metric", "state", "met", "policy"]
    search_fields = ["ticket__number"]
    inlines = [SlaClockEventInline]
    list_select_related = ["ticket", "policy"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReplanRun)
class ReplanRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["requested_at", "kind", "reason", "requested_by", "state", "progress", "processed", "total",
                    "rebased", "finished_at"]
    list_filter = ["kind", "state"]
    readonly_fields = ["kind", "reason", "requested_by", "policy_ids", "requested_at", "state", "total", "processed",
                       "rebased",
                       "started_at", "finished_at", "error"]

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, run: ReplanRun) -> str:
        """Share of the clocks handled so far; the job updates `processed` after every batch."""
        if not run.total:
            return "—"
        return f"{min(100, 100 * run.processed // run.total)} %"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

