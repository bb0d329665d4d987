"""Duration histograms of stated precision (pure Python: no Django, so the migration and tests share it).

Durations are whole seconds. The buckets are every second below one minute, then log-spaced with a ratio of
at most `RATIO` between a bucket's bounds, split at the load report's own bucket bounds (1 h, 4 h, 8 h, 1 d,
3 d, 7 d) so its bucket counts are exact sums of these. A percentile read from a histogram
(`histogram_percentile`) places each rank inside its bucket, so its relative error is below `RATIO - 1`
(2 %), and it is exact below one minute (docs/reports.md, "Hourly counts and duration histograms").
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping

RATIO = 1.02
EXACT_BELOW = 60
LIMIT = 10 * 366 * 86400  # ten years: every longer duration shares the last bucket (never seen in practice)
REPORT_BOUNDS = (3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400)


def _thresholds() -> tuple[int, ...]:
    bounds = set(range(EXACT_BELOW + 1)) | set(REPORT_BOUNDS)
    value = float(EXACT_BELOW)
    while value < LIMIT:
        value *= RATIO
        bounds.add(math.floor(value))  # floor keeps each bucket's bounds within RATIO of each other
    return tuple(sorted(bound for bound in bounds if bound <= LIMIT))


THRESHOLDS = _thresholds()  # the lower bounds, ascending, starting at 0


def bucket_of(seconds: int) -> int:
    """The lower bound of the bucket holding a duration (negative durations never occur; they go to 0)."""
    return THRESHOLDS[max(0, bisect_right(THRESHOLDS, seconds) - 1)]


def _upper(lower: int) -> int:
    """The largest whole second inside the bucket starting at `lower`."""
    index = bisect_right(THRESHOLDS, lower)
    return THRESHOLDS[index] - 1 if index < len(THRESHOLDS) else lower


def histogram_percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over the values a histogram counts, each value placed evenly inside its
    bucket: the two ranks percentile_cont interpolates between are read where they fall, so the result is
    within its buckets' bounds of the exact one (relative error below RATIO - 1; exact below one minute)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    position = fraction * (total - 1)
    lower_rank = math.floor(position)
    values = _ranked(sorted((bucket, n) for bucket, n in histogram.items() if n > 0),
                     [lower_rank, min(lower_rank + 1, total - 1)])
    return float(values[0] + (values[1] - values[0]) * (position - lower_rank))


def _ranked(buckets: Iterable[tuple[int, int]], ranks: list[int]) -> list[float]:
    """The estimated values at these 0-based ranks (ascending)."""
    found: list[float] = []
    start = 0
    for lower, count in buckets:
        while len(found) < len(ranks) and ranks[len(found)] < start + count:
            offset = ranks[len(found)] - start
            found.append(lower + (_upper(lower) - lower) * (offset + 0.5) / count)
        start += count
    return found


def report_buckets(histogram: Mapping[int, int]) -> list[int]:
    """The load report's bucket counts (below 1 h, 1–4 h, …, 7 d and more), exact sums of the fine buckets."""
    counts = [0] * (len(REPORT_BOUNDS) + 1)
    for lower, n in histogram.items():
        counts[bisect_right(REPORT_BOUNDS, lower)] += n
    return counts


def bucket_bounds(uppers: Iterable[int | None]) -> list[tuple[int, int | None]]:
    """(lower, upper) of each of the load report's buckets, given their upper bounds: the lower bound inclusive,
    the upper exclusive, None for the open-ended last one."""
    bounds: list[tuple[int, int | None]] = []
    lower = 0
    for upper in uppers:
        bounds.append((lower, upper))
        if upper is not None:
            lower = upper
    return bounds
