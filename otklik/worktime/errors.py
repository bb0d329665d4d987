"""The one error type of the calendar maths."""

from __future__ import annotations

from collections.abc import Sequence


class CalendarConfigError(ValueError):
    """A schedule, exception or time zone the calendar cannot accept.

    Carries every problem found, not just the first, so an admin form can show them all
    at once; each message names the day (or exception) and the interval at fault.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("; ".join(self.problems))
