"""Per-ticket report facts: the durations reports average, kept from ticket events.

A row is the fold of its ticket's history (see `facts.ticket_facts`), written in the same transaction
as the event that changed it, and rebuilt by `otklik reports_rebuild`. Reports aggregate these rows in
the database; nothing loads every ticket into Python.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Organization, Team, User
from otklik.tickets.models import Category, Priority, RequestType, Status, Ticket

# The columns a month's report rows are read from without touching the tickets (index-only scans on
# PostgreSQL): the scope (team, assignee, the ticket id for watched tickets), the filters, the groups and
# the durations. Key columns, not INCLUDE: SQLite accepts them too.
REPORT_COLUMNS = ["ticket", "team", "assignee", "category", "priority", "status", "source", "organization",
                  "request_type"]
TIME_COLUMNS = ["first_response_seconds", "first_response_working_seconds", "resolution_seconds",
                "resolution_working_seconds"]


def _copy(model: type[models.Model], verbose: Any) -> Any:
    """A copy of a ticket's reference: no constraint and no cascade (the ticket row is the truth; a rebuild
    refreshes the copy), never joined to read a report."""
    return models.ForeignKey(model, verbose_name=verbose, null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, db_index=False, related_name="+")


class TicketTimes(models.Model):
    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="report_times")
    first_response_seconds = models.BigIntegerField(null=True, blank=True)
    first_response_working_seconds = models.BigIntegerField(null=True, blank=True)
    resolution_seconds = models.BigIntegerField(null=True, blank=True)
    resolution_working_seconds = models.BigIntegerField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    staff_replies = models.PositiveIntegerField(default=0)
    # The calendar the working figures were measured on, so a schedule change can be rebuilt.
    calendar_key = models.CharField(max_length=64, blank=True)
    # What this ticket last added to the monthly rollups (`reports.rollups`): the rollup key and the months
    # it counted in, so a change subtracts exactly the old contribution. counted_month is None while the
    # ticket counts nowhere (merged, or not rolled up yet).
    rolled_team = models.BigIntegerField(default=0)  # 0: none (rollup keys are never NULL)
    rolled_category = models.BigIntegerField(default=0)
    rolled_priority = models.BigIntegerField(default=0)
    rolled_source = models.CharField(max_length=20, blank=True)
    counted_month = models.DateField(null=True, blank=True)  # the local month of creation
    resolved_month = models.DateField(null=True, blank=True)
    responded_month = models.DateField(null=True, blank=True)
    # The report dimensions, copied from the ticket by the same receiver (`rollups.dimensions`), so reports
    # read one narrow table: the ticket's times, its groups and filters, and whether it was merged away.
    created_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    team = _copy(Team, _("team"))
    assignee = _copy(User, _("assignee"))
    category = _copy(Category, _("category"))
    priority = _copy(Priority, _("priority"))
    status = _copy(Status, _("status"))
    organization = _copy(Organization, _("organization"))
    request_type = _copy(RequestType, _("request type"))
    source = models.CharField(max_length=20, blank=True)
    merged = models.BooleanField(default=False)
    # The score of the ticket's latest rating (tickets.TicketRating, latest by created_at then id), for the
    # breakdown by rating: moved by the reports receiver on the rating event (ratings are only made there).
    latest_score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket report times")
        verbose_name_plural = _("ticket report times")
        indexes = [
            # The scope and filter columns by ticket: checking that a rating, a clock or an event belongs to
            # the viewer's report tickets without reading the tickets (or these rows' other columns).
            models.Index(fields=["ticket", "team", "assignee", "category", "priority", "source", "organization",
                                 "request_type"], name="report_times_scope", condition=models.Q(merged=False)),
            # A period's tickets created, resolved, first answered (merged tickets never count).
            models.Index(fields=["created_at", *REPORT_COLUMNS, "resolved_at", *TIME_COLUMNS, "staff_replies",
                                 "reopen_count", "latest_score"], name="report_times_created_rated",
                         condition=models.Q(merged=False, created_at__isnull=False)),
            # With the creation: "open at the end" counts those resolved after the end but created before it.
            models.Index(fields=["resolved_at", *REPORT_COLUMNS, "created_at", "resolution_seconds",
                                 "resolution_working_seconds"], name="report_times_resolved_created",
                         condition=models.Q(merged=False, resolved_at__isnull=False)),
            # Never resolved (open now): the other part of "open at the end", a few percent of the rows.
            models.Index(fields=["created_at", *REPORT_COLUMNS], name="report_times_unresolved",
                         condition=models.Q(merged=False, resolved_at__isnull=True, created_at__isnull=False)),
            models.Index(fields=["first_response_at", *REPORT_COLUMNS, "first_response_seconds",
                                 "first_response_working_seconds"], name="report_times_responded",
                         condition=models.Q(merged=False, first_response_at__isnull=False)),
            # An agent's own figures (every report of an agent is limited to their assigned tickets): their rows
            # whole, whatever the period, instead of the whole desk's period filtered by assignee.
            models.Index(fields=["assignee", "created_at", "resolved_at", "first_response_at",
                                 *[name for name in REPORT_COLUMNS if name != "assignee"], *TIME_COLUMNS,
                                 "staff_replies", "reopen_count", "latest_score"], name="report_times_assignee",
                         condition=models.Q(merged=False, assignee__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"times of {self.ticket_id}"


class MonthlyRollup(models.Model):
    """Sums per local month and rollup key, for the second-line numbers and the monthly trend.

    Kept incrementally from the same receiver as TicketTimes (each ticket adds its contribution once and
    moves it when its key or months change) and rebuilt by `otklik reports_rebuild`. Keyed by the coarse
    dimensions only (team, category, priority, source): other filters and agents' own figures are served
    from the per-ticket rows (docs/reports.md, "Rollups").
    """

    month = models.DateField()
    team_key = models.BigIntegerField(default=0)  # 0: no team
    category_key = models.BigIntegerField(default=0)  # 0: no category
    priority_key = models.BigIntegerField()
    source = models.CharField(max_length=20)
    new = models.BigIntegerField(default=0)  # created in the month
    closed = models.BigIntegerField(default=0)  # last resolved in the month
    resolution_n = models.BigIntegerField(default=0)
    resolution_sum = models.BigIntegerField(default=0)
    resolution_working_sum = models.BigIntegerField(default=0)
    responded = models.BigIntegerField(default=0)  # first answered in the month
    first_response_n = models.BigIntegerField(default=0)
    first_response_sum = models.BigIntegerField(default=0)
    first_response_working_sum = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly report rollup")
        verbose_name_plural = _("monthly report rollups")
        constraints = [models.UniqueConstraint(fields=["month", "team_key", "category_key", "priority_key", "source"],
                                               name="report_rollup_key")]

    def __str__(self) -> str:
        return f"rollup {self.month} {self.team_key}/{self.category_key}/{self.priority_key}/{self.source}"


class HourlyCount(models.Model):
    """Tickets created and tickets last resolved per local hour and team: the load report's days, heatmap and
    backlog and the forecast's daily series for any period of whole days, without reading the report rows.

    Kept with `MonthlyRollup` from the same receiver (each report row's contribution moved when it changes,
    `reports.cube`), written by the import for its tickets, rebuilt by `otklik reports_rebuild`."""

    # The slice (`reports.slices`): "" and "" for the whole desk, else a filter dimension and its value.
    fdim = models.CharField(max_length=16, blank=True, default="")
    fvalue = models.CharField(max_length=40, blank=True, default="")
    day = models.DateField()  # local (the installation's zone)
    hour = models.PositiveSmallIntegerField()  # local, 0-23
    team_key = models.BigIntegerField(default=0)  # 0: no team
    new = models.BigIntegerField(default=0)  # created in the hour
    closed = models.BigIntegerField(default=0)  # last resolved in the hour

    class Meta:
        verbose_name = _("hourly report count")
        verbose_name_plural = _("hourly report counts")
        constraints = [models.UniqueConstraint(fields=["fdim", "fvalue", "day", "hour", "team_key"],
                                               name="report_hourly_slice_key")]

    def __str__(self) -> str:
        return f"hour {self.day} {self.hour} of team {self.team_key}"


class DurationHistogram(models.Model):
    """Per local month and team, how many first responses (by the month of the first answer) and resolutions
    (by the month of the last resolution) fell into each duration bucket (`reports.buckets`: every second
    below a minute, then buckets within 2 % of their bound): the load report's distributions of long periods.
    Kept, written and rebuilt with `HourlyCount`."""

    # The slice (`reports.slices`): "" and "" for the whole desk, else a filter dimension and its value.
    fdim = models.CharField(max_length=16, blank=True, default="")
    fvalue = models.CharField(max_length=40, blank=True, default="")
    month = models.DateField()
    team_key = models.BigIntegerField(default=0)  # 0: no team
    metric = models.CharField(max_length=20)  # first_response | resolution
    bucket = models.BigIntegerField()  # the bucket's lower bound in seconds
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("duration histogram bucket")
        verbose_name_plural = _("duration histogram buckets")
        constraints = [models.UniqueConstraint(fields=["fdim", "fvalue", "month", "team_key", "metric", "bucket"],
                                               name="report_histogram_slice_key")]

    def __str__(self) -> str:
        return f"{self.metric} {self.month} team {self.team_key} from {self.bucket}s"


class GroupRollup(models.Model):
    """Per local month of creation, team and breakdown value (`dim` names the breakdown): the tickets created
    and their exact sums, for breakdowns of long periods (`reports.groups`). Kept, written and rebuilt with
    `HourlyCount`."""

    # The slice (`reports.slices`): "" and "" for the whole desk, else a filter dimension and its value.
    fdim = models.CharField(max_length=16, blank=True, default="")
    fvalue = models.CharField(max_length=40, blank=True, default="")
    month = models.DateField()
    team_key = models.BigIntegerField(default=0)  # 0: no team
    dim = models.CharField(max_length=20)  # assignee, team, category, priority, status, source, ...
    value = models.CharField(max_length=40, blank=True)  # the id (or source code); "": none
    count = models.BigIntegerField(default=0)
    resolved = models.BigIntegerField(default=0)
    fr_n = models.BigIntegerField(default=0)
    fr_sum = models.BigIntegerField(default=0)
    fr_w_n = models.BigIntegerField(default=0)
    fr_w_sum = models.BigIntegerField(default=0)
    res_n = models.BigIntegerField(default=0)
    res_sum = models.BigIntegerField(default=0)
    res_w_n = models.BigIntegerField(default=0)
    res_w_sum = models.BigIntegerField(default=0)
    replies = models.BigIntegerField(default=0)  # staff replies on the resolved tickets
    reopened = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("breakdown rollup")
        verbose_name_plural = _("breakdown rollups")
        constraints = [models.UniqueConstraint(fields=["fdim", "fvalue", "month", "team_key", "dim", "value"],
                                               name="report_group_slice_key")]
        indexes = [models.Index(fields=["fdim", "fvalue", "dim", "month", "team_key"], name="report_group_slice_dim")]

    def __str__(self) -> str:
        return f"{self.dim}={self.value} {self.month} team {self.team_key}"


class GroupHistogram(models.Model):
    """Per local month of creation, team and breakdown value: the first-response and resolution times in the
    buckets of `reports.buckets`, for the medians of breakdowns of long periods."""

    # The slice (`reports.slices`): "" and "" for the whole desk, else a filter dimension and its value.
    fdim = models.CharField(max_length=16, blank=True, default="")
    fvalue = models.CharField(max_length=40, blank=True, default="")
    month = models.DateField()
    team_key = models.BigIntegerField(default=0)
    dim = models.CharField(max_length=20)
    value = models.CharField(max_length=40, blank=True)
    metric = models.CharField(max_length=8)  # fr | res
    bucket = models.BigIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("breakdown histogram bucket")
        verbose_name_plural = _("breakdown histogram buckets")
        # One index, in the order the reads ask (a slice's dimension over months): the covering index this
        # replaces doubled the table (docs/performance.md, round 9).
        constraints = [models.UniqueConstraint(fields=["fdim", "fvalue", "dim", "month", "team_key", "value",
                                                       "metric", "bucket"],
                                               name="report_group_histogram_slice_key")]

    def __str__(self) -> str:
        return f"{self.dim}={self.value} {self.metric} {self.month} from {self.bucket}s"


class CopiedDimensions(models.Model):
    """The ticket's report dimensions, copied onto the per-clock, per-agent and per-rating rows below under
    the ticket's own field names, so the report filters (and the whole-team part of the access scope) read
    them unchanged."""

    team = _copy(Team, _("team"))
    assignee = _copy(User, _("assignee"))
    category = _copy(Category, _("category"))
    priority = _copy(Priority, _("priority"))
    organization = _copy(Organization, _("organization"))
    request_type = _copy(RequestType, _("request type"))
    source = models.CharField(max_length=20, blank=True)
    merged = models.BooleanField(default=False)

    class Meta:
        abstract = True


# Their columns, in the order the upkeep's SQL writes them.
COPIED_DIMENSIONS = [field.attname for field in CopiedDimensions._meta.fields]
FILTER_COLUMNS = ["team", "assignee", "category", "priority", "source", "organization", "request_type"]


class SlaOutcome(CopiedDimensions):
    """A stopped SLA clock's outcome with its ticket's report dimensions: the SLA report reads a period's
    clocks from one index of this table, without probing the report rows per clock.

    Resynced from the ticket's clocks by the reports receiver after every event that can stop, restart or
    re-judge a clock (`outcomes.sync_clocks`), its dimensions moved with the ticket's, rebuilt by
    `otklik reports_rebuild`."""

    clock_id = models.BigIntegerField(primary_key=True)  # sla.SlaClock; the clock row stays the truth
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    metric = models.CharField(max_length=20)
    policy_id = models.BigIntegerField(null=True, blank=True)
    stopped_at = models.DateTimeField()
    met = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock outcome")
        verbose_name_plural = _("SLA clock outcomes")
        indexes = [
            models.Index(fields=["ticket"], name="report_sla_outcome_ticket"),
            # A period's stopped clocks with everything the report groups, filters and scopes by.
            models.Index(fields=["stopped_at", "metric", "policy_id", "met", *FILTER_COLUMNS, "ticket"],
                         name="report_sla_outcome_stopped", condition=models.Q(merged=False)),
        ]

    def __str__(self) -> str:
        return f"outcome of clock {self.clock_id}"


class AgentWork(CopiedDimensions):
    """What one person did on one ticket on one local day: events written, of them public staff replies and
    internal notes. Kept by the reports receiver (one additive upsert per event with an actor), its
    dimensions moved with the ticket's, rebuilt by `otklik reports_rebuild`; the specialists report reads a
    period's days instead of its events."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    actor_id = models.BigIntegerField()  # accounts.User; a deleted person's rows name nobody
    day = models.DateField()  # local (the installation's zone), like every report period
    events = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    notes = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("agent work per day")
        verbose_name_plural = _("agent work per day")
        constraints = [models.UniqueConstraint(fields=["ticket", "actor_id", "day"], name="report_work_key")]
        indexes = [
            models.Index(fields=["day", "actor_id", "replies", "notes", *FILTER_COLUMNS, "ticket"],
                         name="report_work_day", condition=models.Q(merged=False)),
        ]

    def __str__(self) -> str:
        return f"work of {self.actor_id} on {self.ticket_id} {self.day}"


