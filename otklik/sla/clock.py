"""The clock as a fold over its event log (SPEC 7.1-7.6, 8). No database access here.

`apply_event(state, event, calendars)` is the one transition function: the services apply it to
the stored row for each new event, and `fold(events)` replays a whole log with it, so the stored
row and a replay of its log are equal by construction (and the tests check that they stay so
through the database round trips).

Budgets: `consumed_seconds` is the business time used up to `checkpoint_at`; while running, the
computed due instant is `add(checkpoint_at, target - consumed)` on the clock's calendar, which by
additivity equals `add(started_at, target, pauses so far)`, the invariant of SPEC 7.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from otklik.worktime import BusinessCalendar

CalendarLookup = Callable[[str], BusinessCalendar]

RUNNING, PAUSED, STOPPED, CANCELLED = "running", "paused", "stopped", "cancelled"
OPEN_STATES = frozenset({RUNNING, PAUSED})

# How far back a warning before a hand-set due time is searched for working time.
_WARN_LOOKBACK = (timedelta(days=14), timedelta(days=400))


@dataclass
class ClockEvent:
    kind: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClockState:
    metric: str
    policy_id: int | None
    target_seconds: int
    warn_before_seconds: int
    calendar_key: str
    state: str
    started_at: datetime
    checkpoint_at: datetime
    consumed_seconds: int = 0
    computed_due_at: datetime | None = None
    computed_warn_at: datetime | None = None
    manual_due_at: datetime | None = None
    manual_due_by_id: int | None = None
    manual_due_reason: str = ""
    due_at: datetime | None = None
    warn_at: datetime | None = None
    breached_at: datetime | None = None
    warned_at: datetime | None = None
    stopped_at: datetime | None = None
    final_business_seconds: int | None = None
    met: bool | None = None
    reopen_count: int = 0
    paused_seconds: int = 0

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ClockLogError(ValueError):
    """An event that cannot apply to the clock's state (a log written out of order)."""


