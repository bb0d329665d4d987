"""Throughput of the SLA calendar maths (`otklik.worktime`).

    python bench/bench_worktime.py [--seconds 1.0]

Prints due-date computations per second:
- on the public SLA vectors (when `../shared/sla/cases-public.json` is present);
- on a Mon-Fri 09:00-18:00 Europe/Moscow calendar with the 2025 Russian production
  calendar (holidays, a moved working Saturday, shortened pre-holiday days), random starts
  in 2025 and targets of 40 min / 8 h / 16 h;
- for the SPEC 4 yardstick: 16 h across the ten-day New Year holiday.

"warm" reuses one calendar (per-date spans cached, after one warm-up pass); "cached_calendar"
looks the calendar up by its stored JSON for every call; "fresh calendar" parses the stored
JSON and builds a new calendar for every call; "cold" also empties the process-wide zone
caches first.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from otklik.worktime import BusinessCalendar, Pause, cached_calendar, parse_calendar  # noqa: E402
from otklik.worktime import zones as zone_maths  # noqa: E402

PUBLIC_CASES = REPO_ROOT.parent / "shared" / "sla" / "cases-public.json"

OFFICE = [["09:00", "18:00"]]
SHORT_DAY = [["09:00", "17:00"]]
MOSCOW_WEEK = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE) | {"sat": "off", "sun": "off"}
RU_2025_REST = [
    ("New Year holidays", "2025-01-01", "2025-01-08"),
    ("Defender of the Fatherland Day", "2025-02-23", "2025-02-23"),
    ("International Women's Day", "2025-03-08", "2025-03-08"),
    ("Spring and Labour Day", "2025-05-01", "2025-05-04"),
    ("Victory Day", "2025-05-08", "2025-05-11"),
    ("Russia Day", "2025-06-12", "2025-06-15"),
    ("Unity Day", "2025-11-02", "2025-11-04"),
    ("New Year's Eve (moved day off)", "2025-12-31", "2025-12-31"),
]
RU_2025_SHORT_DAYS = ["2025-03-07", "2025-04-30", "2025-05-07", "2025-06-11"]
RU_2025_EXCEPTIONS: list[dict[str, object]] = [
    {"name": name, "kind": "rest", "from": first, "to": last} for name, first, last in RU_2025_REST
]
RU_2025_EXCEPTIONS += [
    {"name": "Pre-holiday short day", "kind": "work", "from": day, "to": day, "hours": SHORT_DAY}
    for day in RU_2025_SHORT_DAYS
]
RU_2025_EXCEPTIONS.append(
    {"name": "Working Saturday (moved, short)", "kind": "work", "from": "2025-11-01", "to": "2025-11-01"}
    | {"hours": SHORT_DAY}
)


def rate(calls: int, elapsed: float) -> str:
    return f"{calls / elapsed:>10,.0f} due/s  ({elapsed / calls * 1e6:7.1f} µs each)"


def timed(function: Callable[[], object], budget: float) -> tuple[int, float]:
    """Call `function` repeatedly for about `budget` seconds, after one untimed warm-up call;
    (calls, seconds)."""
    function()
    calls, began = 0, time.perf_counter()
    while True:
        function()
        calls += 1
        elapsed = time.perf_counter() - began
        if elapsed >= budget:
            return calls, elapsed


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def bench_public_cases(budget: float) -> None:
    if not PUBLIC_CASES.is_file():
        print(f"public cases: skipped ({PUBLIC_CASES} not present)")
        return
    cases = [c for c in json.loads(PUBLIC_CASES.read_text(encoding="utf-8"))["cases"] if c["op"] == "due"]
    prepared = []
    for case in cases:
        calendar = parse_calendar(case["timezone"], case["schedule"], case["exceptions"])
        pauses = [Pause(parse_instant(a), None if b is None else parse_instant(b)) for a, b in case["pauses"]]
        prepared.append((case, calendar, parse_instant(case["start"]), case["target_minutes"], pauses))

    def warm_pass() -> None:
        for _, calendar, start, target, pauses in prepared:
            calendar.due_at(start, target, pauses)

    def fresh_pass() -> None:
        for case, _, start, target, pauses in prepared:
            calendar = parse_calendar(case["timezone"], case["schedule"], case["exceptions"])
            calendar.due_at(start, target, pauses)

    def looked_up_pass() -> None:
        for case, _, start, target, pauses in prepared:
            calendar = cached_calendar(case["timezone"], case["schedule"], case["exceptions"])
            calendar.due_at(start, target, pauses)

    def cold_pass() -> None:
        zone_maths.local_day_pieces.cache_clear()
        zone_maths._offset_changes_in_utc_day.cache_clear()
        fresh_pass()

    print(f"public cases ({len(prepared)} due cases, 9 zones, DST-heavy):")
    measurements = (
        ("warm", warm_pass),
        ("cached_calendar", looked_up_pass),
        ("fresh calendar", fresh_pass),
        ("cold", cold_pass),
    )
    for label, one_pass in measurements:
        passes, elapsed = timed(one_pass, budget)
        print(f"  {label:<16} {rate(passes * len(prepared), elapsed)}")


def bench_moscow(budget: float) -> None:
    calendar = parse_calendar("Europe/Moscow", MOSCOW_WEEK, RU_2025_EXCEPTIONS)
    rng = random.Random(2025)
    year_start = datetime(2025, 1, 1, tzinfo=UTC)
    starts = [year_start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(2000)]
    print(f"Europe/Moscow Mon-Fri 09:00-18:00, RU 2025 calendar ({len(RU_2025_EXCEPTIONS)} exceptions):")
    for target in (40, 480, 960):

        def warm_pass(target: int = target) -> None:
            for start in starts:
                calendar.due_at(start, target)

        passes, elapsed = timed(warm_pass, budget)
        print(f"  {target:>4} min  warm            {rate(passes * len(starts), elapsed)}")

    few = starts[:200]

    def fresh_pass() -> None:
        for start in few:
            fresh = parse_calendar("Europe/Moscow", MOSCOW_WEEK, RU_2025_EXCEPTIONS)
            fresh.due_at(start, 480)

    passes, elapsed = timed(fresh_pass, budget)
    print(f"   480 min  fresh calendar  {rate(passes * len(few), elapsed)}")

    def looked_up_pass() -> None:
        for start in few:
            looked_up = cached_calendar("Europe/Moscow", MOSCOW_WEEK, RU_2025_EXCEPTIONS)
            looked_up.due_at(start, 480)

    passes, elapsed = timed(looked_up_pass, budget)
    print(f"   480 min  cached_calendar {rate(passes * len(few), elapsed)}")

    pause_starts = [(s, s + timedelta(hours=rng.choice([1, 5, 30, 70]))) for s in starts]

    def paused_pass() -> None:
        for start, resumed in pause_starts:
            calendar.due_at(start, 480, [Pause(start + timedelta(minutes=20), resumed)])

    passes, elapsed = timed(paused_pass, budget)
    print(f"   480 min  warm, one pause {rate(passes * len(pause_starts), elapsed)}")

    def elapsed_pass() -> None:
        for start in starts:
            calendar.business_seconds_between(start, start + timedelta(days=10))

    passes, elapsed = timed(elapsed_pass, budget)
    print(f"   10-day elapsed, warm     {rate(passes * len(starts), elapsed).replace('due/s', 'calls/s')}")


def bench_new_year(budget: float) -> None:
    calendar: BusinessCalendar = parse_calendar("Europe/Moscow", MOSCOW_WEEK, RU_2025_EXCEPTIONS)
    start = datetime(2024, 12, 31, 14, 0, tzinfo=UTC)  # 17:00 MSK, the day before the holiday
    due = calendar.due_at(start, 960)
    calls, elapsed = timed(lambda: calendar.due_at(start, 960), budget)
    print(f"16 h across the 2025 New Year holiday (due {due:%Y-%m-%d %H:%M}Z), warm:")
    print(f"  {rate(calls, elapsed)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {args.seconds:g} s per figure")
    bench_public_cases(args.seconds)
    bench_moscow(args.seconds)
    bench_new_year(args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