class ReportRating(CopiedDimensions):
    """A rating with its ticket's report dimensions (the rated ticket's current assignee above all): the
    specialists' CSAT per assignee reads a period's ratings from one index, without probing the report rows
    per rating. Resynced by the reports receiver after each rating event, dimensions moved with the ticket's,
    rebuilt by `otklik reports_rebuild`; the ratings stay the truth."""

    rating_id = models.BigIntegerField(primary_key=True)  # tickets.TicketRating
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("rating with report dimensions")
        verbose_name_plural = _("ratings with report dimensions")
        indexes = [
            models.Index(fields=["ticket"], name="report_rating_ticket"),
            models.Index(fields=["created_at", "score", *FILTER_COLUMNS, "ticket"], name="report_rating_created",
                         condition=models.Q(merged=False)),
        ]

    def __str__(self) -> str:
        return f"rating {self.rating_id} with dimensions"


class AssigneeMonth(models.Model):
    """Per local month, team and assignee: the tickets last resolved in the month (with their resolution times)
    and first answered in it (with their first-response times), for the specialists report of long periods.
    Kept, written and rebuilt with `HourlyCount` from the report rows (`reports.cube`)."""

    month = models.DateField()
    team_key = models.BigIntegerField(default=0)  # 0: no team
    assignee_key = models.BigIntegerField(default=0)  # 0: nobody
    resolved = models.BigIntegerField(default=0)
    res_n = models.BigIntegerField(default=0)
    res_sum = models.BigIntegerField(default=0)
    res_w_n = models.BigIntegerField(default=0)
    res_w_sum = models.BigIntegerField(default=0)
    responded = models.BigIntegerField(default=0)
    fr_n = models.BigIntegerField(default=0)
    fr_sum = models.BigIntegerField(default=0)
    fr_w_n = models.BigIntegerField(default=0)
    fr_w_sum = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("assignee monthly rollup")
        verbose_name_plural = _("assignee monthly rollups")
        constraints = [models.UniqueConstraint(fields=["month", "team_key", "assignee_key"],
                                               name="report_assignee_key")]

    def __str__(self) -> str:
        return f"assignee {self.assignee_key} {self.month} team {self.team_key}"


