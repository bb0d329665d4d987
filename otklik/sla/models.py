"""SLA rows: calendars (schedules, holiday calendars, exceptions), policies, per-ticket clocks.

The calendar maths lives in `otklik.worktime`; `otklik.sla.calendars` is the only place that turns
these rows into worktime objects. Clock rows are a fold over their append-only event log
(`SlaClockEvent`), see `otklik.sla.clock`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from otklik.tickets.models import Category, Priority, RequestType, Ticket


def _default_week() -> dict[str, object]:
    office = [["09:00", "18:00"]]
    return {"mon": office, "tue": office, "wed": office, "thu": office, "fri": office, "sat": "off", "sun": "off"}


class HolidayCalendar(models.Model):
    """A reusable, named set of exceptions, e.g. the Russian production calendar."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("holiday calendar")
        verbose_name_plural = _("holiday calendars")

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """Named weekly working hours in one IANA time zone (SPEC 3.1).

    `week` has the worktime JSON shape: {"mon": "24h" | "off" | [["09:00", "18:00"], ...], ...}.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow",
                                help_text=_("An IANA name such as Europe/Moscow (not +03:00, not MSK)."))
    week = models.JSONField(_("weekly hours"), default=_default_week)
    holiday_calendar = models.ForeignKey(
        HolidayCalendar, verbose_name=_("holiday calendar"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="schedules",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("working schedule")
        verbose_name_plural = _("working schedules")

    def __str__(self) -> str:
        return f"{self.name} ({self.timezone})"


class SlaPolicy(models.Model):
    """An SLA level (SPEC 5): which tickets it matches, its calendar, targets and responsible person.

    Active policies are tried by `position`; the first whose non-empty match sets all contain the
    ticket's organization, category, request type and priority wins, else the default policy.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default"), default=False,
                                     help_text=_("Applies when no other policy matches."))
    schedule = models.ForeignKey(Schedule, verbose_name=_("working schedule"), on_delete=models.PROTECT,
                                 related_name="policies")
    holiday_calendar = models.ForeignKey(
        HolidayCalendar, verbose_name=_("extra holiday calendar"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="policies",
    )
    reaction_minutes = models.PositiveIntegerField(
        _("reaction target, working minutes"), null=True, blank=True,
        help_text=_("Time to the first public reply. Empty: not tracked."),
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target, working minutes"), null=True, blank=True,
        help_text=_("Time to resolve. Empty: not tracked."),
    )
    next_reply_minutes = models.PositiveIntegerField(
        _("next reply target, working minutes"), null=True, blank=True,
        help_text=_("Time from each requester message to the next public staff answer. Empty: not tracked."),
    )
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before, working minutes"), null=True, blank=True,
        help_text=_("Empty: 20 % of the target, at least 5 minutes."),
    )
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible person"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    assign_on_breach = models.BooleanField(
        _("assign breached unassigned tickets to the responsible person"), default=False
    )
    organizations = models.ManyToManyField("accounts.Organization", verbose_name=_("organizations"), blank=True,
                                           related_name="+")
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), blank=True, related_name="+")
    include_subcategories = models.BooleanField(_("include subcategories"), default=True)
    request_types = models.ManyToManyField(RequestType, verbose_name=_("request types"), blank=True,
                                           related_name="+")
    priorities = models.ManyToManyField(Priority, verbose_name=_("priorities"), blank=True, related_name="+")
    # Denormalised identity of the effective calendar (schedule + holiday calendars + own
    # exceptions), kept by `services.calendars_refresh`; clocks on another key are re-planned.
    calendar_key = models.CharField(max_length=64, blank=True, editable=False)
    calendar_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(condition=Q(reaction_minutes__isnull=True) | Q(reaction_minutes__gte=1),
                                   name="sla_policy_reaction_at_least_1"),
            models.CheckConstraint(condition=Q(resolution_minutes__isnull=True) | Q(resolution_minutes__gte=1),
                                   name="sla_policy_resolution_at_least_1"),
            models.CheckConstraint(condition=Q(next_reply_minutes__isnull=True) | Q(next_reply_minutes__gte=1),
                                   name="sla_policy_next_reply_at_least_1"),
        ]

    @property
    def label(self) -> str:
        return self.name_ru if self.name_ru and (get_language() or "").startswith("ru") else self.name

    def __str__(self) -> str:
        return self.label

    def target_minutes(self, metric: str) -> int | None:
        if metric == Metric.NEXT_REPLY:
            return self.next_reply_minutes
        return self.reaction_minutes if metric == Metric.REACTION else self.resolution_minutes

    def warn_minutes(self, target_minutes: int) -> int:
        return warn_minutes_for(target_minutes, self.warn_before_minutes)