def parse_instant(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    raise ClockLogError(f"{value!r} is not an instant")


def _warn_budget(state: ClockState) -> int:
    # A threshold at or above the target warns at once (SPEC 8: warn_at = started_at).
    return max(0, state.target_seconds - state.warn_before_seconds)


def _consume(state: ClockState, until: datetime, calendar: BusinessCalendar) -> None:
    """Checkpoint a running clock: add the business time since the last checkpoint."""
    if state.state == RUNNING and until > state.checkpoint_at:
        state.consumed_seconds += calendar.business_seconds_between(state.checkpoint_at, until)
    state.checkpoint_at = max(state.checkpoint_at, until)


def _spent_instant(previous: datetime | None, at: datetime) -> datetime:
    """Where the deadline of a budget already used up lies: it does not move if it was already
    behind us (a late clock stays late from its real deadline), else the budget ran out now."""
    if previous is not None and previous <= at:
        return previous
    return at


def _plan_running(state: ClockState, at: datetime, calendar: BusinessCalendar) -> None:
    remaining = state.target_seconds - state.consumed_seconds
    if remaining > 0:
        state.computed_due_at = calendar.add_business_seconds(state.checkpoint_at, remaining)
    else:
        state.computed_due_at = _spent_instant(state.computed_due_at, at)
    warn_remaining = _warn_budget(state) - state.consumed_seconds
    if warn_remaining > 0:
        state.computed_warn_at = calendar.add_business_seconds(state.checkpoint_at, warn_remaining)
    else:
        state.computed_warn_at = _spent_instant(state.computed_warn_at, at)


def _plan_paused(state: ClockState, at: datetime) -> None:
    """While paused the deadline is unknown, unless the budget was already spent (SPEC 7.2)."""
    if state.consumed_seconds < state.target_seconds:
        state.computed_due_at = None
    else:
        state.computed_due_at = _spent_instant(state.computed_due_at, at)
    if state.consumed_seconds < _warn_budget(state):
        state.computed_warn_at = None
    else:
        state.computed_warn_at = _spent_instant(state.computed_warn_at, at)


def _business_instant_before(calendar: BusinessCalendar, end: datetime, seconds: int,
                             not_before: datetime) -> datetime:
    """The latest instant T <= end with `seconds` of working time in [T, end), not before `not_before`."""
    if seconds <= 0:
        return end
    for lookback in _WARN_LOOKBACK:
        lower = max(not_before, end - lookback)
        spans = list(calendar.working_spans(lower, end))
        left = seconds
        for span_start, span_end in reversed(spans):
            length = int((span_end - span_start).total_seconds())
            if length >= left:
                return span_end - timedelta(seconds=left)
            left -= length
        if lower == not_before:
            break
    return not_before


def _derive(state: ClockState, calendar: BusinessCalendar) -> None:
    """Effective instants: a due time set by hand wins over the computed one (SPEC 7.5)."""
    if state.manual_due_at is None:
        state.due_at = state.computed_due_at
        state.warn_at = state.computed_warn_at
        return
    state.due_at = state.manual_due_at
    state.warn_at = _business_instant_before(
        calendar, state.manual_due_at, state.warn_before_seconds, min(state.started_at, state.manual_due_at)
    )


def _mark_breach_if_late(state: ClockState, at: datetime) -> None:
    if state.breached_at is None and state.due_at is not None and at > state.due_at:
        state.breached_at = state.due_at


def _rebase(state: ClockState, event: ClockEvent, calendars: CalendarLookup) -> None:
    """SPEC 7.3 / 7.4: measure up to the change on the old calendar, continue on the new one
    with the remaining budget. Breaches already recorded stay recorded."""
    if state.state not in OPEN_STATES:
        raise ClockLogError(f"{event.kind} on a {state.state} clock")
    if state.state == PAUSED:
        # The checkpoint moves to the change: the pause so far must be counted before it does.
        state.paused_seconds += max(0, int((event.at - state.checkpoint_at).total_seconds()))
    _consume(state, event.at, calendars(state.calendar_key))
    data = event.data
    state.calendar_key = str(data.get("calendar", state.calendar_key))
    if "target" in data:
        state.target_seconds = int(data["target"])
        state.warn_before_seconds = int(data.get("warn_before", state.warn_before_seconds))
        state.policy_id = data.get("policy")
    if state.state == RUNNING:
        _mark_breach_if_late(state, event.at)
        _plan_running(state, event.at, calendars(state.calendar_key))
    else:
        _plan_paused(state, event.at)


def start(event: ClockEvent, *, metric: str) -> ClockState:
    data = event.data
    return ClockState(
        metric=metric, policy_id=data.get("policy"), target_seconds=int(data["target"]),
        warn_before_seconds=int(data.get("warn_before", 0)), calendar_key=str(data["calendar"]),
        state=PAUSED if data.get("paused") else RUNNING, started_at=event.at, checkpoint_at=event.at,
    )


def apply_event(state: ClockState | None, event: ClockEvent, calendars: CalendarLookup) -> ClockState:
    """The clock after `event`. Returns a new object; `state` is not modified."""
    if event.kind == "start":
        if state is not None:
            raise ClockLogError("a clock starts once")
        new = start(event, metric=str(event.data.get("metric", "")))
        calendar = calendars(new.calendar_key)
        if new.state == RUNNING:
            _plan_running(new, event.at, calendar)
        else:
            # Created paused: the deadline is unknown, but a warning budget of 0 (threshold >= target)
            # is already used up, so warn_at = started_at (SPEC 8, CLOCKS.md rule 5).
            _plan_paused(new, event.at)
        _derive(new, calendar)
        return new
    if state is None:
        raise ClockLogError(f"{event.kind} before start")
    if event.kind == "replay":
        # SPEC 7.2 / 7.6: an event logged late made the services replay the clock from its facts;
        # the entry carries the replay's outcome, so the log still folds to the stored row.
        return state_from_data(event.data["state"], metric=state.metric)
    new = replace(state)
    kind, at = event.kind, event.at
    if kind == "pause":
        if new.state != RUNNING:
            raise ClockLogError(f"pause of a {new.state} clock")
        _consume(new, at, calendars(new.calendar_key))
        new.state = PAUSED
        _derive(new, calendars(new.calendar_key))
        _mark_breach_if_late(new, at)
        _plan_paused(new, at)
    elif kind == "resume":
        if new.state != PAUSED:
            raise ClockLogError(f"resume of a {new.state} clock")
        new.paused_seconds += max(0, int((at - new.checkpoint_at).total_seconds()))
        new.state = RUNNING
        new.checkpoint_at = max(new.checkpoint_at, at)
        _plan_running(new, at, calendars(new.calendar_key))
    elif kind == "stop":
        if new.state not in OPEN_STATES:
            raise ClockLogError(f"stop of a {new.state} clock")
        if new.state == PAUSED:
            new.paused_seconds += max(0, int((at - new.checkpoint_at).total_seconds()))
        _consume(new, at, calendars(new.calendar_key))
        _derive(new, calendars(new.calendar_key))
        due = new.due_at
        new.met = (due is not None and at <= due) or (due is None and new.consumed_seconds <= new.target_seconds)
        if not new.met and new.breached_at is None:
            new.breached_at = due if due is not None else at
        new.final_business_seconds = new.consumed_seconds
        new.stopped_at = at
        new.state = STOPPED
    elif kind == "reopen":
        if new.state != STOPPED:
            raise ClockLogError(f"reopen of a {new.state} clock")
        new.reopen_count += 1
        new.stopped_at = None
        new.final_business_seconds = None
        new.met = None
        new.checkpoint_at = max(new.checkpoint_at, at)
        if event.data.get("paused"):
            new.state = PAUSED
            _plan_paused(new, at)
        else:
            new.state = RUNNING
            _plan_running(new, at, calendars(new.calendar_key))
    elif kind in ("policy_change", "calendar_change"):
        _rebase(new, event, calendars)
    elif kind == "recalculate":
        # SPEC 7.4 / 7.6: an admin replayed the clock's log on today's calendar; the event carries
        # the replay's outcome, so the log still folds to the row. Breaches stay recorded.
        if new.state not in OPEN_STATES:
            raise ClockLogError(f"recalculate of a {new.state} clock")
        data = event.data
        new.calendar_key = str(data.get("calendar", new.calendar_key))
        new.consumed_seconds = int(data["consumed"])
        new.checkpoint_at = parse_instant(data.get("checkpoint")) or new.checkpoint_at
        new.computed_due_at = parse_instant(data.get("due_at"))
        new.computed_warn_at = parse_instant(data.get("warn_at"))
    elif kind == "override":
        new.manual_due_at = parse_instant(event.data.get("due_at"))
        new.manual_due_by_id = event.data.get("by") if new.manual_due_at is not None else None
        new.manual_due_reason = str(event.data.get("reason", "")) if new.manual_due_at is not None else ""
    elif kind == "cancel":
        if new.state == RUNNING:
            _consume(new, at, calendars(new.calendar_key))
        new.state = CANCELLED
    elif kind == "breached":
        if new.breached_at is None:
            new.breached_at = new.due_at
    elif kind == "warned":
        new.warned_at = at
    else:
        raise ClockLogError(f"unknown clock event {kind!r}")
    if kind not in ("stop",):
        _derive(new, calendars(new.calendar_key))
    if kind != "warned" and new.warn_at != state.warn_at:
        # a moved warning instant may warn again once it passes (SPEC 8)
        new.warned_at = None
    return new


def fold(events: Iterable[ClockEvent], calendars: CalendarLookup) -> ClockState:
    state: ClockState | None = None
    for event in events:
        state = apply_event(state, event, calendars)
    if state is None:
        raise ClockLogError("an empty log has no clock")
    return state


def business_used(state: ClockState, now: datetime, calendars: CalendarLookup) -> int:
    """Business seconds used so far (SPEC 8.3: consumed + W(checkpoint, now) while running)."""
    if state.state != RUNNING or now <= state.checkpoint_at:
        return state.consumed_seconds
    return state.consumed_seconds + calendars(state.calendar_key).business_seconds_between(state.checkpoint_at, now)


def event_to_data(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def snapshot_calendars(lookup: CalendarLookup) -> CalendarLookup:
    """A lookup memoised for one fold (calendars are immutable per key)."""
    seen: dict[str, BusinessCalendar] = {}

    def get(key: str) -> BusinessCalendar:
        calendar = seen.get(key)
        if calendar is None:
            calendar = seen[key] = lookup(key)
        return calendar

    return get


def as_dict(state: ClockState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in ClockState.field_names()}


_INSTANT_FIELDS = frozenset({
    "started_at", "checkpoint_at", "computed_due_at", "computed_warn_at", "manual_due_at", "due_at", "warn_at",
    "breached_at", "warned_at", "stopped_at",
})


def state_to_data(state: ClockState) -> dict[str, Any]:
    """The whole clock as JSON (for a `replay` log entry)."""
    data = as_dict(state)
    data.pop("metric")
    for name in _INSTANT_FIELDS:
        data[name] = event_to_data(data[name])
    return data


def state_from_data(data: dict[str, Any], *, metric: str) -> ClockState:
    values: dict[str, Any] = {name: data.get(name) for name in ClockState.field_names() if name != "metric"}
    for name in _INSTANT_FIELDS:
        values[name] = parse_instant(values[name])
    return ClockState(metric=metric, **values)
