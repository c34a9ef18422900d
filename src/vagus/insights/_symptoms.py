"""Symptom trends (7-day means of the six check-in scores) and, for ME/CFS, how a day's
exercise load goes with fatigue one and two days later.

Post-exertional malaise in ME/CFS typically follows exertion by 12-48 hours (Chu et al. 2018,
*Front Neurol* 9:1063), hence the lags of one and two days. The association is a simple
regression in one person's days: days are not independent, other things change too, and it
says nothing of cause; the faces say so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
from scipy.stats import t as student_t

from vagus.insights._model import Normal
from vagus.insights._records import CheckinRecord, SessionRecord

#: Days in a trend's mean.
TREND_DAYS: Final = 7
#: Days of history a trend series shows.
SERIES_DAYS: Final = 60
#: Lags, in days, between a day's load and the fatigue it may go with.
LAGS_DAYS: Final[tuple[int, ...]] = (1, 2)
#: Fewest day pairs (load, fatigue later) before an association is estimated.
MIN_PAIRS: Final = 14
#: Fewest days an exercise was done before its own association is estimated.
MIN_DAYS_DONE: Final = 3
#: The association is given per this many minutes of exercise.
PER_MINUTES: Final = 10.0


@dataclass(frozen=True)
class TrendPoint:
    day: date
    value: float
    mean_7d: float


@dataclass(frozen=True)
class Trend:
    """One score: the mean of the last 7 days and of the 7 before (days with a value)."""

    days: int
    mean_7d: float | None
    previous_7d: float | None
    series: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class LoadFatigue:
    """Fatigue ``lag_days`` after a day's exercise, per :data:`PER_MINUTES` minutes of it."""

    lag_days: int
    pairs: int
    per_10_min: Normal | None
    by_exercise: Mapping[str, Normal | None]


def daily_scores(checkins: Sequence[CheckinRecord], field: str) -> dict[date, float]:
    """One value per day: the mean of that day's check-ins that answered ``field``."""
    values: dict[date, list[float]] = defaultdict(list)
    for c in checkins:
        value = c.scores.get(field)
        if value is not None:
            values[c.day].append(float(value))
    return {day: float(np.mean(v)) for day, v in sorted(values.items())}


def _mean_between(daily: Mapping[date, float], first: date, last: date) -> float | None:
    values = [v for d, v in daily.items() if first <= d <= last]
    return float(np.mean(values)) if values else None


def trend(checkins: Sequence[CheckinRecord], field: str, today: date) -> Trend:
    """The 7-day means of one score, now and the week before, and its series.

    >>> from datetime import date
    >>> rows = [CheckinRecord(date(2024, 1, d), {"pain": d % 3}) for d in range(1, 15)]
    >>> tr = trend(rows, "pain", date(2024, 1, 14))
    >>> tr.days, round(tr.mean_7d, 3), round(tr.previous_7d, 3)
    (14, 1.143, 1.0)
    """
    daily = {d: v for d, v in daily_scores(checkins, field).items() if d <= today}
    week = timedelta(days=TREND_DAYS)
    series = tuple(
        TrendPoint(d, v, float(_mean_between(daily, d - week + timedelta(days=1), d) or v))
        for d, v in daily.items()
        if d > today - timedelta(days=SERIES_DAYS)
    )
    return Trend(
        days=len(daily),
        mean_7d=_mean_between(daily, today - week + timedelta(days=1), today),
        previous_7d=_mean_between(daily, today - 2 * week + timedelta(days=1), today - week),
        series=series,
    )


def _slope(x: Sequence[float], y: Sequence[float]) -> Normal | None:
    """Least-squares slope of y on x with its 95 % t-interval (None when x does not vary)."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    n = len(xs)
    sxx = float(((xs - xs.mean()) ** 2).sum())
    if n < 3 or sxx <= 0.0:
        return None
    slope = float(((xs - xs.mean()) * (ys - ys.mean())).sum() / sxx)
    residual = ys - ys.mean() - slope * (xs - xs.mean())
    se = float(np.sqrt((residual**2).sum() / (n - 2) / sxx))
    half = float(student_t.ppf(0.975, n - 2)) * se
    return Normal(slope, slope - half, slope + half)


def load_fatigue(
    sessions: Sequence[SessionRecord], checkins: Sequence[CheckinRecord]
) -> tuple[LoadFatigue, ...]:
    """Fatigue 1 and 2 days after each day, against that day's minutes of exercise (total and
    per exercise), per 10 minutes, over the days from the first check-in to the last.

    >>> from datetime import date, timedelta
    >>> start = date(2024, 1, 1)
    >>> days = [start + timedelta(d) for d in range(30)]
    >>> sessions = [SessionRecord(i, "humming", None, d, 10.0 * (i % 3))  # type: ignore[arg-type]
    ...             for i, d in enumerate(days)]
    >>> checkins = [CheckinRecord(d + timedelta(1), {"fatigue": 2 + (i % 3)})
    ...             for i, d in enumerate(days)]
    >>> lag1 = load_fatigue(sessions, checkins)[0]
    >>> lag1.pairs, round(lag1.per_10_min.mean, 3)
    (30, 1.0)
    """
    fatigue = daily_scores(checkins, "fatigue")
    if not fatigue:
        return tuple(LoadFatigue(lag, 0, None, {}) for lag in LAGS_DAYS)
    # Load is known from the day the person began (their first check-in or session).
    first = min([c.day for c in checkins] + [s.day for s in sessions])
    load: dict[date, float] = defaultdict(float)
    by_exercise: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for s in sessions:
        load[s.day] += s.minutes
        by_exercise[s.exercise_id][s.day] += s.minutes
    out = []
    for lag in LAGS_DAYS:
        days = [d - timedelta(days=lag) for d in fatigue if d - timedelta(days=lag) >= first]
        y = [fatigue[d + timedelta(days=lag)] for d in days]
        pairs = len(days)
        total = None
        per_exercise: dict[str, Normal | None] = {}
        if pairs >= MIN_PAIRS:
            total = _scaled(_slope([load.get(d, 0.0) for d in days], y))
            for exercise, minutes in sorted(by_exercise.items()):
                done = sum(1 for d in days if minutes.get(d, 0.0) > 0)
                per_exercise[exercise] = (
                    _scaled(_slope([minutes.get(d, 0.0) for d in days], y))
                    if done >= MIN_DAYS_DONE
                    else None
                )
        out.append(LoadFatigue(lag, pairs, total, per_exercise))
    return tuple(out)


def _scaled(slope: Normal | None) -> Normal | None:
    if slope is None:
        return None
    k = PER_MINUTES
    return Normal(slope.mean * k, slope.low * k, slope.high * k)