def warn_minutes_for(target_minutes: int, configured: int | None = None) -> int:
    """SPEC 5: the configured threshold, else 20 % of the target rounded up, at least 5. Also the rule of
    first-line targets outside tickets (`otklik.sla.targets`)."""
    if configured is not None:
        return configured
    return max(5, -(-target_minutes // 5))


class ExceptionKind(models.TextChoices):
    REST = "rest", _("Day off")
    WORK = "work", _("Working day with its own hours")


class CalendarException(models.Model):
    """A named range of local dates: rest, or work with explicit hours (SPEC 3.2).

    Owned by exactly one holiday calendar or one policy (SPEC 3.3)."""

    holiday_calendar = models.ForeignKey(HolidayCalendar, null=True, blank=True, on_delete=models.CASCADE,
                                         related_name="exceptions")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKind.choices, default=ExceptionKind.REST)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to (inclusive)"))
    hours = models.JSONField(_("hours"), null=True, blank=True,
                             help_text=_('Work days only: "24h" or [["09:00", "18:00"], ...].'))

    class Meta:
        ordering = ["date_from", "id"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(holiday_calendar__isnull=False, policy__isnull=True)
                           | Q(holiday_calendar__isnull=True, policy__isnull=False)),
                name="sla_exception_exactly_one_owner",
            ),
            models.CheckConstraint(condition=Q(date_from__lte=models.F("date_to")), name="sla_exception_dates_ordered"),
        ]
        indexes = [models.Index(fields=["holiday_calendar", "date_from"], name="sla_exception_calendar_from")]

    def __str__(self) -> str:
        return f"{self.name} {self.date_from}..{self.date_to}"

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name, "kind": self.kind, "from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
        }
        if self.kind == ExceptionKind.WORK:
            data["hours"] = self.hours
        return data


class CalendarSnapshot(models.Model):
    """The exact calendar a clock measured with, by content key, kept for replay (SPEC 7.6).

    Rows are immutable and never deleted: an old clock's history is re-measured on the calendar
    that was in force at the time, not on today's."""

    key = models.CharField(max_length=64, unique=True)
    timezone = models.CharField(max_length=64)
    schedule = models.JSONField()
    exceptions = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("calendar snapshot")
        verbose_name_plural = _("calendar snapshots")

    def __str__(self) -> str:
        return f"{self.key[:12]} {self.timezone}"


class Metric(models.TextChoices):
    REACTION = "reaction", _("Reaction")
    RESOLUTION = "resolution", _("Resolution")
    NEXT_REPLY = "next_reply", _("Next reply")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")
    CANCELLED = "cancelled", _("Cancelled")


