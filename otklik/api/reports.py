"""`GET /api/v1/reports/<name>/`: the report pages' numbers as JSON, or `?format=csv|xlsx` as a file.

One explicit route per report (the chat app adds `first-line/` beside them). Filters: `from`, `to`
(ISO dates, inclusive, in the installation's time zone), `team`, `category`, `priority`, `source`,
`organization`, `request_type`, `assignee`; `by` for breakdowns, `weeks` for the forecast.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otklik.api.views import READ_ERRORS, viewer_of
from otklik.core.errors import NotFound
from otklik.reports import exports, registry
from otklik.reports.filters import may_see_reports, parse_filters


class _FileRenderer(BaseRenderer):
    """Lets `?format=csv|xlsx` be negotiated; the view streams the file itself."""

    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        import json

        return json.dumps(data).encode()


class CsvRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XlsxRenderer(_FileRenderer):
    media_type = exports.XLSX_TYPE
    format = "xlsx"


FILTER_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive); the current month by default."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive)."),
    OpenApiParameter("team", OpenApiTypes.INT, many=True),
    OpenApiParameter("category", OpenApiTypes.INT, description="A category with its whole subtree."),
    OpenApiParameter("priority", OpenApiTypes.STR, many=True),
    OpenApiParameter("source", OpenApiTypes.STR, many=True),
    OpenApiParameter("organization", OpenApiTypes.INT),
    OpenApiParameter("request_type", OpenApiTypes.INT),
    OpenApiParameter("assignee", OpenApiTypes.INT),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"]),
]


class ReportView(APIView):
    report = ""
    renderer_classes = [JSONRenderer, CsvRenderer, XlsxRenderer]
    extra_parameters: list[OpenApiParameter] = []

    def get(self, request: Request) -> HttpResponseBase:
        viewer = viewer_of(request)
        if not may_see_reports(viewer):
            raise NotFound()
        filters = parse_filters(request.query_params)
        data = registry.run(self.report, viewer, filters, request.query_params)
        fmt = request.query_params.get("format", "json")
        if fmt in exports.FORMATS:
            table = registry.REPORTS[self.report].table(data)
            return exports.streamed(table, fmt, f"{self.report}-{filters.start}-{filters.end}")
        return Response(data)


def _view(name: str, summary: str, extra: list[OpenApiParameter] | None = None) -> type[ReportView]:
    schema = extend_schema(
        parameters=FILTER_PARAMETERS + (extra or []), summary=summary,
        operation_id=f"reports_{name.replace('-', '_')}",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The report; a file with ?format="),
                   **READ_ERRORS},
    )

    class View(ReportView):
        report = name

        @schema
        def get(self, request: Request) -> HttpResponseBase:
            return super().get(request)

    View.__name__ = View.__qualname__ = f"Report{name.title().replace('-', '')}View"
    return View


OverviewView = _view("overview", "Overview: first and second line numbers with monthly trends")
SecondLineView = _view("second-line", "Second line: new, closed, open at the end, average times")
BreakdownView = _view("breakdown", "Tickets created in the period grouped by one dimension", [
    OpenApiParameter("by", OpenApiTypes.STR, enum=["assignee", "team", "category", "priority", "status", "source",
                                                   "request_type", "organization", "rating"]),
])
LoadView = _view("load", "Tickets per day, hour-of-week heatmap, backlog and time distributions")
SlaView = _view("sla", "SLA met and breached per policy, priority, team and month, with the breaches")
CsatView = _view("csat", "Ratings: distribution, trend, comments and what followed low scores")
SpecialistsView = _view("specialists", "Per agent: replies, notes, resolved tickets, speed and CSAT")
ForecastView = _view("forecast", "Daily incoming forecast with an 80% interval and its backtest MAPE", [
    OpenApiParameter("weeks", OpenApiTypes.INT, description="4 to 8"),
])
KnowledgeView = _view("knowledge", "Knowledge base: deflections, most viewed articles and helpfulness votes", [
    OpenApiParameter("unit", OpenApiTypes.STR, enum=["day", "week"],
                     description="The deflection trend's step; days up to two months by default"),
])
