"""Each report by name: how it is computed and how it becomes a table for CSV/XLSX.

The API (`/api/v1/reports/<name>/`), the pages and their export buttons all go through `run` and
`table`, so a number is the same in every channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.core.errors import InvalidInput, NotFound
from otklik.knowledge import selectors as knowledge_selectors
from otklik.reports import forecast, quality, selectors
from otklik.reports.exports import Table, rows_table
from otklik.reports.filters import ReportFilters, may_see_reports, zone


@dataclass(frozen=True)
class Report:
    compute: Callable[[User, ReportFilters, Mapping[str, Any]], Any]
    table: Callable[[Any], Table]


def _by(params: Mapping[str, Any]) -> str:
    value = params.get("by") or "assignee"
    by = str(value[0] if isinstance(value, list) else value)
    if by not in selectors.BREAKDOWNS:
        raise InvalidInput(_("Unknown breakdown: %(name)s.") % {"name": by[:40]}, errors={"by": by[:40]})
    return by


def _weeks(params: Mapping[str, Any]) -> int:
    value = params.get("weeks") or "6"
    text = str(value[0] if isinstance(value, list) else value)
    if not text.isdigit() or not 4 <= int(text) <= 8:
        raise InvalidInput(_("Weeks must be a number from 4 to 8."), errors={"weeks": text[:20]})
    return int(text)


def _overview_table(data: dict[str, Any]) -> Table:
    return rows_table(data["months"])


def _second_line_table(data: dict[str, Any]) -> Table:
    return Table(list(data.keys()), [list(data.values())])


def _load_table(data: dict[str, Any]) -> Table:
    return rows_table(data["days"])


def _sla_table(data: dict[str, Any]) -> Table:
    rows = [{"group": group, **row} for group, group_rows in data["groups"].items() for row in group_rows]
    columns = ["group", "key", "label", "month", "metric", "total", "met", "breached", "met_share"]
    return rows_table(rows, columns)


def _csat_table(data: dict[str, Any]) -> Table:
    return rows_table(data["distribution"])


def _forecast_table(data: dict[str, Any]) -> Table:
    return rows_table(data["days"], ["date", "forecast", "lower", "upper", "working_day"])


REPORTS: dict[str, Report] = {
    "overview": Report(lambda viewer, filters, params: selectors.overview(viewer, filters), _overview_table),
    "second-line": Report(lambda viewer, filters, params: selectors.second_line(viewer, filters),
                          _second_line_table),
    "breakdown": Report(lambda viewer, filters, params: selectors.breakdown(viewer, filters, _by(params)),
                        rows_table),
    "load": Report(lambda viewer, filters, params: selectors.load(viewer, filters), _load_table),
    "sla": Report(lambda viewer, filters, params: quality.sla(viewer, filters), _sla_table),
    "csat": Report(lambda viewer, filters, params: quality.csat(viewer, filters), _csat_table),
    "specialists": Report(lambda viewer, filters, params: quality.specialists(viewer, filters), rows_table),
    "forecast": Report(lambda viewer, filters, params: forecast.forecast(viewer, filters, weeks=_weeks(params)),
                       _forecast_table),
    # Computed and scoped in otklik.knowledge (docs/knowledge-base.md); managers, auditors and admins.
    "knowledge": Report(lambda viewer, filters, params: knowledge_selectors.knowledge_report_for(
        viewer, since=filters.since, until=filters.until, tz=zone(), unit=params.get("unit")),
        lambda data: rows_table(knowledge_selectors.report_rows(data), knowledge_selectors.REPORT_COLUMNS)),
}


def run(name: str, viewer: User, filters: ReportFilters, params: Mapping[str, Any]) -> Any:
    """A report's data for the viewer; NotFound for people who see no reports (the same as a missing page)."""
    if not may_see_reports(viewer) or name not in REPORTS:
        raise NotFound()
    return REPORTS[name].compute(viewer, filters, params)
