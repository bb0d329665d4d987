"""From a report number to its tickets: the `report` parameter of the ticket list (web and API).

The parameter carries the report's own filters and the number's name, so the list applies exactly the
selector that counted it (`selectors.metric_tickets`) and its total equals the number.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from django.db.models import QuerySet
from django.urls import reverse

from otklik.accounts.models import User
from otklik.reports.filters import ReportFilters, may_see_reports, parse_filters
from otklik.reports.selectors import metric_tickets
from otklik.tickets.models import Ticket


def drill_value(filters: ReportFilters, metric: str, *, by: str = "", key: str = "", column: str = "") -> str:
    pairs = [*filters.params(), ("metric", metric)]
    if by:
        pairs += [("by", by), ("key", key)]
    elif key:
        pairs.append(("key", key))  # a key without a breakdown: the CSAT score
    if column:
        pairs.append(("column", column))
    return urlencode(pairs)


def drill_url(filters: ReportFilters, metric: str, *, by: str = "", key: str = "", column: str = "") -> str:
    return reverse("home") + "?" + urlencode({"report": drill_value(filters, metric, by=by, key=key,
                                                                    column=column)})


def drill_tickets(viewer: User, value: str) -> QuerySet[Ticket]:
    """The tickets behind a number; InvalidInput for a parameter that is not one."""
    params = dict(parse_qs(value[:2000]))
    filters = parse_filters(params)
    if not may_see_reports(viewer):
        return Ticket.objects.none()

    def first(name: str) -> str:
        return (params.get(name) or [""])[0]

    return metric_tickets(viewer, filters, first("metric") or "new", by=first("by"), key=first("key"),
                          column=first("column"))
