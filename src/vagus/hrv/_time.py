"""Time-domain and geometric HRV indices (Task Force 1996; Shaffer & Ginsberg 2017).

Conventions, chosen to match NeuroKit2's ``hrv_time`` where it follows the standard, so that the
two agree to rounding error (tested):

- SDNN and SDSD use the sample standard deviation (n-1).
- pNN50 and pNN20 divide by the number of NN intervals, as the Task Force defines it.
- The histogram for the triangular index and TINN has bins of 1/128 s anchored at 0 ms.
"""

from __future__ import annotations

import math

import numpy as np

from vagus.hrv._constants import HISTOGRAM_BIN_MS, HR_AVERAGE_BEATS
from vagus.hrv._notices import Notice
from vagus.hrv._types import FloatArray

MS_PER_MINUTE = 60_000.0


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


def tinn(nn_ms: FloatArray) -> float:
    """Triangular interpolation of the NN histogram, baseline width in ms (Task Force 1996).

    A triangle ``q`` is 0 up to N, rises linearly to the histogram's highest bin (X, Y), falls
    linearly to 0 at M and stays 0 after. N and M are chosen among the bin centres to minimise
    the squared difference between ``q`` and the histogram over all bins; TINN = M - N.

    The left flank depends only on N and the right flank only on M, so the two searches are
    independent: O(bins^2) instead of a joint O(bins^3) search.

    Parameters
    ----------
    nn_ms : numpy.ndarray
        NN intervals in ms.

    Returns
    -------
    float
        TINN in ms.

    >>> tinn(np.array([800.0, 810, 820, 820, 820, 830, 840]))
    31.25
    """
    counts, edges = histogram(nn_ms)
    centres = (edges[:-1] + edges[1:]) / 2.0
    peak = int(np.argmax(counts))
    height = float(counts[peak])
    x_peak = float(centres[peak])
    # N may also sit one bin left of the first bin, M one bin right of the last, so a histogram
    # that starts or ends at its peak still has a triangle.
    left_x = centres[:peak]
    n_best = _best_flank(
        np.concatenate(([centres[0] - HISTOGRAM_BIN_MS], left_x)),
        counts[:peak],
        left_x,
        x_peak,
        height,
    )
    # The right flank is the left one mirrored (t -> -t), so one search serves both.
    right_x = centres[peak + 1 :]
    m_best = -_best_flank(
        -np.concatenate((right_x, [centres[-1] + HISTOGRAM_BIN_MS])),
        counts[peak + 1 :],
        -right_x,
        -x_peak,
        height,
    )
    return m_best - n_best


def _best_flank(
    candidates: FloatArray, side: FloatArray, side_x: FloatArray, x_peak: float, height: float
) -> float:
    """The foot (of ``candidates``) whose line to the peak best fits the bins on one side.

    For a foot N the flank is ``height * (t - N) / (x_peak - N)`` between N and the peak and 0
    before N; the error sums over every bin on this side.
    """
    frac = (side_x[None, :] - candidates[:, None]) / (x_peak - candidates[:, None])
    q = np.clip(frac, 0.0, None) * height
    errors = np.sum((side[None, :] - q) ** 2, axis=1)
    return float(candidates[int(np.argmin(errors))])


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
        A value the series is too short for is ``None``; ``analyze`` reports why.

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
    counts, _ = histogram(nn_ms)
    out["hti"] = n / float(np.max(counts))
    out["tinn"] = tinn(nn_ms)
    return out
