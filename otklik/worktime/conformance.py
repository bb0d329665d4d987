"""Adapter between the SLA oracle's JSON cases (`../shared/sla/oracle.py`) and this package.

    python3 ../shared/sla/oracle.py check ../shared/sla/cases-public.json \
        --impl otklik.worktime.conformance:evaluate
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from otklik.worktime.parsing import parse_calendar, validate_calendar
from otklik.worktime.pauses import Pause
from otklik.worktime.zones import from_epoch, to_epoch


def parse_instant(text: str) -> datetime:
    """`"2024-03-04T06:00:00Z"` -> aware datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"instant {text!r} has no time zone")
    return moment


def format_instant(moment: datetime | None) -> str | None:
    """Aware datetime -> `"2024-03-04T06:00:00Z"`, the oracle's spelling."""
    if moment is None:
        return None
    return from_epoch(to_epoch(moment)).strftime("%Y-%m-%dT%H:%M:%SZ")


def evaluate(case: dict[str, Any]) -> dict[str, Any]:
    """Answer one oracle case (ops `due`, `elapsed`, `validate`) with the keys of its `expected`."""
    op = case.get("op")
    if op == "validate":
        report = validate_calendar(case.get("timezone"), case.get("schedule"), case.get("exceptions", []))
        # extra keys are ignored by the oracle; they make failures readable
        return {
            "valid": report.is_valid,
            "problems": list(report.problems),
            "warnings": list(report.warnings),
        }
    calendar = parse_calendar(case.get("timezone"), case.get("schedule"), case.get("exceptions", []))
    pauses = [
        Pause(parse_instant(begin), None if end is None else parse_instant(end))
        for begin, end in case.get("pauses", [])
    ]
    start = parse_instant(case["start"])
    if op == "elapsed":
        end = parse_instant(case["end"])
        return {"elapsed_seconds": calendar.business_seconds_between(start, end, pauses)}
    if op == "due":
        target = case["target_minutes"]
        result = {"due": format_instant(calendar.due_at(start, target, pauses))}
        if "warn_before_minutes" in case:
            warn_at = calendar.warn_at(start, target, case["warn_before_minutes"], pauses)
            result["warn_at"] = format_instant(warn_at)
        return result
    raise ValueError(f"unknown op {op!r}")
