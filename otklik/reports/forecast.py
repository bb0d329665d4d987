"""Incoming volume forecast: statsmodels' ETS with a weekly season, adjusted for the desk calendar.

Holidays on usual working weekdays and working days moved onto usual days off are the calendar's
exceptions: before fitting, their counts are scaled to what an ordinary day would have seen (by the
history's ratio of days-off volume to working-day volume), and forecast days that are exceptions are
scaled back. The backtest fits on the history without its last 8 weeks and reports the MAPE on them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections import Counter
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from otklik.accounts.models import User
from otklik.reports.cube import cube_source, day_counts
from otklik.reports.facts import desk_calendar
from otklik.reports.filters import ReportFilters, day_start, scoped_rows, zone
from otklik.reports.slices import SLICES
from otklik.reports.stats import report_session

logger = logging.getLogger(__name__)

HISTORY_DAYS = 182
BACKTEST_DAYS = 56
MIN_HISTORY_DAYS = 4 * 7 + BACKTEST_DAYS  # fewer, and the backtest has nothing to learn from
INTERVAL = 0.8  # the prediction interval's coverage
CACHE_SECONDS = 3600


def working_days(first: date, last: date) -> dict[date, bool]:
    """Whether the desk works on each day (any working time in it); every day without a schedule."""
    calendar = desk_calendar().calendar
    days: dict[date, bool] = {}
    day = first
    while day <= last:
        if calendar is None:
            days[day] = True
        else:
            days[day] = next(iter(calendar.working_spans(day_start(day), day_start(day + timedelta(days=1)))),
                             None) is not None
        day += timedelta(days=1)
    return days


def _usual(works: dict[date, bool]) -> dict[int, bool]:
    """Per weekday, whether it is normally a working day (the majority over the span)."""
    votes: dict[int, Counter[bool]] = {weekday: Counter() for weekday in range(7)}
    for day, working in works.items():
        votes[day.weekday()][working] += 1
    return {weekday: counter[True] >= counter[False] for weekday, counter in votes.items()}


Fits = tuple[list[float], list[float], list[float], list[float]]


def _fits(series: list[float], horizon: int) -> Fits:
    """The forecast (mean, lower, upper) and the backtest's predictions, kept in the cache by their input:
    the same daily series (whoever asks, with whatever filters) is fitted once a day, not once per viewer."""
    digest = hashlib.sha256(json.dumps([INTERVAL, horizon, BACKTEST_DAYS, series]).encode()).hexdigest()
    key = f"reports:forecast-fits:{digest}"
    cached = cache.get(key)
    if isinstance(cached, list) and len(cached) == 4:
        return cached[0], cached[1], cached[2], cached[3]
    found = _fit(series, horizon)
    cache.set(key, list(found), CACHE_SECONDS)
    return found


def _fit(series: list[float], horizon: int) -> Fits:
    """Two fits: the backtest's on the history without its last weeks (which it never sees), then the
    forecast's on the whole history, its optimizer started from the backtest's parameters. The likelihood
    is maximized from a start near the optimum: a third of the iterations of a cold start, and as good a
    fit (often a better one: a cold start from the heuristic initial values can stop in a worse local optimum)."""
    import pandas as pd  # type: ignore[import-untyped]
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # type: ignore[import-untyped]

    def model(values: list[float]) -> Any:
        return ETSModel(pd.Series(values, dtype=float), error="add", trend=None, seasonal="add", seasonal_periods=7)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        train = model(series[:-BACKTEST_DAYS]).fit(disp=False)
        backtest = [float(v) for v in train.forecast(BACKTEST_DAYS)]
        fitted = model(series).fit(disp=False, start_params=train.params)
        frame = fitted.get_prediction(start=len(series), end=len(series) + horizon - 1).summary_frame(
            alpha=1 - INTERVAL)
    return ([float(v) for v in frame["mean"]], [float(v) for v in frame["pi_lower"]],
            [float(v) for v in frame["pi_upper"]], backtest)


def forecast(viewer: User, filters: ReportFilters, *, weeks: int = 6, today: date | None = None) -> dict[str, Any]:
    """Daily incoming tickets for the next `weeks` weeks (4 to 8) with an 80 % interval and the backtest MAPE.

    Fitting takes a second or two, and the answer only changes with the day: kept in the cache for an hour."""
    weeks = min(8, max(4, weeks))
    today = today or timezone.localtime(timezone.now(), zone()).date()
    key = f"reports:forecast:{viewer.pk}:{filters.query()}:{weeks}:{today.isoformat()}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return cached
    result = _forecast(viewer, filters, weeks=weeks, today=today)
    cache.set(key, result, CACHE_SECONDS)
    return result


@report_session
def _forecast(viewer: User, filters: ReportFilters, *, weeks: int, today: date) -> dict[str, Any]:
    first, last = today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1)
    period = filters.with_period(first, last)
    source = cube_source(viewer, period, slices=SLICES)
    counts: dict[date, int] = {}
    if source is not None:  # the kept hourly counts (exact, a few thousand rows instead of half a million)
        for (day, _hour), n in day_counts(source, period)[0].items():
            counts[day] = counts.get(day, 0) + n
    else:
        counts = dict(scoped_rows(viewer, period).filter(created_at__gte=period.since, created_at__lt=period.until)
                      .order_by().annotate(d=TruncDate("created_at", tzinfo=zone())).values("d")
                      .annotate(n=Count("pk")).values_list("d", "n"))
    horizon = weeks * 7
    future_last = today + timedelta(days=horizon - 1)
    works = working_days(first, future_last)
    usual = _usual(works)
    history_days = period.days()
    actual = [float(counts.get(day, 0)) for day in history_days]
    result: dict[str, Any] = {"history": [{"date": d.isoformat(), "count": int(v)} for d, v in
                                          zip(history_days, actual, strict=True)],
                              "days": [], "mape": None, "interval": INTERVAL, "available": False}
    if sum(1 for value in actual if value) < 14 or len(actual) < MIN_HISTORY_DAYS:
        return result
    on = [v for d, v in zip(history_days, actual, strict=True) if works[d]]
    off = [v for d, v in zip(history_days, actual, strict=True) if not works[d]]
    mean_on = sum(on) / len(on) if on else 0.0
    mean_off = sum(off) / len(off) if off else 0.0
    ratio = (mean_off / mean_on) if mean_on and mean_off else 1.0
    ratio = max(ratio, 0.05)

    def factor(day: date) -> float:
        """How the day's volume relates to an ordinary day of its weekday."""
        if works[day] == usual[day.weekday()]:
            return 1.0
        return ratio if usual[day.weekday()] else 1 / ratio

    adjusted = [value / factor(day) for day, value in zip(history_days, actual, strict=True)]
    mean, lower, upper, predicted = _fits(adjusted, horizon)
    future = [today + timedelta(days=offset) for offset in range(horizon)]
    result["days"] = [
        {"date": day.isoformat(), "forecast": round(max(0.0, m * factor(day)), 2),
         "lower": round(max(0.0, lo * factor(day)), 2), "upper": round(max(0.0, up * factor(day)), 2),
         "working_day": works[day]}
        for day, m, lo, up in zip(future, mean, lower, upper, strict=True)
    ]
    test_days = history_days[-BACKTEST_DAYS:]
    errors = [abs(actual_value - p * factor(day)) / actual_value
              for day, p, actual_value in zip(test_days, predicted, actual[-BACKTEST_DAYS:], strict=True)
              if actual_value > 0]
    result["mape"] = round(100 * sum(errors) / len(errors), 1) if errors else None
    result["available"] = True
    return result