class SlaMonth(models.Model):
    """Per local month of the stop, team, metric, policy and priority: the stopped clocks, met and breached
    (`met` False; a clock without a verdict is in neither). Kept from `SlaOutcome` by the same statements that
    rewrite it (`reports.tallies`), rebuilt by `otklik reports_rebuild`."""

    month = models.DateField()
    team_key = models.BigIntegerField(default=0)  # 0: no team
    metric = models.CharField(max_length=20)
    policy_key = models.BigIntegerField(default=0)  # 0: no policy
    priority_key = models.BigIntegerField(default=0)  # 0: no priority
    total = models.BigIntegerField(default=0)
    met = models.BigIntegerField(default=0)
    missed = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("SLA monthly count")
        verbose_name_plural = _("SLA monthly counts")
        constraints = [models.UniqueConstraint(fields=["month", "team_key", "metric", "policy_key", "priority_key"],
                                               name="report_sla_month_key")]

    def __str__(self) -> str:
        return f"SLA {self.metric} {self.month} team {self.team_key}"


class RatingMonth(models.Model):
    """Per local month of the rating, team, the rated ticket's assignee and score: how many ratings. Kept from
    `ReportRating` by the statements that write it (`reports.tallies`), rebuilt by `otklik reports_rebuild`."""

    month = models.DateField()
    team_key = models.BigIntegerField(default=0)  # 0: no team
    assignee_key = models.BigIntegerField(default=0)  # 0: nobody
    score = models.PositiveSmallIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("rating monthly count")
        verbose_name_plural = _("rating monthly counts")
        constraints = [models.UniqueConstraint(fields=["month", "team_key", "assignee_key", "score"],
                                               name="report_rating_month_key")]

    def __str__(self) -> str:
        return f"ratings {self.score} {self.month} team {self.team_key}"


class WorkMonth(models.Model):
    """Per local month, team and person: events written, public staff replies and internal notes on the team's
    tickets. Kept from `AgentWork` by the statements that write it (`reports.tallies`), rebuilt by
    `otklik reports_rebuild`."""

    month = models.DateField()
    team_key = models.BigIntegerField(default=0)  # 0: no team
    actor_id = models.BigIntegerField()
    events = models.BigIntegerField(default=0)
    replies = models.BigIntegerField(default=0)
    notes = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("agent work per month")
        verbose_name_plural = _("agent work per month")
        constraints = [models.UniqueConstraint(fields=["month", "team_key", "actor_id"], name="report_work_month_key")]

    def __str__(self) -> str:
        return f"work of {self.actor_id} {self.month} team {self.team_key}"


class WeeklyDigest(models.Model):
    """A manager's subscription to the weekly overview by email."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="report_digest")
    is_active = models.BooleanField(_("active"), default=True)
    last_sent_week = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("weekly report subscription")
        verbose_name_plural = _("weekly report subscriptions")

    def __str__(self) -> str:
        return f"weekly digest of {self.user_id}"
