"""Time-domain and geometric HRV indices (Task Force 1996; Shaffer & Ginsberg 2017).

Conventions, chosen to match NeuroKit2's ``hrv_time`` where it follows the standard, so that the
two agree to rounding error (tested):

- SDNN and SDSD use the sample standard deviation (n-1).
- pNN50 and pNN20 divide by the number of NN intervals, as the Task Force defines it.
- The histogram for the triangular index and TINN has bins of 1/128 s anchored at 0 ms.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from vagus.hrv._constants import HISTOGRAM_BIN_MS, HR_AVERAGE_BEATS
from vagus.hrv._notices import Notice
from vagus.hrv._types import FloatArray

MS_PER_MINUTE = 60_000.0
#: The longest interval the NN histogram (HRV triangular index, TINN) is built for: a minute
#: without a beat is no heartbeat interval (the longest physiological one is MAX_RR_MS, 3 s).
#: The histogram runs from 0 ms to the longest interval in bins of 1/128 s, so its size depends
#: on the values: this bound keeps it at 7,681 bins whatever they are (issue 12: one value of
#: 1,000,000 ms asked for 80-122 GiB).
HISTOGRAM_MAX_MS: Final[float] = 60_000.0


def histogram(nn_ms: FloatArray) -> tuple[FloatArray, FloatArray]:
    """NN histogram with 1/128 s bins anchored at 0 ms (Task Force 1996).

    Returns
    -------
    counts : numpy.ndarray
        Beats per bin.
    edges : numpy.ndarray
        Bin edges in ms, ``len(counts) + 1`` of them.
    """
    edges = np.arange(0.0, float(np.max(nn_ms)) + HISTOGRAM_BIN_MS, HISTOGRAM_BIN_MS)
    counts, edges = np.histogram(nn_ms, bins=edges)
    return counts.astype(np.float64), edges


def tinn(nn_ms: FloatArray) -> float | None:
    """Triangular interpolation of the NN histogram, baseline width in ms (Task Force 1996).

    A triangle ``q`` is 0 up to N, rises linearly to the histogram's highest bin (X, Y), falls
    linearly to 0 at M and stays 0 after. N and M are chosen among the bin centres to minimise
    the squared difference between ``q`` and the histogram over all bins; TINN = M - N.

    The left flank depends only on N and the right flank only on M, so the two searches are
    independent, and each flank's error for every foot follows from prefix sums of the counts
    (:func:`_best_flank`): O(bins) time and memory, the exact least-squares result.

    The histogram spans 0 ms to the longest interval, so its size depends on the values, not
    on their number: above ``HISTOGRAM_MAX_MS`` (a minute without a beat is no heartbeat
    interval) TINN is not computed and ``None`` is returned, so that one absurd value (1,000,000
    ms, or 812 among values in seconds) cannot ask for gigabytes (issue 12).

    Parameters
    ----------
    nn_ms : numpy.ndarray
        NN intervals in ms.

    Returns
    -------
    float or None
        TINN in ms; ``None`` for an empty series or one with an interval above
        ``HISTOGRAM_MAX_MS``.

    >>> tinn(np.array([800.0, 810, 820, 820, 820, 830, 840]))
    31.25
    """
    if nn_ms.size == 0 or not _histogram_fits(nn_ms):
        return None
    counts, _ = histogram(nn_ms)
    peak = int(np.argmax(counts))
    height = float(counts[peak])
    # N may also sit one bin left of the first bin, M one bin right of the last, so a histogram
    # that starts or ends at its peak still has a triangle. The left side is read outwards
    # from the peak, as the right one is.
    left_bins = _best_flank(counts[:peak][::-1], height, prefer_far=True)
    right_bins = _best_flank(counts[peak + 1 :], height, prefer_far=False)
    return float(left_bins + right_bins) * HISTOGRAM_BIN_MS


def _histogram_fits(nn_ms: FloatArray) -> bool:
    """Whether the histogram from 0 ms to the longest interval is small enough to build."""
    return bool(np.all(np.isfinite(nn_ms))) and float(np.max(nn_ms)) <= HISTOGRAM_MAX_MS


def _best_flank(side: FloatArray, height: float, *, prefer_far: bool) -> int:
    """The foot, in bins from the peak, whose line to the peak best fits the bins on one side.

    ``side`` holds the counts outwards from the peak: ``side[t - 1]`` is the bin t bins away.
    For a foot D bins away (1 <= D <= len(side) + 1) the flank is ``height * (D - t) / D`` for
    t < D and 0 from t = D on, and the squared error over every bin on this side is

        sum(h²) - 2 * height / D * sum_{t<D} h_t * (D - t) + height² * (D-1) * (2D-1) / (6D)

    (the last term is ``height² / D² * sum_{s=1}^{D-1} s²``). Prefix sums of ``h`` and ``h * t``
    give every foot's error in O(len(side)); the counts and distances are integers, so the sums
    are exact in float64 and the error is the brute force's up to a few roundings (tested).
    On an exact tie ``prefer_far`` picks the farthest foot, as the left flank always did.
    """
    size = side.size
    feet = np.arange(1, size + 2, dtype=np.float64)  # D = 1 .. size + 1
    t = np.arange(1, size + 1, dtype=np.float64)
    # Sums over t < D, i.e. over the first D - 1 bins: prefix sums with a leading 0.
    sum_h = np.concatenate(([0.0], np.cumsum(side)))
    sum_ht = np.concatenate(([0.0], np.cumsum(side * t)))
    total_hh = float(np.dot(side, side))
    errors = (
        total_hh
        - 2.0 * height / feet * (feet * sum_h - sum_ht)
        + height * height * (feet - 1.0) * (2.0 * feet - 1.0) / (6.0 * feet)
    )
    if prefer_far:
        return int(size + 1 - np.argmin(errors[::-1]))
    return int(np.argmin(errors)) + 1


def time_domain(nn_ms: FloatArray, warnings: list[str] | None = None) -> dict[str, float | None]:
    """Time-domain and geometric indices of an NN series.

    Parameters
    ----------
    nn_ms : numpy.ndarray
        NN intervals in ms (artifact-corrected), at least one.
    warnings : list of str, optional
        Reasons for undefined values are appended here.

    Returns
    -------
    dict
        mean_nn, median_nn, sdnn, rmssd, sdsd (ms); nn50, nn20 (count); pnn50, pnn20 (%);
        cvnn, cvsd (ratio); mean_hr, min_hr, max_hr, std_hr (bpm); hti; tinn (ms); ln_rmssd.
        A value the series is too short for is ``None``; ``analyze`` reports why. TINN is
        ``None`` (with a warning) when an interval exceeds ``HISTOGRAM_MAX_MS``. Every index
        costs O(n log n) time and O(n) memory whatever the values.

    >>> out = time_domain(np.array([800.0, 850.0, 810.0, 790.0]))
    >>> round(out["rmssd"], 2), out["nn50"], out["pnn50"]
    (38.73, 0.0, 0.0)
    """
    n = int(nn_ms.size)
    out: dict[str, float | None] = dict.fromkeys(
        (
            "mean_nn",
            "median_nn",
            "sdnn",
            "rmssd",
            "sdsd",
            "nn50",
            "pnn50",
            "nn20",
            "pnn20",
            "cvnn",
            "cvsd",
            "mean_hr",
            "min_hr",
            "max_hr",
            "std_hr",
            "hti",
            "tinn",
            "ln_rmssd",
        )
    )
    if n == 0:
        return out
    mean_nn = float(np.mean(nn_ms))
    hr = MS_PER_MINUTE / nn_ms
    out["mean_nn"] = mean_nn
    out["median_nn"] = float(np.median(nn_ms))
    out["mean_hr"] = float(np.mean(hr))
    if n >= HR_AVERAGE_BEATS:
        # Kubios: min/max HR over a moving average, so one short interval is not "max HR".
        kernel = np.full(HR_AVERAGE_BEATS, 1.0 / HR_AVERAGE_BEATS)
        smoothed = np.convolve(hr, kernel, mode="valid")
        out["min_hr"] = float(np.min(smoothed))
        out["max_hr"] = float(np.max(smoothed))
    if n < 2:
        return out
    diff = np.diff(nn_ms)
    abs_diff = np.abs(diff)
    sdnn = float(np.std(nn_ms, ddof=1))
    rmssd = float(np.sqrt(np.mean(diff * diff)))
    nn50 = float(np.count_nonzero(abs_diff > 50.0))
    nn20 = float(np.count_nonzero(abs_diff > 20.0))
    out.update(
        sdnn=sdnn,
        rmssd=rmssd,
        nn50=nn50,
        pnn50=nn50 / n * 100.0,
        nn20=nn20,
        pnn20=nn20 / n * 100.0,
        cvnn=sdnn / mean_nn,
        cvsd=rmssd / mean_nn,
        std_hr=float(np.std(hr, ddof=1)),
        ln_rmssd=math.log(rmssd) if rmssd > 0 else None,
    )
    if rmssd == 0 and warnings is not None:
        warnings.append(
            Notice(
                "hrv.undefined.rmssd_zero",
                "ln_rmssd: undefined because RMSSD is 0 (every interval is the same)",
                index="ln_rmssd",
            )
        )
    if n >= 3:
        out["sdsd"] = float(np.std(diff, ddof=1))
    out["hti"] = n / _highest_bin(nn_ms)
    out["tinn"] = tinn(nn_ms)
    if out["tinn"] is None and warnings is not None:
        warnings.append(
            Notice(
                "hrv.undefined.histogram_range",
                f"tinn: undefined, an interval of {float(np.max(nn_ms)):.0f} ms is longer than "
                f"the {HISTOGRAM_MAX_MS:.0f} ms the histogram covers (no heartbeat interval)",
                index="tinn",
                max_ms=float(np.max(nn_ms)),
                limit_ms=HISTOGRAM_MAX_MS,
            )
        )
    return out


def _highest_bin(nn_ms: FloatArray) -> float:
    """The count of the fullest 1/128 s bin, in O(n log n) whatever the values.

    Within ``HISTOGRAM_MAX_MS`` the histogram itself (NeuroKit2's bins, to the last rounding);
    beyond it the occupied bins only, so that one huge value costs nothing.
    """
    if _histogram_fits(nn_ms):
        counts, _ = histogram(nn_ms)
        return float(np.max(counts))
    _, per_bin = np.unique(np.floor(nn_ms / HISTOGRAM_BIN_MS), return_counts=True)
    return float(np.max(per_bin))