class SlaClock(models.Model):
    """One measured metric of one ticket (SPEC 6, 7.1). Every column is the fold of `events`."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    cycle = models.PositiveIntegerField(default=1)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="clocks")
    target_seconds = models.PositiveIntegerField()
    warn_before_seconds = models.PositiveIntegerField(default=0)
    calendar_key = models.CharField(max_length=64)
    state = models.CharField(_("state"), max_length=20, choices=ClockState.choices)
    started_at = models.DateTimeField()
    checkpoint_at = models.DateTimeField()
    consumed_seconds = models.PositiveBigIntegerField(default=0)
    computed_due_at = models.DateTimeField(null=True, blank=True)
    computed_warn_at = models.DateTimeField(null=True, blank=True)
    manual_due_at = models.DateTimeField(null=True, blank=True)
    manual_due_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    manual_due_reason = models.CharField(max_length=500, blank=True)
    # Effective deadline and warning instant: the manual due wins over the computed one.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    final_business_seconds = models.PositiveBigIntegerField(null=True, blank=True)
    met = models.BooleanField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    paused_seconds = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticket_id", "metric", "cycle"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "cycle"], name="sla_clock_unique_cycle"),
        ]
        indexes = [
            # queues and the overdue view
            models.Index(fields=["due_at"], condition=Q(state="running"), name="sla_clock_running_due"),
            # the breach sweep: only clocks not yet stamped, so the index stays small
            models.Index(fields=["due_at"], condition=Q(state="running", breached_at__isnull=True),
                         name="sla_clock_breach_sweep"),
            # the warning sweep
            models.Index(fields=["warn_at"], condition=Q(state="running", warned_at__isnull=True),
                         name="sla_clock_warn_sweep"),
            # late but paused clocks stay in the overdue view
            models.Index(fields=["breached_at"], condition=Q(state="paused", breached_at__isnull=False),
                         name="sla_clock_paused_late"),
            # reports: clocks stopped in a period, covering what the SLA report counts (read without the table)
            models.Index(fields=["stopped_at", "ticket", "metric", "policy", "met"], condition=Q(state="stopped"),
                         name="sla_clock_stopped_report"),
            # the re-plan job: open clocks of a policy
            models.Index(fields=["policy", "calendar_key"], condition=Q(state__in=["running", "paused"]),
                         name="sla_clock_open_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of ticket {self.ticket_id}: {self.state}"

    @property
    def is_overridden(self) -> bool:
        return self.manual_due_at is not None


class ClockEventKind(models.TextChoices):
    START = "start", _("Started")
    PAUSE = "pause", _("Paused")
    RESUME = "resume", _("Resumed")
    STOP = "stop", _("Stopped")
    REOPEN = "reopen", _("Reopened")
    POLICY_CHANGE = "policy_change", _("Policy changed")
    CALENDAR_CHANGE = "calendar_change", _("Calendar changed")
    OVERRIDE = "override", _("Due time set by hand")
    CANCEL = "cancel", _("Cancelled")
    BREACHED = "breached", _("Breached")
    WARNED = "warned", _("Warning sent")
    RECALCULATE = "recalculate", _("Recalculated from the start")
    REPLAY = "replay", _("Replayed with an event logged late")


class SlaClockEvent(models.Model):
    """Append-only log of a clock; the clock row is the fold of these, in id order (SPEC 7.6)."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=ClockEventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["clock_id", "id"]
        verbose_name = _("SLA clock event")
        verbose_name_plural = _("SLA clock events")

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at.isoformat()}"


class NoticeKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class SlaNotice(models.Model):
    """Marker that a warning or breach was announced: the unique key makes it once per clock, kind
    and due instant, whatever the number of sweeping workers (SPEC 8)."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clock", "kind", "due_at"], name="sla_notice_once")]
        verbose_name = _("SLA notice")
        verbose_name_plural = _("SLA notices")

    def __str__(self) -> str:
        return f"{self.kind} of clock {self.clock_id} for {self.due_at.isoformat()}"


class ReplanState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReplanKind(models.TextChoices):
    REPLAN = "replan", _("Re-plan after a calendar edit")
    RECALCULATE = "recalculate", _("Recalculate open tickets from their start")


class ReplanRun(models.Model):
    """A background re-plan of open clocks after a calendar edit, or an admin's recalculation of
    open clocks from their start (SPEC 7.4), with its progress."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReplanKind.choices, default=ReplanKind.REPLAN)
    reason = models.CharField(_("reason"), max_length=200)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    policy_ids = models.JSONField(default=list)
    requested_at = models.DateTimeField(_("requested"))
    state = models.CharField(_("state"), max_length=10, choices=ReplanState.choices, default=ReplanState.PENDING)
    total = models.PositiveIntegerField(_("clocks to re-plan"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    rebased = models.PositiveIntegerField(_("re-planned"), default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("re-plan run")
        verbose_name_plural = _("re-plan runs")

    def __str__(self) -> str:
        return f"{self.reason}: {self.processed}/{self.total} ({self.state})"
