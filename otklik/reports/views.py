"""Report pages in the workspace: thin views over `registry.run`, each with CSV/XLSX export and drill links.

Staff only (agents see their own figures); anyone else gets the same 404 as for a missing page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.decorators import staff_required
from otklik.accounts.models import Organization, Role, Team
from otklik.core.errors import InvalidInput, NotFound
from otklik.reports import exports, registry
from otklik.reports.charts import charts_for
from otklik.reports.drill import drill_url
from otklik.reports.filters import ReportFilters, is_own_figures_only, month_bounds, parse_filters
from otklik.reports.models import WeeklyDigest
from otklik.reports.selectors import BREAKDOWNS
from otklik.tickets.models import Category, Priority, RequestType, Source
from otklik.web.views.base import current_user

PAGES: list[tuple[str, Any]] = [
    ("overview", gettext_lazy("Overview")), ("breakdown", gettext_lazy("Breakdowns")),
    ("load", gettext_lazy("Load")), ("sla", gettext_lazy("SLA compliance")),
    ("specialists", gettext_lazy("Specialists")), ("csat", gettext_lazy("CSAT")),
    ("forecast", gettext_lazy("Forecast")),
]
BREAKDOWN_LABELS = {
    "assignee": gettext_lazy("Assignee"), "team": gettext_lazy("Team"), "category": gettext_lazy("Category"),
    "priority": gettext_lazy("Priority"), "status": gettext_lazy("Status"), "source": gettext_lazy("Source"),
    "request_type": gettext_lazy("Request type"), "organization": gettext_lazy("Organization"),
    "rating": gettext_lazy("Rating"),
}


def _choices() -> dict[str, Any]:
    return {
        "teams": Team.objects.order_by("name"), "categories": Category.objects.filter(is_active=True),
        "priorities": Priority.objects.all(), "sources": Source.choices,
        "organizations": Organization.objects.order_by("name"),
        "request_types": RequestType.objects.filter(is_active=True),
    }


def _presets(today: date) -> list[tuple[str, ReportFilters]]:
    this_start, this_end = month_bounds(today)
    last_start, last_end = month_bounds(this_start - timedelta(days=1))
    base = ReportFilters(start=this_start, end=this_end)
    return [
        (str(_("This month")), base),
        (str(_("Last month")), base.with_period(last_start, last_end)),
        (str(_("Last 7 days")), base.with_period(today - timedelta(days=6), today)),
        (str(_("Last 30 days")), base.with_period(today - timedelta(days=29), today)),
        (str(_("This year")), base.with_period(date(today.year, 1, 1), date(today.year, 12, 31))),
    ]


def _decorate(page: str, data: Any, filters: ReportFilters, by: str) -> None:
    """Drill links for every number the page shows: the ticket list of exactly those tickets."""
    if page == "overview":
        data["links"] = {metric: drill_url(filters, metric) for metric in ("new", "closed", "open_at_end",
                                                                           "responded")}
        for row in data["months"]:
            year, month = (int(part) for part in row["month"].split("-"))
            start, end = month_bounds(date(year, month, 1))
            period = filters.with_period(start, end)
            row["page"] = "?" + period.query()
            row["links"] = {"new": drill_url(period, "new"), "closed": drill_url(period, "closed")}
    elif page == "breakdown":
        for row in data:
            row["links"] = {column or "all": drill_url(filters, "new", by=by, key=row["key"], column=column)
                            for column in ("", "resolved", "unresolved", "reopened")}
    elif page == "load":
        for row in data["days"]:
            day = date.fromisoformat(row["date"])
            period = filters.with_period(day, day)
            row["links"] = {metric: drill_url(period, metric) for metric in ("new", "closed", "open_at_end")}
        peak = max((count for hours in data["heatmap"] for count in hours), default=0) or 1
        weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
        data["heat_rows"] = [(weekdays[index], [(count, min(5, (5 * count + peak - 1) // peak)) for count in hours])
                             for index, hours in enumerate(data["heatmap"])]
    elif page == "sla":
        for group, rows in data["groups"].items():
            for row in rows:
                if group == "month":
                    year, month = (int(part) for part in row["month"].split("-"))
                    period, by, key = filters.with_period(*_clipped_month(filters, date(year, month, 1))), "", ""
                else:
                    period, by, key = filters, group, row["key"]
                row["links"] = {name: drill_url(period, f"sla_{name}", by=by, key=key, column=row["metric"])
                                for name in ("met", "breached")}
    elif page == "csat":
        data["link"] = drill_url(filters, "csat")
        for row in data["distribution"]:
            row["link"] = drill_url(filters, "csat", key=str(row["score"]))
    elif page == "specialists":
        for row in data:
            own = replace(filters, assignee_id=int(row["key"]))
            row["links"] = {"resolved": drill_url(own, "closed"), "csat": drill_url(own, "csat")}


def _clipped_month(filters: ReportFilters, first: date) -> tuple[date, date]:
    """A month row's period: the month, cut to the report's period (its first and last months may be partial)."""
    start, end = month_bounds(first)
    return max(start, filters.start), min(end, filters.end)


def report_for_request(request: HttpRequest, page: str) -> tuple[ReportFilters, Any, bool]:
    """The registry's report `page` for the request's filters, and whether they were valid: a bad filter
    is said on the page and the default period shown instead. A viewer who may not see it gets a 404."""
    viewer = current_user(request)
    try:
        try:
            filters = parse_filters(request.GET)
            return filters, registry.run(page, viewer, filters, request.GET), True
        except InvalidInput as error:
            messages.error(request, f"{error.message} " + "; ".join(f"{k}: {v}" for k, v in error.errors.items()))
            filters = parse_filters({})
            return filters, registry.run(page, viewer, filters, {}), False
    except NotFound as error:
        raise Http404() from error


def export_for_request(request: HttpRequest, page: str, filters: ReportFilters, data: Any) -> HttpResponseBase | None:
    """The report as a streamed CSV or XLSX file when the request asks for one (`?format=`), else None."""
    fmt = request.GET.get("format", "")
    if fmt not in exports.FORMATS:
        return None
    return exports.streamed(registry.REPORTS[page].table(data), fmt, f"{page}-{filters.start}-{filters.end}")


def _export_or_page(request: HttpRequest, page: str) -> HttpResponseBase:
    viewer = current_user(request)
    filters, data, valid = report_for_request(request, page)
    by = (request.GET.get("by") or "assignee") if valid else "assignee"
    exported = export_for_request(request, page, filters, data)
    if exported is not None:
        return exported
    _decorate(page, data, filters, by)
    return render(request, f"reports/{page}.html", {
        "page": page, "pages": PAGES, "filters": filters, "data": data, "by": by, "charts": charts_for(page, data),
        "breakdowns": [(name, BREAKDOWN_LABELS[name]) for name in BREAKDOWNS],
        "presets": [(label, "?" + preset.query()) for label, preset in _presets(timezone.localdate())],
        "own_only": is_own_figures_only(viewer), "query": filters.query(), **_choices(),
        "subscribed": WeeklyDigest.objects.filter(user=viewer, is_active=True).exists(),
        "may_subscribe": viewer.role in (Role.MANAGER, Role.ADMIN) or viewer.is_superuser,
    })


def _page_view(page: str) -> Any:
    @staff_required
    @require_GET
    def view(request: HttpRequest) -> HttpResponseBase:
        return _export_or_page(request, page)

    view.__name__ = page
    return view


overview = _page_view("overview")
breakdown = _page_view("breakdown")
load = _page_view("load")
sla = _page_view("sla")
specialists = _page_view("specialists")
csat = _page_view("csat")
forecast = _page_view("forecast")


@staff_required
@require_POST
def digest(request: HttpRequest) -> HttpResponse:
    """Subscribe to (or stop) the weekly overview by email; managers and administrators only."""
    viewer = current_user(request)
    if not (viewer.role in (Role.MANAGER, Role.ADMIN) or viewer.is_superuser):
        raise Http404()
    active = request.POST.get("active") == "1"
    WeeklyDigest.objects.update_or_create(user=viewer, defaults={"is_active": active})
    messages.success(request, _("You will get the weekly overview by email.") if active
                     else _("The weekly overview email is off."))
    return redirect("reports:overview")
