"""Morning readiness: is this week's morning HRV within the person's normal range?

The 7-day rolling mean of morning ln RMSSD is compared with the person's normal range, the
60-day mean +/- 0.5 SD (the smallest worthwhile change; Plews et al. 2012, *Eur J Appl Physiol*
112:3729; Buchheit 2014, *Front Physiol* 5:73). A rolling mean, not one morning, because a
single day's value swings with sleep, alcohol and measurement (Plews et al. 2013, *Int J Sports
Physiol Perform* 8:688).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

import numpy as np

from vagus.insights._records import Morning

#: Days in the rolling mean.
ROLLING_DAYS: Final = 7
#: Days in the baseline that defines the normal range.
BASELINE_DAYS: Final = 60
#: Fewest mornings in the baseline before a normal range is given.
MIN_MORNINGS: Final = 14
#: Half-width of the normal range in baseline SDs (the smallest worthwhile change).
SWC_SD: Final = 0.5

Status = Literal["below", "within", "above", "too-few"]


@dataclass(frozen=True)
class MorningPoint:
    """One morning for the chart: its value, the 7-day mean ending that day, and the normal
    range of the 60 days ending that day (None before 14 mornings)."""

    day: date
    ln_rmssd: float
    mean_7d: float
    normal_low: float | None
    normal_high: float | None


@dataclass(frozen=True)
class Readiness:
    days: int
    ln_rmssd_7d: float | None
    normal_low: float | None
    normal_high: float | None
    status: Status
    series: tuple[MorningPoint, ...]


def _window(mornings: Sequence[Morning], end: date, days: int) -> list[float]:
    start = end - timedelta(days=days - 1)
    return [m.ln_rmssd for m in mornings if start <= m.day <= end]


def _band(values: Sequence[float]) -> tuple[float | None, float | None]:
    if len(values) < MIN_MORNINGS:
        return None, None
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1))
    return mean - SWC_SD * sd, mean + SWC_SD * sd


def readiness(mornings: Sequence[Morning], today: date) -> Readiness:
    """Where this week stands against the person's normal range (one morning per day).

    >>> from datetime import date, timedelta
    >>> days = [Morning(date(2024, 3, 1) + timedelta(d), 4.0 + 0.1 * (d % 2)) for d in range(20)]
    >>> r = readiness(days, date(2024, 3, 20))
    >>> r.days, r.status, round(r.ln_rmssd_7d, 3), round(r.normal_low, 3)
    (20, 'within', 4.057, 4.024)
    >>> readiness(days[:10], date(2024, 3, 10)).status
    'too-few'
    """
    chosen = sorted((m for m in mornings if m.day <= today), key=lambda m: m.day)
    baseline = _window(chosen, today, BASELINE_DAYS)
    week = _window(chosen, today, ROLLING_DAYS)
    mean_7d = float(np.mean(week)) if week else None
    low, high = _band(baseline)
    status: Status
    if low is None or high is None or mean_7d is None:
        status = "too-few"
    elif mean_7d < low:
        status = "below"
    elif mean_7d > high:
        status = "above"
    else:
        status = "within"
    start = today - timedelta(days=BASELINE_DAYS - 1)
    series = []
    for m in chosen:
        if m.day < start:
            continue
        point_low, point_high = _band(_window(chosen, m.day, BASELINE_DAYS))
        series.append(
            MorningPoint(
                m.day,
                m.ln_rmssd,
                float(np.mean(_window(chosen, m.day, ROLLING_DAYS))),
                point_low,
                point_high,
            )
        )
    return Readiness(len(baseline), mean_7d, low, high, status, tuple(series))
