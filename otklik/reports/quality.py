"""SLA compliance, CSAT and specialists' figures, from the viewer's report scope (docs/reports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Avg, Count, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from otklik.accounts.models import Team, User
from otklik.core.errors import InvalidInput
from otklik.reports import cube
from otklik.reports.filters import (
    ReportFilters,
    is_own_figures_only,
    scoped_copies,
    scoped_rows,
    scoped_tickets,
    zone,
)
from otklik.reports.groups import database_average, month_key
from otklik.reports.models import AgentWork, AssigneeMonth, RatingMonth, ReportRating, SlaMonth, SlaOutcome, WorkMonth
from otklik.reports.stats import report_session
from otklik.sla.models import ClockState, SlaClock, SlaPolicy
from otklik.tickets.models import DONE_KINDS, RATING_LOW_SCORE, EventKind, Priority, Ticket, TicketEvent, TicketRating

SLA_GROUPS = {"policy": ("policy_id", "policy__name"), "priority": ("ticket__priority__code", "ticket__priority__name"),
              "team": ("ticket__team_id", "ticket__team__name")}
# The same groups read from the ticket's report row (its current team and priority), without the tickets.
SLA_ROW_GROUPS = {"policy": "policy_id", "priority": "priority_id", "team": "team_id"}
BREACH_LIST_LIMIT = 200


def sla_clocks(viewer: User, filters: ReportFilters) -> QuerySet[SlaClock]:
    """Clocks decided in the period: stopped in it (cancelled ones never count)."""
    return SlaClock.objects.filter(
        state=ClockState.STOPPED, stopped_at__gte=filters.since, stopped_at__lt=filters.until,
        ticket_id__in=scoped_rows(viewer, filters).values("pk"),
    )


def sla_tickets(viewer: User, filters: ReportFilters, *, met: bool, clock_metric: str, by: str = "",
                key: str = "") -> QuerySet[Ticket]:
    """The tickets behind a met/breached number: those with a clock of that metric stopped in the period.

    The list's total equals the number unless a ticket had two cycles of the same metric stop in the period
    (resolved, reopened and resolved again): the report counts clocks, the list shows the ticket once."""
    clocks = sla_clocks(viewer, filters).filter(metric=clock_metric)
    clocks = clocks.filter(met=True) if met else clocks.exclude(met=True)  # breached = total − met
    if by:
        if by not in SLA_GROUPS:
            raise InvalidInput(_("Unknown breakdown: %(name)s.") % {"name": by[:40]}, errors={"by": by[:40]})
        field = SLA_GROUPS[by][0]
        if key == "":
            clocks = clocks.filter(**{f"{field}__isnull": True})
        elif field.endswith("_id"):
            clocks = clocks.filter(**{field: int(key)}) if key.isdigit() else clocks.none()
        else:
            clocks = clocks.filter(**{field: key})
    return scoped_tickets(viewer, filters).filter(pk__in=clocks.values("ticket_id"))


def csat_tickets(viewer: User, filters: ReportFilters, *, score: str = "") -> QuerySet[Ticket]:
    """The tickets behind a CSAT number: rated in the period (with that score when given). One rating per
    resolution: a ticket rated twice in the period counts twice in the report and shows once in the list."""
    found = ratings(viewer, filters)
    if score:
        found = found.filter(score=int(score)) if score.isdigit() else found.none()
    return scoped_tickets(viewer, filters).filter(pk__in=found.values("ticket_id"))


def _compliance(rows: Any, key: str, label: str | None) -> list[dict[str, Any]]:
    result = []
    for row in rows:
        total, met = row["total"], row["met"]
        result.append({
            "key": "" if row[key] is None else str(row[key]), "label": str(row[label]) if label and row[label] else "",
            "metric": row["metric"], "total": total, "met": met, "breached": total - met,
            "met_share": round(met / total, 4) if total else None,
        })
    return result


@dataclass(frozen=True)
class KeptMonths:
    """Where the SLA, CSAT and specialists figures read whole months from the kept tallies."""

    source: cube.CubeSource  # the viewer's teams on the kept rows, and their personal rest
    months: tuple[date, date]  # the first and last day of the whole months inside the period
    inside: ReportFilters  # the period of those months

    def rows(self, model: type[Model]) -> QuerySet[Any]:
        """The kept table's rows of the viewer's teams in those months."""
        return model._default_manager.filter(self.source.teams, month__gte=self.months[0],
                                             month__lte=self.months[1])


def kept_months(viewer: User, filters: ReportFilters) -> KeptMonths | None:
    """The whole months of the period, when the kept tallies can answer them exactly: the viewer and filters
    the hourly counts and histograms accept (`cube.cube_source`, the one rule for every kept table)."""
    source = cube.cube_source(viewer, filters)
    months = cube.whole_months_inside(filters)
    if source is None or months is None:
        return None
    return KeptMonths(source, months, filters.with_period(*months))


def _window(filters: ReportFilters, field: str) -> Q:
    return Q(**{f"{field}__gte": filters.since, f"{field}__lt": filters.until})


def _sla_counts(viewer: User, filters: ReportFilters) -> dict[tuple[Any, ...], list[int]]:
    """Clocks stopped in the period per (metric, policy, priority, team, local month): [total, met, met=False].

    Priority and team are the ticket's current ones, read with the clock's outcome from its copy
    (`SlaOutcome`, kept with the ticket's dimensions): one index of one table, no join per clock. Whole months
    come from the monthly tallies (`SlaMonth`) when `kept_months` allows."""
    counts: dict[tuple[Any, ...], list[int]] = {}

    def add(key: tuple[Any, ...], values: tuple[int, int, int]) -> None:
        slot = counts.setdefault(key, [0, 0, 0])
        for index, value in enumerate(values):
            slot[index] += value

    def from_copies(rows: QuerySet[SlaOutcome]) -> None:
        for row in (rows.order_by().annotate(month=TruncMonth("stopped_at", tzinfo=zone()))
                    .values("metric", "policy_id", "priority_id", "team_id", "month")
                    # Counted on stopped_at, not the clock id: the id is not in the index, naming it reads the table.
                    .annotate(total=Count("stopped_at"), met_n=Count("stopped_at", filter=Q(met=True)),
                              missed=Count("stopped_at", filter=Q(met=False)))):
            add((row["metric"], row["policy_id"], row["priority_id"], row["team_id"], month_key(row["month"])),
                (row["total"], row["met_n"], row["missed"]))

    window = _window(filters, "stopped_at")
    kept = kept_months(viewer, filters)
    if kept is not None:
        for row in (kept.rows(SlaMonth)
                    .order_by().values("metric", "policy_key", "priority_key", "team_key", "month")
                    .annotate(s_total=Sum("total"), s_met=Sum("met"), s_missed=Sum("missed"))):
            add((row["metric"], row["policy_key"] or None, row["priority_key"] or None, row["team_key"] or None,
                 row["month"]), (row["s_total"], row["s_met"], row["s_missed"]))
        inside = _window(kept.inside, "stopped_at")
        if kept.source.rest is not None:
            from_copies(SlaOutcome.objects.filter(inside, merged=False,
                                                  ticket_id__in=kept.source.rest.values("pk")))
        window &= ~inside
    from_copies(scoped_copies(SlaOutcome, viewer, filters).filter(window))
    return {key: values for key, values in counts.items() if values[0] or values[1] or values[2]}


@report_session
def sla(viewer: User, filters: ReportFilters) -> dict[str, Any]:
    """Met and breached clocks per policy, priority, team and month, in one grouped pass over the period's
    clocks (each group folded in Python from the finest groups), and the latest breaches."""
    counts = _sla_counts(viewer, filters)
    labels: dict[str, dict[Any, Any]] = {
        "policy": dict(SlaPolicy.objects.values_list("pk", "name")),
        "priority": {pk: (code, name) for pk, code, name in Priority.objects.values_list("pk", "code", "name")},
        "team": dict(Team.objects.values_list("pk", "name")),
    }
    folded: dict[str, dict[tuple[Any, ...], list[int]]] = {name: {} for name in (*SLA_GROUPS, "month")}
    for (metric, policy, priority, team, month), (total, met, _missed) in counts.items():
        for name, key in (("policy", policy), ("priority", priority), ("team", team), ("month", month)):
            slot = folded[name].setdefault((metric, key), [0, 0])
            slot[0] += total
            slot[1] += met
    groups: dict[str, list[dict[str, Any]]] = {}
    for name in SLA_GROUPS:
        rows = []
        for (metric, key), (total, met) in folded[name].items():
            if name == "priority":
                code, label = labels["priority"].get(key, (None, None)) if key is not None else (None, None)
                key = code
            else:
                label = labels[name].get(key) if key is not None else None
            rows.append({"key": "" if key is None else str(key), "label": str(label) if label else "",
                         "metric": metric, "total": total, "met": met, "breached": total - met,
                         "met_share": round(met / total, 4) if total else None})
        groups[name] = sorted(rows, key=lambda row: (row["key"], row["metric"]))
    by_month = sorted(folded["month"].items(), key=lambda item: (item[0][1], item[0][0]))
    months = [{"month": month, "metric": metric, "total": total, "met": met}
              for (metric, month), (total, met) in by_month]
    groups["month"] = [{**row, "month": row["month"].strftime("%Y-%m")} for row in _compliance_months(months)]
    # The latest breaches: their clocks picked from the outcome index, then read with their tickets.
    latest = list(scoped_copies(SlaOutcome, viewer, filters)
                  .filter(stopped_at__gte=filters.since, stopped_at__lt=filters.until, met=False)
                  .order_by("-stopped_at", "-pk").values_list("pk", flat=True)[:BREACH_LIST_LIMIT])
    breaches = list(
        SlaClock.objects.filter(pk__in=latest).order_by("-stopped_at", "-pk")
        .values("ticket__number", "ticket__subject", "metric", "policy__name", "due_at", "stopped_at",
                "final_business_seconds", "target_seconds")
    )
    return {"groups": groups, "breaches": breaches,
            "breaches_total": sum(missed for _total, _met, missed in counts.values())}


def _compliance_months(rows: Any) -> list[dict[str, Any]]:
    result = []
    for row in rows:
        total, met = row["total"], row["met"]
        result.append({"month": row["month"], "metric": row["metric"], "total": total, "met": met,
                       "breached": total - met, "met_share": round(met / total, 4) if total else None})
    return result


def ratings(viewer: User, filters: ReportFilters) -> QuerySet[TicketRating]:
    """Ratings given in the period on the viewer's report tickets."""
    return TicketRating.objects.filter(created_at__gte=filters.since, created_at__lt=filters.until,
                                       ticket_id__in=scoped_rows(viewer, filters).values("pk"))


@report_session
def csat(viewer: User, filters: ReportFilters) -> dict[str, Any]:
    rows = ratings(viewer, filters).order_by()
    # The summary, the distribution and the trend folded from one pass: ratings per local month and score
    # (whole months from the monthly tallies, `RatingMonth`, when `kept_months` allows).
    per_month: dict[Any, list[int]] = {}
    distribution: dict[int, int] = {}

    def fold(found: Any) -> None:
        for month, score, count in found:
            slot = per_month.setdefault(month_key(month), [0, 0])
            slot[0] += count
            slot[1] += score * count
            distribution[score] = distribution.get(score, 0) + count

    def by_month(found: QuerySet[TicketRating]) -> Any:
        return (found.order_by().annotate(month=TruncMonth("created_at", tzinfo=zone())).values("month", "score")
                .annotate(n=Count("pk")).values_list("month", "score", "n"))

    counted = rows
    kept = kept_months(viewer, filters)
    if kept is not None:
        fold(kept.rows(RatingMonth)
             .order_by().values("month", "score").annotate(s=Sum("n")).values_list("month", "score", "s"))
        inside = _window(kept.inside, "created_at")
        if kept.source.rest is not None:
            fold(by_month(TicketRating.objects.filter(inside, ticket_id__in=kept.source.rest.values("pk"))))
        counted = rows.exclude(inside)
    fold(by_month(counted))
    per_month = {month: values for month, values in per_month.items() if values[0]}
    distribution = {score: count for score, count in distribution.items() if count}
    total = sum(distribution.values())
    score_sum = sum(score * count for score, count in distribution.items())
    summary: dict[str, Any] = {"count": total, "average": score_sum / total if total else None,
               "satisfied": sum(count for score, count in distribution.items() if score >= 4)}
    trend = [{"month": month.strftime("%Y-%m"), "count": count, "average": scores / count}
             for month, (count, scores) in sorted(per_month.items())]
    comments = list(rows.exclude(comment="").order_by("-created_at", "-pk")
                    .values("ticket__number", "score", "comment", "created_at")[:100])
    low: list[dict[str, Any]] = [dict(row) for row in (
        rows.filter(score__lte=RATING_LOW_SCORE).order_by("-created_at", "-pk")
        .values("ticket_id", "ticket__number", "ticket__subject", "score", "comment", "created_at",
                "ticket__status__kind")[:100]
    )]
    # What happened after: reopenings of those hundred tickets only (not of every low score in the period).
    reopened = dict(TicketEvent.objects.filter(ticket_id__in=[row["ticket_id"] for row in low],
                                               kind=EventKind.REOPENED).order_by().values("ticket_id")
                    .annotate(n=Count("pk")).values_list("ticket_id", "n"))
    for row in low:
        row["reopened_after"] = reopened.get(row.pop("ticket_id"), 0)
    for row in low:
        row["still_done"] = row.pop("ticket__status__kind") in DONE_KINDS
    return {
        "count": summary["count"], "average": round(summary["average"], 2) if summary["average"] else None,
        "satisfied_share": round(summary["satisfied"] / summary["count"], 4) if summary["count"] else None,
        "distribution": [{"score": score, "count": distribution.get(score, 0)} for score in range(1, 6)],
        "trend": trend, "comments": comments, "after_low_scores": low,
    }


def _scores_by_assignee(viewer: User, filters: ReportFilters, kept: KeptMonths | None,
                        ) -> dict[int | None, dict[str, Any]]:
    """CSAT count and average per the rated ticket's assignee (its current one), from the rating copies
    (`ReportRating`, kept with the ticket's dimensions): one index, no probe of the report rows per rating.
    Whole months from the monthly tallies (`RatingMonth`) when `kept` says so."""
    sums: dict[int | None, list[int]] = {}

    def add(found: Any) -> None:
        for assignee, score, count in found:
            slot = sums.setdefault(assignee or None, [0, 0])
            slot[0] += count
            slot[1] += score * count

    def copies(rows: QuerySet[ReportRating]) -> Any:
        # Counted on created_at, not the rating id: the id is not in the index.
        return rows.order_by().values("assignee_id", "score").annotate(n=Count("created_at")).values_list(
            "assignee_id", "score", "n")

    window = _window(filters, "created_at")
    if kept is not None:
        add(kept.rows(RatingMonth)
            .order_by().values("assignee_key", "score").annotate(s=Sum("n")).values_list("assignee_key", "score", "s"))
        inside = _window(kept.inside, "created_at")
        if kept.source.rest is not None:
            add(copies(ReportRating.objects.filter(inside, merged=False, ticket_id__in=kept.source.rest.values("pk"))))
        window &= ~inside
    add(copies(scoped_copies(ReportRating, viewer, filters).filter(window)))
    return {assignee: {"assignee_id": assignee, "n": n, "avg": database_average(total, n)}
            for assignee, (n, total) in sums.items() if n}


def _work(viewer: User, filters: ReportFilters, kept: KeptMonths | None) -> dict[int, dict[str, Any]]:
    """Replies and notes per person in the period, summed from their days (`AgentWork`); whole months from the
    monthly tallies (`WorkMonth`) when `kept` says so. Everyone who wrote any event is in."""
    work: dict[int, dict[str, Any]] = {}

    def add(found: Any) -> None:
        for actor, events, replies, notes in found:
            slot = work.setdefault(actor, {"actor_id": actor, "events": 0, "replies": 0, "notes": 0})
            slot["events"] += events or 0
            slot["replies"] += replies or 0
            slot["notes"] += notes or 0

    def days(rows: QuerySet[AgentWork]) -> Any:
        return (rows.order_by().values("actor_id").annotate(e=Count("day"), r=Sum("replies"), n=Sum("notes"))
                .values_list("actor_id", "e", "r", "n"))

    window = Q(day__gte=filters.start, day__lte=filters.end)
    if kept is not None:
        add(kept.rows(WorkMonth)
            .order_by().values("actor_id").annotate(e=Sum("events"), r=Sum("replies"), n=Sum("notes"))
            .values_list("actor_id", "e", "r", "n"))
        inside = Q(day__gte=kept.months[0], day__lte=kept.months[1])
        if kept.source.rest is not None:
            add(days(AgentWork.objects.filter(inside, merged=False, ticket_id__in=kept.source.rest.values("pk"))))
        window &= ~inside
    add(days(scoped_copies(AgentWork, viewer, filters).filter(window)))
    return {actor: row for actor, row in work.items() if row["events"]}


def _assignee_figures(viewer: User, filters: ReportFilters, kept: KeptMonths,
                      ) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """The specialists' resolved and first-response figures with whole months from the assignees' months
    (`AssigneeMonth`) and the rest from the report rows; averages divided as the database divides them."""
    sums: dict[int, dict[str, int]] = {}

    def add(assignee: int, values: dict[str, Any]) -> None:
        slot = sums.setdefault(assignee, dict.fromkeys(cube.ASSIGNEE_MEASURES, 0))
        for name in cube.ASSIGNEE_MEASURES:
            slot[name] += int(values[name] or 0)

    for row in (kept.rows(AssigneeMonth)
                .order_by().values("assignee_key").annotate(**{name: Sum(name) for name in cube.ASSIGNEE_MEASURES})):
        add(row["assignee_key"], dict(row))
    inside = {moment: _window(kept.inside, moment) for moment in ("resolved_at", "first_response_at")}
    if kept.source.rest is not None:
        for (_m, _t, assignee), values in cube.assignee_sums(kept.source.rest, inside).items():
            add(assignee, values)
    edges = {moment: _window(filters, moment) & ~condition for moment, condition in inside.items()}
    for (_m, _t, assignee), values in cube.assignee_sums(scoped_rows(viewer, filters), edges).items():
        add(assignee, values)

    def avg(values: dict[str, int], prefix: str) -> float | None:
        return database_average(values[f"{prefix}_sum"], values[f"{prefix}_n"]) if values[f"{prefix}_n"] else None

    resolved = {pk: {"n": values["resolved"], "res": avg(values, "res"), "res_w": avg(values, "res_w")}
                for pk, values in sums.items() if values["resolved"]}
    responded = {pk: {"fr": avg(values, "fr"), "fr_w": avg(values, "fr_w")}
                 for pk, values in sums.items() if values["responded"]}
    return resolved, responded


@report_session
def specialists(viewer: User, filters: ReportFilters) -> list[dict[str, Any]]:
    """Per agent: replies and notes written in the period, tickets of theirs resolved in it, their average
    first-response time and their CSAT."""
    kept = kept_months(viewer, filters)
    # Every event with an actor puts them on the list; replies and notes are summed from their days.
    work = _work(viewer, filters, kept)
    if kept is not None:
        resolved, responded = _assignee_figures(viewer, filters, kept)
    else:
        tickets = scoped_rows(viewer, filters)
        resolved = {row["assignee_id"]: dict(row) for row in tickets.filter(
            resolved_at__gte=filters.since, resolved_at__lt=filters.until, assignee__isnull=False).order_by()
            .values("assignee_id").annotate(n=Count("pk"), res=Avg("resolution_seconds"),
                                            res_w=Avg("resolution_working_seconds"))}
        responded = {row["assignee_id"]: dict(row) for row in tickets.filter(
            first_response_at__gte=filters.since, first_response_at__lt=filters.until, assignee__isnull=False)
            .order_by().values("assignee_id").annotate(fr=Avg("first_response_seconds"),
                                                       fr_w=Avg("first_response_working_seconds"))}
    scores = _scores_by_assignee(viewer, filters, kept)
    ids = {pk for pk in (*work, *resolved, *responded, *scores) if pk is not None}
    if is_own_figures_only(viewer):
        ids &= {viewer.pk}  # an agent's page: their own line, not colleagues who touched their tickets
    people = {user.pk: user for user in User.objects.filter(pk__in=ids, is_active=True).exclude(role="requester")}
    rows = []
    for pk, person in people.items():
        rows.append({
            "key": str(pk), "label": str(person),
            "replies": work.get(pk, {}).get("replies", 0), "notes": work.get(pk, {}).get("notes", 0),
            "resolved": resolved.get(pk, {}).get("n", 0),
            "avg_resolution_seconds": resolved.get(pk, {}).get("res"),
            "avg_resolution_working_seconds": resolved.get(pk, {}).get("res_w"),
            "avg_first_response_seconds": responded.get(pk, {}).get("fr"),
            "avg_first_response_working_seconds": responded.get(pk, {}).get("fr_w"),
            "csat_count": scores.get(pk, {}).get("n", 0),
            "csat_average": round(scores[pk]["avg"], 2) if pk in scores and scores[pk]["avg"] else None,
        })
    return sorted(rows, key=lambda row: (-row["resolved"], -row["replies"], row["label"]))
