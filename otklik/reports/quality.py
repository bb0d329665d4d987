"""SLA compliance, CSAT and specialists' figures, from the viewer's report scope (docs/reports.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.core.errors import InvalidInput
from otklik.reports.filters import ReportFilters, is_own_figures_only, scoped_tickets, zone
from otklik.sla.models import ClockState, SlaClock
from otklik.tickets.models import DONE_KINDS, RATING_LOW_SCORE, EventKind, Ticket, TicketEvent, TicketRating

SLA_GROUPS = {"policy": ("policy_id", "policy__name"), "priority": ("ticket__priority__code", "ticket__priority__name"),
              "team": ("ticket__team_id", "ticket__team__name")}
BREACH_LIST_LIMIT = 200


def sla_clocks(viewer: User, filters: ReportFilters) -> QuerySet[SlaClock]:
    """Clocks decided in the period: stopped in it (cancelled ones never count)."""
    return SlaClock.objects.filter(
        state=ClockState.STOPPED, stopped_at__gte=filters.since, stopped_at__lt=filters.until,
        ticket__in=scoped_tickets(viewer, filters),
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


def sla(viewer: User, filters: ReportFilters) -> dict[str, Any]:
    clocks = sla_clocks(viewer, filters).order_by()
    counts = {"total": Count("pk"), "met": Count("pk", filter=Q(met=True))}
    groups = {}
    for name, (key, label) in SLA_GROUPS.items():
        groups[name] = _compliance(clocks.values("metric", key, label).annotate(**counts), key, label)
    months = (clocks.annotate(month=TruncMonth("stopped_at", tzinfo=zone())).values("metric", "month")
              .annotate(**counts).order_by("month", "metric"))
    groups["month"] = [{**row, "month": row["month"].strftime("%Y-%m")} for row in
                       _compliance_months(months)]
    breaches = list(
        clocks.filter(met=False).select_related("ticket", "policy").order_by("-stopped_at", "pk")
        .values("ticket__number", "ticket__subject", "metric", "policy__name", "due_at", "stopped_at",
                "final_business_seconds", "target_seconds")[:BREACH_LIST_LIMIT]
    )
    return {"groups": groups, "breaches": breaches, "breaches_total": clocks.filter(met=False).count()}


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
                                       ticket__in=scoped_tickets(viewer, filters))


def csat(viewer: User, filters: ReportFilters) -> dict[str, Any]:
    rows = ratings(viewer, filters).order_by()
    summary = rows.aggregate(count=Count("pk"), average=Avg("score"),
                             satisfied=Count("pk", filter=Q(score__gte=4)))
    distribution = dict(rows.values("score").annotate(n=Count("pk")).values_list("score", "n"))
    trend = [{"month": row["month"].strftime("%Y-%m"), "count": row["n"], "average": row["avg"]}
             for row in rows.annotate(month=TruncMonth("created_at", tzinfo=zone())).values("month")
             .annotate(n=Count("pk"), avg=Avg("score")).order_by("month")]
    comments = list(rows.exclude(comment="").order_by("-created_at", "-pk")
                    .values("ticket__number", "score", "comment", "created_at")[:100])
    low: list[dict[str, Any]] = [dict(row) for row in (
        rows.filter(score__lte=RATING_LOW_SCORE).order_by("-created_at", "-pk")
        .annotate(reopened_after=Count("ticket__events", filter=Q(ticket__events__kind=EventKind.REOPENED)))
        .values("ticket__number", "ticket__subject", "score", "comment", "created_at", "ticket__status__kind",
                "reopened_after")[:100]
    )]
    for row in low:
        row["still_done"] = row.pop("ticket__status__kind") in DONE_KINDS
    return {
        "count": summary["count"], "average": round(summary["average"], 2) if summary["average"] else None,
        "satisfied_share": round(summary["satisfied"] / summary["count"], 4) if summary["count"] else None,
        "distribution": [{"score": score, "count": distribution.get(score, 0)} for score in range(1, 6)],
        "trend": trend, "comments": comments, "after_low_scores": low,
    }


def specialists(viewer: User, filters: ReportFilters) -> list[dict[str, Any]]:
    """Per agent: replies and notes written in the period, tickets of theirs resolved in it, their average
    first-response time and their CSAT."""
    tickets = scoped_tickets(viewer, filters)
    events = (TicketEvent.objects.filter(created_at__gte=filters.since, created_at__lt=filters.until,
                                         ticket__in=tickets, actor__isnull=False)
              .order_by().values("actor_id")
              .annotate(replies=Count("pk", filter=Q(kind=EventKind.REPLIED, data__by="staff")),
                        notes=Count("pk", filter=Q(kind=EventKind.NOTE_ADDED))))
    work: dict[int, dict[str, Any]] = {row["actor_id"]: dict(row) for row in events}
    resolved: dict[int, dict[str, Any]] = {row["assignee_id"]: dict(row) for row in tickets.filter(
        resolved_at__gte=filters.since, resolved_at__lt=filters.until, assignee__isnull=False).order_by()
        .values("assignee_id").annotate(n=Count("pk"), res=Avg("report_times__resolution_seconds"),
                                        res_w=Avg("report_times__resolution_working_seconds"))}
    responded: dict[int, dict[str, Any]] = {row["assignee_id"]: dict(row) for row in tickets.filter(
        first_response_at__gte=filters.since, first_response_at__lt=filters.until, assignee__isnull=False)
        .order_by().values("assignee_id").annotate(fr=Avg("report_times__first_response_seconds"),
                                                   fr_w=Avg("report_times__first_response_working_seconds"))}
    scores: dict[int, dict[str, Any]] = {
        row["ticket__assignee_id"]: dict(row) for row in ratings(viewer, filters).order_by()
        .values("ticket__assignee_id").annotate(n=Count("pk"), avg=Avg("score"))}
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
