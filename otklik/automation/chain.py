"""The automation chain: what automation is doing right now in this thread of work.

Assignment rules and triggers change tickets through the ticket services, and those changes record
events that reach automation again. The chain state tells a receiver who caused the event:
  * events recorded while rules run never re-run rules (a rule's own changes);
  * events recorded while a trigger runs are marked, and marked events never fire triggers;
  * nesting deeper than MAX_DEPTH stops, whatever the cause, with an error in the log.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace

logger = logging.getLogger(__name__)

MAX_DEPTH = 4


@dataclass(frozen=True)
class ChainState:
    depth: int = 0
    in_rules: bool = False
    trigger_id: int | None = None
    cause_event_id: int | None = None


_IDLE = ChainState()
_state: ContextVar[ChainState | None] = ContextVar("otklik_automation_chain", default=None)


def current() -> ChainState:
    return _state.get() or _IDLE


class ChainTooDeep(Exception):
    pass


@contextlib.contextmanager
def entered(**changes: object) -> Iterator[ChainState]:
    """Run a step of automation one level deeper, with the given state changes."""
    state = current()
    if state.depth >= MAX_DEPTH:
        logger.error("automation chain deeper than %s stopped (state %s)", MAX_DEPTH, state)
        raise ChainTooDeep()
    new_state = replace(state, depth=state.depth + 1, **changes)  # type: ignore[arg-type]
    token = _state.set(new_state)
    try:
        yield new_state
    finally:
        _state.reset(token)
