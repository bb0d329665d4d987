"""Chart.js specifications for the report pages, built from the same data the tables show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

BLUE, GREEN, ORANGE, RED, GREY = "#0d6efd", "#198754", "#fd7e14", "#dc3545", "#6c757d"


def _hours(seconds: Any) -> float | None:
    return round(float(seconds) / 3600, 2) if seconds is not None else None


def _line(label: str, data: list[Any], color: str, **extra: Any) -> dict[str, Any]:
    return {"label": label, "data": data, "borderColor": color, "backgroundColor": color, "tension": 0.2, **extra}


def overview(data: dict[str, Any]) -> dict[str, Any]:
    months = data["months"]
    labels = [row["month"] for row in months]
    urls = [row["page"] for row in months]
    return {
        "volume": {"type": "line", "labels": labels, "urls": urls, "datasets": [
            _line(pgettext("report", "New"), [row["new"] for row in months], BLUE),
            _line(pgettext("report", "Closed"), [row["closed"] for row in months], GREEN),
        ]},
        "times": {"type": "line", "labels": labels, "urls": urls, "datasets": [
            _line(_("Resolution, h (24/7)"), [_hours(row["avg_resolution_seconds"]) for row in months], ORANGE),
            _line(_("Resolution, working h"), [_hours(row["avg_resolution_working_seconds"]) for row in months],
                  RED),
            _line(_("First response, h (24/7)"), [_hours(row["avg_first_response_seconds"]) for row in months],
                  BLUE),
            _line(_("First response, working h"),
                  [_hours(row["avg_first_response_working_seconds"]) for row in months], GREY),
        ]},
    }


def breakdown(rows: list[dict[str, Any]]) -> dict[str, Any]:
    shown = rows[:30]
    return {"counts": {"type": "bar", "stacked": True, "labels": [row["label"] for row in shown],
                       "urls": [row["links"]["all"] for row in shown], "datasets": [
        {"label": _("Resolved"), "data": [row["resolved"] for row in shown], "backgroundColor": GREEN},
        {"label": _("Unresolved"), "data": [row["unresolved"] for row in shown], "backgroundColor": ORANGE},
    ]}}


def load(data: dict[str, Any]) -> dict[str, Any]:
    days = data["days"]
    labels = [row["date"] for row in days]
    return {
        "days": {"type": "line", "labels": labels, "urls": [row["links"]["new"] for row in days], "datasets": [
            _line(pgettext("report", "New"), [row["new"] for row in days], BLUE),
            _line(pgettext("report", "Closed"), [row["closed"] for row in days], GREEN),
            _line(_("Backlog at the end of the day"), [row["backlog"] for row in days], GREY),
        ]},
        "first_response": _histogram(data["first_response"], _("First response")),
        "resolution": _histogram(data["resolution"], _("Resolution")),
    }


BUCKET_LABELS = {"1h": "< 1 h", "4h": "1–4 h", "8h": "4–8 h", "1d": "8–24 h", "3d": "1–3 d", "7d": "3–7 d",
                 "more": "> 7 d"}


def _histogram(distribution: dict[str, Any], label: str) -> dict[str, Any]:
    return {"type": "bar", "labels": [BUCKET_LABELS[row["bucket"]] for row in distribution["buckets"]],
            "datasets": [{"label": label, "data": [row["count"] for row in distribution["buckets"]],
                          "backgroundColor": BLUE}]}


def sla(data: dict[str, Any]) -> dict[str, Any]:
    months = sorted({row["month"] for row in data["groups"]["month"]})
    series = []
    for metric, color in (("reaction", BLUE), ("resolution", GREEN)):
        found = {row["month"]: row["met_share"] for row in data["groups"]["month"] if row["metric"] == metric}
        label = _("Reaction met, %") if metric == "reaction" else _("Resolution met, %")
        series.append(_line(label, [round(100 * found[m], 1) if found.get(m) is not None else None
                                    for m in months], color))
    return {"months": {"type": "line", "labels": months, "datasets": series}}


def csat(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "scores": {"type": "bar", "labels": [str(row["score"]) for row in data["distribution"]], "datasets": [
            {"label": _("Ratings"), "data": [row["count"] for row in data["distribution"]],
             "backgroundColor": [RED, ORANGE, GREY, BLUE, GREEN]}]},
        "trend": {"type": "line", "labels": [row["month"] for row in data["trend"]], "datasets": [
            _line(_("Average score"), [round(row["average"], 2) for row in data["trend"]], GREEN)]},
    }


def forecast(data: dict[str, Any]) -> dict[str, Any]:
    history = data["history"][-56:]
    days = data["days"]
    labels = [row["date"] for row in history] + [row["date"] for row in days]
    pad = [None] * len(history)
    return {"forecast": {"type": "line", "labels": labels, "datasets": [
        _line(_("Incoming"), [row["count"] for row in history] + [None] * len(days), GREY),
        _line(_("Forecast"), pad + [row["forecast"] for row in days], BLUE),
        _line(_("Lower bound"), pad + [row["lower"] for row in days], "#9ec5fe", borderDash=[4, 4]),
        _line(_("Upper bound"), pad + [row["upper"] for row in days], "#9ec5fe", borderDash=[4, 4]),
    ]}}


BUILDERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "overview": overview, "breakdown": breakdown, "load": load, "sla": sla, "csat": csat,
            "forecast": forecast}


def charts_for(page: str, data: Any) -> dict[str, Any]:
    builder = BUILDERS.get(page)
    return builder(data) if builder else {}
