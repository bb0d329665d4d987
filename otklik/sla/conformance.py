"""Adapter between the clock oracle's JSON cases (`../shared/sla/clock_oracle.py`) and the real
clock fold in `otklik.sla.clock` (no second implementation: every case runs through
`clock.apply_event`, the function the services apply to stored clock rows).

    python3 ../shared/sla/clock_oracle.py check ../shared/sla/clock-cases-public.json \
        --impl otklik.sla.conformance:evaluate_clock

Free of Django imports, so the oracle can import it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from otklik.sla.clock import (
    CANCELLED,
    RUNNING,
    CalendarLookup,
    ClockEvent,
    ClockState,
    apply_event,
    business_used,
    snapshot_calendars,
)
from otklik.worktime import BusinessCalendar, parse_calendar
from otklik.worktime.conformance import format_instant, parse_instant


def _lookup(calendars: Mapping[str, Mapping[str, Any]]) -> CalendarLookup:
    def build(key: str) -> BusinessCalendar:
        spec = calendars[key]
        return parse_calendar(spec.get("timezone"), spec.get("schedule"), spec.get("exceptions", []))

    return snapshot_calendars(build)


def _minutes(value: Any) -> int:
    return int(value) * 60


def clock_event(raw: Mapping[str, Any], metric: str) -> ClockEvent | None:
    """One oracle event as the fold's event; None for an event the clock ignores."""
    kind, at = str(raw["kind"]), parse_instant(str(raw["at"]))
    if kind == "start":
        return ClockEvent("start", at, {
            "metric": metric, "policy": None, "target": _minutes(raw["target_minutes"]),
            "warn_before": _minutes(raw.get("warn_before_minutes", 0)), "calendar": raw["calendar"],
            "paused": bool(raw.get("paused", False)),
        })
    if kind in ("pause", "resume", "stop", "cancel"):
        return ClockEvent(kind, at, {})
    if kind == "reopen":
        # SPEC 6.1: the reaction clock never restarts; a reopen only concerns the resolution clock.
        return ClockEvent("reopen", at, {}) if metric == "resolution" else None
    if kind == "level_change":
        if raw.get("target_minutes") is None:
            # SPEC 7.3: a level without this target cancels the clock (checkpointed on the old calendar).
            return ClockEvent("cancel", at, {"reason": "policy_has_no_target"})
        return ClockEvent("policy_change", at, {
            "policy": None, "target": _minutes(raw["target_minutes"]),
            "warn_before": _minutes(raw.get("warn_before_minutes", 0)), "calendar": raw["calendar"],
        })
    if kind == "calendar_change":
        return ClockEvent("calendar_change", at, {"calendar": raw["calendar"]})
    if kind == "override":
        return ClockEvent("override", at, {"due_at": raw.get("due")})
    raise ValueError(f"unknown clock event {kind!r}")


def _sweep(state: ClockState | None, at: datetime, lookup: CalendarLookup) -> ClockState | None:
    """What SPEC 9's breach sweep would have done by `at`: a case carries no sweep events."""
    if state is None or state.state != RUNNING or state.breached_at is not None:
        return state
    if state.due_at is not None and at > state.due_at:
        return apply_event(state, ClockEvent("breached", at, {}), lookup)
    return state


def evaluate_clock(case: dict[str, Any]) -> dict[str, Any]:
    """Fold one oracle case's log with the real clock and read the row at `now`."""
    metric = str(case["metric"])
    lookup = _lookup(case["calendars"])
    state: ClockState | None = None
    for raw in case["events"]:
        event = clock_event(raw, metric)
        if event is None:
            continue
        state = _sweep(state, event.at, lookup)
        state = apply_event(state, event, lookup)
    now = parse_instant(str(case["now"]))
    state = _sweep(state, now, lookup)
    if state is None:
        raise ValueError("a clock case starts with a start event")
    if state.state == RUNNING:
        consumed = business_used(state, now, lookup)
    elif state.final_business_seconds is not None and state.state != CANCELLED:
        consumed = state.final_business_seconds
    else:
        consumed = state.consumed_seconds
    return {
        "state": state.state,
        "due_at": format_instant(state.due_at),
        "warn_at": format_instant(state.warn_at),
        "breached_at": format_instant(state.breached_at),
        "consumed_seconds": consumed,
        "met": state.met,
    }
