"""A clock's ledger as a manager reads it: a summary, then runs of alike time (SPEC 8.2, 8.3).

The log is folded again (`clock.apply_event`) and the time between events is split into what
counted, what was outside working hours and what was paused. Consecutive spans of the same
kind are folded into one run, and a running stretch is cut once, at the due instant, so a long
overdue clock is two rows ("counted" then "late"), not a row per night. The number of rows is
bounded by the number of pauses, resumes and stops, never by the number of days.

No database access here: the caller passes the log and a calendar lookup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise

from django.utils.translation import gettext as _

from otklik.sla.clock import CANCELLED, PAUSED, RUNNING, STOPPED, CalendarLookup, ClockEvent, ClockState, apply_event
from otklik.worktime import BusinessCalendar

DAY = 86400
# Log entries that say something changed for the clock; the rest (warnings sent, breach stamps) do not.
NOTABLE_CAUSES = frozenset({"start", "pause", "resume", "stop", "reopen", "policy_change", "calendar_change",
                            "override", "cancel", "recalculate", "replay"})


@dataclass(frozen=True)
class LedgerRun:
    start: datetime
    end: datetime
    kind: str  # running, paused, stopped (resolved, waiting for a reopen)
    late: bool  # the run lies after the due instant then in force
    counted_seconds: int
    outside_hours_seconds: int
    paused_seconds: int
    causes: tuple[str, ...]  # what began the run and what happened inside it

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class LedgerSummary:
    counted_seconds: int
    paused_seconds: int
    outside_hours_seconds: int
    remaining_seconds: int | None  # working time left on an open clock that is not late
    late_by_seconds: int | None  # wall-clock time past the due instant (SPEC 8.3)
    business_overrun_seconds: int | None  # working time used beyond the target
    working_day_seconds: int  # the schedule's usual working day, for "2 wd 3 h"


def working_day_seconds(calendar: BusinessCalendar) -> int:
    """The schedule's usual working day: the most common working weekday length (ties: the longest)."""
    lengths = [day.working_minutes for day in calendar.schedule.days if day.working_minutes]
    if not lengths:
        return DAY
    counts = Counter(lengths)
    best = max(counts.items(), key=lambda item: (item[1], item[0]))[0]
    return best * 60


def _segment(state: ClockState, start: datetime, end: datetime, cause: str,
             lookup: CalendarLookup) -> list[LedgerRun]:
    if end <= start or state.state == CANCELLED:
        return []
    length = int((end - start).total_seconds())
    if state.state == PAUSED:
        return [LedgerRun(start, end, PAUSED, False, 0, 0, length, (cause,))]
    if state.state == STOPPED:
        return [LedgerRun(start, end, STOPPED, False, 0, 0, length, (cause,))]
    calendar = lookup(state.calendar_key)
    due = state.due_at
    cuts = [start, end]
    if due is not None and start < due < end:
        cuts = [start, due, end]
    runs = []
    for left, right in pairwise(cuts):
        counted = calendar.business_seconds_between(left, right)
        late = due is not None and left >= due
        runs.append(LedgerRun(left, right, RUNNING, late, counted, int((right - left).total_seconds()) - counted, 0,
                              (cause,)))
    return runs


def _fold_runs(runs: list[LedgerRun]) -> list[LedgerRun]:
    folded: list[LedgerRun] = []
    for run in runs:
        last = folded[-1] if folded else None
        if last is not None and (last.kind, last.late) == (run.kind, run.late) and last.end == run.start:
            causes = last.causes + tuple(c for c in run.causes if c not in last.causes)
            folded[-1] = replace(last, end=run.end, counted_seconds=last.counted_seconds + run.counted_seconds,
                                 outside_hours_seconds=last.outside_hours_seconds + run.outside_hours_seconds,
                                 paused_seconds=last.paused_seconds + run.paused_seconds, causes=causes)
        else:
            folded.append(run)
    return folded


def ledger_runs(events: Sequence[ClockEvent], lookup: CalendarLookup, now: datetime) -> list[LedgerRun]:
    """The clock's time from start to `now` (or its stop), as folded runs."""
    runs: list[LedgerRun] = []
    state: ClockState | None = None
    for index, event in enumerate(events):
        state = apply_event(state, event, lookup)
        # up to the next entry: entries at the same instant (a breach stamp and a warning) give
        # empty spans, so no stretch is counted twice
        if index + 1 < len(events):
            later = events[index + 1].at
        else:
            later = now if state.state in (RUNNING, PAUSED) else event.at
        cause = event.kind if event.kind in NOTABLE_CAUSES else ""
        runs.extend(_segment(state, event.at, max(later, event.at), cause, lookup))
    return [replace(run, causes=tuple(c for c in run.causes if c)) for run in _fold_runs(runs)]


def summarize(state: ClockState, runs: Sequence[LedgerRun], used_seconds: int, day_seconds: int,
              now: datetime) -> LedgerSummary:
    is_open = state.state in (RUNNING, PAUSED)
    due = state.due_at
    late_by: int | None = None
    if is_open and due is not None and (now > due and (state.state == RUNNING or state.breached_at is not None)):
        late_by = int((now - due).total_seconds())
    elif state.state == STOPPED and state.met is False and due is not None and state.stopped_at is not None:
        late_by = max(0, int((state.stopped_at - due).total_seconds()))
    overrun = max(0, used_seconds - state.target_seconds) if state.state != CANCELLED else None
    return LedgerSummary(
        counted_seconds=used_seconds,
        paused_seconds=sum(run.paused_seconds for run in runs),
        outside_hours_seconds=sum(run.outside_hours_seconds for run in runs),
        remaining_seconds=max(0, state.target_seconds - used_seconds) if is_open and late_by is None else None,
        late_by_seconds=late_by,
        business_overrun_seconds=overrun,
        working_day_seconds=day_seconds,
    )


def humanize_working(seconds: int | None, day_seconds: int) -> str:
    """Working time in the schedule's working days: `2 wd 3 h`, `3 h 20 min`, `< 1 min` (SPEC 8.3)."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return _("< 1 min")
    days, rest = divmod(seconds, day_seconds) if day_seconds < DAY else (0, seconds)
    hours, rest = divmod(rest, 3600)
    if day_seconds >= DAY:
        days, hours = divmod(hours, 24)
    minutes = rest // 60
    parts = []
    if days:
        parts.append((_("%(n)s wd") if day_seconds < DAY else _("%(n)s d")) % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)s min") % {"n": minutes})
    return " ".join(parts)
