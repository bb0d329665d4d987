"""Pauses: spans during which an SLA clock does not count, open-ended while still paused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from otklik.worktime.zones import to_epoch


@dataclass(frozen=True, slots=True)
class Pause:
    """Half-open `[start, end)`; `end=None` means the clock is still paused."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"pause ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")


type PauseLike = Pause | tuple[datetime, datetime | None]
type PauseSpan = tuple[int, int | None]
"""`(start, end)` in epoch seconds; `end=None` is open-ended."""


def merge_pauses(pauses: Iterable[PauseLike]) -> tuple[PauseSpan, ...]:
    """The union of the pauses as sorted, disjoint epoch spans.

    Overlapping and touching pauses are joined, empty ones dropped. Only the last span can
    be open-ended, since an open pause swallows everything after its start.
    """
    spans: list[tuple[int, int | None]] = []
    for pause in pauses:
        checked = pause if isinstance(pause, Pause) else Pause(pause[0], pause[1])
        start = to_epoch(checked.start)
        end = None if checked.end is None else to_epoch(checked.end)
        if end is None or end > start:
            spans.append((start, end))
    spans.sort(key=lambda span: span[0])
    merged: list[PauseSpan] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(end, last_end))
                continue
        merged.append((start, end))
    return tuple(merged)
