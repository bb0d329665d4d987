"""Response targets outside ticket clocks (a chat's first-line target): the same clock maths, the same
warning rule and the same sweep as ticket SLAs.

`target_deadlines` starts a clock with `otklik.sla.clock.apply_event` on the owner's working calendar and
returns its due and warning instants, so a chat dialog is planned exactly as a ticket's reaction clock
would be. Apps with such targets register a sweep hook; `sweep.sla_sweep` runs the hooks after the
ticket clocks, every minute, and reports their counts with its own. The SLA part never imports those apps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from otklik.sla.calendars import CalendarData
from otklik.sla.clock import ClockEvent, apply_event
from otklik.sla.models import warn_minutes_for
from otklik.worktime import WEEKDAY_KEYS, BusinessCalendar

logger = logging.getLogger(__name__)

# No schedule chosen: every minute counts.
AROUND_THE_CLOCK = CalendarData("UTC", dict.fromkeys(WEEKDAY_KEYS, "24h"), [])

SweepHook = Callable[[datetime], Mapping[str, int]]
_hooks: dict[str, SweepHook] = {}


@dataclass(frozen=True)
class Deadlines:
    due_at: datetime | None
    warn_at: datetime | None


def target_deadlines(
    *, start: datetime, target_minutes: int, calendar: BusinessCalendar | None, warn_before_minutes: int | None = None
) -> Deadlines:
    """Due and warning instants of a target started at `start`, in working time of `calendar`."""
    working = calendar if calendar is not None else AROUND_THE_CLOCK.build()
    warn = warn_minutes_for(target_minutes, warn_before_minutes)
    state = apply_event(
        None,
        ClockEvent(
            "start",
            start,
            {
                "metric": "first_line",
                "target": target_minutes * 60,
                "warn_before": warn * 60,
                "calendar": "target",
            },
        ),
        lambda _key: working,
    )
    return Deadlines(due_at=state.due_at, warn_at=state.warn_at)


def sweep_hook_register(name: str, hook: SweepHook) -> None:
    """`hook(now)` stamps and announces its own warnings and breaches and returns counts by name."""
    _hooks[name] = hook


def sweep_hooks_run(*, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, hook in _hooks.items():
        try:
            for key, value in hook(now).items():
                counts[f"{name}_{key}"] = value
        except Exception:  # one target's failure must not stop the ticket sweep's next minute
            logger.exception("SLA sweep hook %s failed", name)
    return counts
