"""RR-interval artifact detection and correction after Lipponen & Tarvainen (2019), with floors.

Lipponen JA, Tarvainen MP. A robust algorithm for heart rate variability time series artefact
correction using novel beat classification. J Med Eng Technol 2019;43(3):173-181,
doi:10.1080/03091902.2019.1640306. This is the algorithm behind Kubios HRV's automatic
correction; NeuroKit2 implements it on peak indices (``signal_fixpeaks(method="kubios")``). This
module's decision tree follows the same rules in the RR domain and flags the same beats as
NeuroKit2 (tested, with the floors below turned off).

The published method changes clean data (issue 12): its thresholds are multiples of the local
variability, so where variability is small they flag ordinary sinus beats (17 of 1,935 in a clean
25-minute ECG, RMSSD -5.2 %; 83 of 4,684 in the clean NSR hour, -8.5 %; NeuroKit2 flags the same).
So every flag of the tree must also clear a floor proportional to the heart period (a fraction of
the local median RR: :data:`LONG_FLOOR_FRACTION`, :data:`SHORT_FLOOR_FRACTION`), and an ectopic
call needs the whole premature-compensatory pattern (:data:`ECTOPIC_PREMATURE_FRACTION`,
:data:`ECTOPIC_SWING_FRACTION`; cf. the 20 % rule of Kamath & Fallen 1995, "Correction of the heart
rate variability signal for ectopics and missing beats", in Malik & Camm (eds), Heart Rate
Variability, Futura, which measures deviation in units of the heart period too). Intervals outside
physiological bounds (``MIN_RR_MS``-``MAX_RR_MS``) are artifacts, never indices: they are left out
(see :func:`correct_rr`). benchmarks/artifact_validation.py measures all of it against clean,
injected and annotated data.

How it works, in the paper's terms:

1. ``dRR`` (successive differences) and ``mRR`` (deviation from an 11-beat median, negative values
   doubled) are divided by time-varying thresholds ``Th = alpha * QD``, ``QD`` the quartile
   deviation ``(Q3 - Q1) / 2`` of ``|dRR|`` (or ``|mRR|``) over a centred 91-beat window.
2. Each normalised ``dRR(j)`` is placed in two planes: ``(dRR(j), S12(j))`` separates ectopic
   beats (a short-long or long-short pair), ``(dRR(j), S22(j))`` long and short beats. A long beat
   that halves to the local median is a missed beat; a short beat that, added to the next, makes
   the local median is an extra beat.
3. Correction as in Kubios: a missed beat splits its interval in two, an extra beat merges two
   intervals, ectopic, long and short beats are replaced by interpolation.

Conventions shared with NeuroKit2 (``signal_fixpeaks`` 0.2.x/0.3.x), so that the flags agree:

- A synthetic interval equal to the series mean is put before the first one, and ``dRR`` of that
  synthetic interval is the mean of the others, so the first real interval has a ``dRR`` too.
- Rolling windows are centred and shrink at the ends (pandas ``rolling(center=True,
  min_periods=1)``); quantiles interpolate linearly between order statistics (numpy's default).
- ``S12``/``S22`` at the ends use reflected ``dRR`` values; a zero threshold (a window whose
  middle half of values are equal) makes the normalised value undefined: it never flags.
- The decision loop of the paper's Fig. 1: when a beat is classified as long/short/missed/extra
  and the next ``|dRR|`` is smaller than the one after, the next beat is classified with it and
  then skipped.

Where this module departs from NeuroKit2 (the reasons are at the code):

- The magnitude floors and the premature-compensatory pattern above (:func:`_require_magnitude`);
  a short interval that with the next makes one local median (or one interval of the line
  around them) is an extra beat, a long one that makes two (of the median or of its neighbours'
  line) is a missed beat, within 20 % even where the paper's ``Th2`` is tighter.
- Two flagged neighbours whose sum is what interpolation predicts keep their sum (one displaced
  beat, :data:`PAIR_SUM_TOLERANCE`); a missed beat is split where its neighbours' trend points,
  halfway (:data:`MISSED_SPLIT_TREND_WEIGHT`). Successive differences that are not measured are
  left out of the successive-difference indices (``ArtifactReport.breaks``): those touching an
  interpolated interval, and the one inside a split or a sum-keeping pair (see
  :func:`_unmeasured`).

- Correction works on RR values, not peak times: ectopic, long and short beats are replaced by
  interpolation (NeuroKit2 moves the R peak to the midpoint of its neighbours).
- Detection is repeated after correction only when the first pass flags more than 5 % of the
  beats (NeuroKit2's ``iterative=True`` always repeats): see :data:`ITERATE_ABOVE_PERCENT`.
- ``long`` and ``short`` are reported apart (NeuroKit2: one ``longshort`` list).

Speed: the rolling quartiles are the only expensive step, and the exact thresholds are computed
only where a decision depends on them. A lower bound on ``Th1``, from the order statistics of
the 84-beat core that the windows of 8 neighbouring beats share, proves ``|dRR| <= Th1`` for
most beats; those cannot enter the tree, and read as 0 they decide the tests of their
neighbours the same way (see :func:`_undecided_neighbours`). The remaining windows are sorted;
when too many remain, ``scipy.ndimage.rank_filter`` does all. The plain path (``np.quantile``
per window, the decision loop of Fig. 1 in Python) gives the same codes (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.ndimage import rank_filter

from vagus.hrv._constants import ARTIFACT_WARN_PERCENT, MAX_RR_MS, MIN_RR_MS
from vagus.hrv._rr import invalid_code
from vagus.hrv._types import BoolArray, FloatArray, IntArray

__all__ = [
    "ARTIFACT_KINDS",
    "ArtifactFlags",
    "ArtifactReport",
    "correct_rr",
    "detect_artifacts",
    "invalid_code",
    "out_of_range",
    "successive_differences",
]

ARTIFACT_KINDS: Final = ("ectopic", "missed", "extra", "long", "short")

# --- Constants of the method, Lipponen & Tarvainen 2019 (values as in NeuroKit2's
# _find_artifacts and systole's rr_artefacts). All but the window lengths are dimensionless.
#: Ectopic region of the (dRR, S12) plane: S12 < -c1 * dRR - c2 for dRR > 1, and
#: S12 > -c1 * dRR + c2 for dRR < -1 (dRR and S12 in threshold units).
ECTOPIC_C1: Final[float] = 0.13
ECTOPIC_C2: Final[float] = 0.17
#: Time-varying threshold = alpha * quartile deviation of |dRR| (Th1) or |mRR| (Th2).
THRESHOLD_ALPHA: Final[float] = 5.2
#: The quartile deviation is taken over a centred window of this many beats.
THRESHOLD_WINDOW_BEATS: Final[int] = 91
#: The local RR level for mRR is the median over a centred window of this many beats.
MEDIAN_WINDOW_BEATS: Final[int] = 11
#: |mRR| above this many thresholds marks a long or short beat (Fig. 1).
MRR_LIMIT: Final[float] = 3.0
#: Negative mRR (intervals below the local median) are weighted by this factor, as in the
#: paper's implementations: an interval can fall at most one median below the median but rise
#: well above it, so short beats deviate less and are weighted up.
MRR_NEGATIVE_WEIGHT: Final[float] = 2.0
#: Correction passes at most. Like NeuroKit2's iterative mode, detection is repeated on the
#: corrected series while it finds fewer artifacts than the pass before; the bound keeps a
#: pathological series from costing more than a few detections.
MAX_CORRECTION_PASSES: Final[int] = 4
#: Detection is repeated only when the first pass flags more than this share of the beats
#: (the share above which the indices are not reliable, ARTIFACT_WARN_PERCENT). Measured, with
#: the paper's tree alone (before the floors of issue 12), on the
#: 60-min NSR series shipped with pyhrv, with missed, extra and ectopic beats injected: with
#: few artifacts the quartile thresholds are sound and later passes flag real respiratory
#: sinus arrhythmia next to corrected beats (on the clean series every later-pass flag was a
#: false positive; RMSSD fell 8.5 % after one pass, 13.4 % after four); with many, the
#: artifacts inflate the thresholds and hide each other, and later passes find them (6 %
#: injected: RMSSD error +23 % after one pass, -2.8 % after four).
ITERATE_ABOVE_PERCENT: Final[float] = ARTIFACT_WARN_PERCENT
#: --- Magnitude floors (ours, issue 12). Lipponen & Tarvainen's thresholds are 5.2 quartile
#: deviations of the local beat-to-beat differences, so in a recording with little variability
#: they fall to a few tens of ms and flag ordinary sinus beats: on a clean 25-min ECG (systole's
#: Task1 recording) 17 of 1,935 intervals, lowering RMSSD by 5.2 %; on the clean NSR hour 83 of
#: 4,684, -8.5 %. An artifact of a beat detector or strap changes an interval by a share of the
#: heart period, not by a share of its variability, so each class must also clear a floor that is
#: a fraction of the local median RR (a floor in ms that scales with the heart rate). All are
#: fractions of the 11-beat median (dimensionless) and were set from the data in
#: benchmarks/artifact_validation.py: the largest sinus deviations in the clean series, against
#: the smallest in annotated premature beats (MIT-BIH 100) and in injected artifacts.
#: A premature beat: its interval at least this much shorter than the line between the intervals
#: around the pair (the 34 annotated premature beats of MIT-BIH 100: 16-35 % below the local
#: median).
ECTOPIC_PREMATURE_FRACTION: Final[float] = 0.10
#: ... and the compensatory interval after it at least this much longer than the premature one,
#: relative to the same line: the premature-compensatory pattern as a whole (Kamath & Fallen
#: 1995 drop intervals that differ by more than 20 % from the one before; a premature beat and its
#: pause differ by about 30-75 % in MIT-BIH 100; sinus rhythm in the clean series rarely by 30 %).
ECTOPIC_SWING_FRACTION: Final[float] = 0.30
#: A premature-compensatory pair that the decision tree did not flag at all (its adaptive
#: thresholds are wide where sinus arrhythmia is strong) is flagged when it is this much clearer:
#: 15 % premature and a 40 % swing. In the clean NSR hour no sinus pair is that sharp; of the
#: beats injected as ectopic into it (1, 3, 5 %, 10 seeds) the tree with floors finds at worst
#: 94.9 %, with these pairs added 97.7 %.
ECTOPIC_ALONE_PREMATURE_FRACTION: Final[float] = 0.15
ECTOPIC_ALONE_SWING_FRACTION: Final[float] = 0.40
#: (The compensatory interval must also be at least as long as the line: a short interval
#: followed by an ordinary one is a short beat, not a premature-compensatory pair.)
#: ... and the pair together at most this much longer than two intervals on that line: a pause
#: makes up for the premature beat at most fully (sum about 0), but sinus rhythm moves the line;
#: a pair that holds a missed beat is about +100 %.
COMPENSATION_MAX_FRACTION: Final[float] = 0.45
#: A pair whose pause makes up for the premature beat closely (the pair within this fraction of
#: two intervals on the line: a full compensatory pause, the mark of a ventricular premature beat)
#: needs only :data:`ECTOPIC_MATCHED_SWING_FRACTION` of swing instead of
#: :data:`ECTOPIC_SWING_FRACTION`: a sinus pair that is short then long by chance rarely sums
#: that exactly. Measured on the NSR hour with 1 % ectopic beats injected (10 seeds): the worst
#: seed finds 93.6 % without it, 95.7 % with it; clean series and MIT-BIH 100 flag nothing more.
COMPENSATION_MATCH_FRACTION: Final[float] = 0.10
ECTOPIC_MATCHED_SWING_FRACTION: Final[float] = 0.25
#: A long or missed beat alone: at least this much above the local median (clean sinus rhythm
#: reaches +47 % in the NSR hour, at sharp breathing-linked peaks; a missed beat is about +100 %).
LONG_FLOOR_FRACTION: Final[float] = 0.50
#: A short beat alone, or one of the two parts of an extra beat: at least this much below the
#: local median (clean sinus rhythm: -25 % at most; a split interval's shorter part: -50 % or
#: more).
SHORT_FLOOR_FRACTION: Final[float] = 0.30
#: Two flagged neighbours (a premature beat and its pause, or a misplaced beat) are corrected by
#: moving the beat between them, keeping their sum, when the sum is within this fraction of what
#: interpolation predicts for the two: the beats around the pair are real, only the one between
#: them is displaced. Otherwise both are interpolated.
PAIR_SUM_TOLERANCE: Final[float] = 0.20
#: A missed beat is split halfway between an even split (Kubios inserts the missing R wave
#: midway) and the split that the line through the two neighbouring intervals predicts. The two
#: outer successive differences of the halves are kept as measured (see :func:`_unmeasured`),
#: and each split biases them one way: the even split moves half of the true inner difference
#: into both (RMSSD up: +1.3 % mean with 5 % missed beats in systole's Task1 ECG), the line is a
#: conditional-mean estimate, which takes its own error variance out of them (RMSSD down: -1.2 %
#: mean in the NSR hour). Halfway, the means are +0.5 % and -0.4 % (benchmarks/
#: artifact_validation.py, 30 seeds). 0 is the even split, 1 the line.
MISSED_SPLIT_TREND_WEIGHT: Final[float] = 0.5
#: Below one median window of beats the local median and the quartiles rest on a handful of
#: values, so nothing is flagged (and 0, 1, 2 beats have no dRR to speak of).
MIN_DETECTION_BEATS: Final[int] = MEDIAN_WINDOW_BEATS

# Beat codes, index into ARTIFACT_KINDS plus one; 0 is a normal beat.
_NORMAL: Final = 0
_ECTOPIC: Final = 1
_MISSED: Final = 2
_EXTRA: Final = 3
_LONG: Final = 4
_SHORT: Final = 5
_INTERPOLATED: Final = (_ECTOPIC, _LONG, _SHORT)
# How an interval of the corrected series came about (see _unmeasured): measured, estimated
# (interpolated, or built from estimates), or one part of a missed beat's split or of a
# premature-compensatory pair that keeps its sum (the parts' sum is measured).
_MEASURED: Final = 0
_ESTIMATED: Final = 1
_SPLIT_FIRST: Final = 2
_SPLIT_SECOND: Final = 3
_PAIR_FIRST: Final = 4
_PAIR_SECOND: Final = 5

# Implementation details of the fast path (not physiology).
#: Beats per block for the lower bound on Th1 (see _gate_candidates): larger blocks mean fewer,
#: cheaper bounds that are looser.
_BOUND_BLOCK_BEATS: Final[int] = 8
#: When more than this share of beats needs an exact threshold, one rank filter over the whole
#: series is cheaper than sorting that many windows (measured crossover about 30 %).
_SPARSE_MAX_SHARE: Final[float] = 0.3
#: Relative slack on the lower bound, far above float rounding of the quartiles.
_BOUND_SLACK: Final[float] = 1e-9
#: Sorted window rows per chunk (about 12 MB for 91-beat windows).
_ROWS_PER_CHUNK: Final[int] = 16384

Int8Array = npt.NDArray[np.int8]


@dataclass(frozen=True)
class ArtifactReport:
    """What artifact detection found and what correction did.

    Attributes
    ----------
    enabled : bool
        Whether correction was applied.
    detected : int
        Input beats flagged, each counted once. With correction on, a beat flagged again in a
        later pass (or first flagged there) is counted once, under its first kind. Intervals
        outside physiological bounds are not in here but in ``out_of_range``.
    corrected : int
        Input beats corrected; 0 when ``enabled`` is False. Every flagged beat is corrected
        (an interval absorbed into a merge counts as corrected), so this equals ``detected``
        when ``enabled`` is True.
    percent : float
        ``detected`` as a percentage of the input beats (0.0 for an empty input).
    by_type : dict of str to int
        Beats per kind, every kind of :data:`ARTIFACT_KINDS` present.
    out_of_range : int
        Input intervals shorter than ``MIN_RR_MS`` or longer than ``MAX_RR_MS``: no heart makes
        them, so they are left out of the NN series (and of every index) whether or not
        correction is on.
    invalid_code : int
        Those of ``out_of_range`` that equal the "no valid interval" code of strap data (65535,
        in ms or in 1/1024 s; see ``RR_INVALID_CODES_MS``).
    changed : int
        Input intervals changed or left out: ``corrected + out_of_range``.
    rmssd_before : float or None
        RMSSD in ms of the input intervals within physiological bounds, uncorrected, leaving out
        the differences across an excluded interval; ``None`` with fewer than two such
        differences' worth of data (no successive difference).
    rmssd_after : float or None
        RMSSD in ms of the NN series returned (what ``analyze`` reports), computed the same way.
    breaks : tuple of int
        Positions ``k`` in the returned NN series whose successive difference
        ``nn[k] - nn[k - 1]`` is not a measured beat-to-beat difference and is left out (see
        :func:`successive_differences`): an excluded interval lay between the two, or one of
        them is interpolated, or they are the two parts of a split missed beat or of a
        premature-compensatory pair that keeps its sum.
    """

    enabled: bool
    detected: int
    corrected: int
    percent: float
    by_type: dict[str, int]
    out_of_range: int = 0
    invalid_code: int = 0
    rmssd_before: float | None = None
    rmssd_after: float | None = None
    breaks: tuple[int, ...] = ()

    @property
    def changed(self) -> int:
        """Input intervals changed or left out: ``corrected + out_of_range``."""
        return self.corrected + self.out_of_range

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping: the attributes above except ``invalid_code`` and ``breaks``."""
        return {
            "enabled": self.enabled,
            "detected": self.detected,
            "corrected": self.corrected,
            "percent": self.percent,
            "by_type": {kind: int(self.by_type.get(kind, 0)) for kind in ARTIFACT_KINDS},
            "changed": self.changed,
            "out_of_range": self.out_of_range,
            "rmssd_before": self.rmssd_before,
            "rmssd_after": self.rmssd_after,
        }


# eq=False: the fields are arrays, whose == is elementwise; flags compare by identity.
@dataclass(frozen=True, eq=False)
class ArtifactFlags:
    """Boolean masks, one entry per input RR interval, one mask per artifact kind.

    A beat is in at most one mask. For an extra beat the flag is on the first of the two
    intervals it splits (the pair is merged); for a missed beat on the long interval.
    """

    ectopic: BoolArray
    missed: BoolArray
    extra: BoolArray
    long: BoolArray
    short: BoolArray

    @property
    def any(self) -> BoolArray:
        """True where a beat is flagged as any kind."""
        return self.ectopic | self.missed | self.extra | self.long | self.short


# --- Rolling quantiles --------------------------------------------------------------------------


def _lerp(a: FloatArray, b: FloatArray, t: FloatArray | float) -> FloatArray:
    """Linear interpolation between order statistics, written as numpy's quantile does it.

    numpy computes ``b - (b - a) * (1 - t)`` for ``t >= 0.5``; using the same expression makes
    the fast and plain paths agree bit for bit rather than to one ulp.
    """
    diff = b - a
    out: FloatArray = a + diff * t
    np.subtract(b, diff * (1.0 - np.asarray(t)), out=out, where=np.asarray(t) >= 0.5)
    return out


def _window_quantiles_at(
    values: FloatArray, positions: IntArray, window: int, qs: tuple[float, ...]
) -> list[FloatArray]:
    """Quantiles ``qs`` of the centred, end-shrinking windows around ``positions``.

    Sorts one row per position (values beyond the ends padded with +inf, so that they sort
    last) and interpolates like ``np.quantile``: index ``(m - 1) * q`` among the ``m`` values
    inside. Rows are sorted in chunks so that memory stays bounded on long series.
    """
    n = values.size
    half = window // 2
    padded = np.concatenate((np.full(half, np.inf), values, np.full(half, np.inf)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    out = [np.empty(positions.size) for _ in qs]
    for start in range(0, positions.size, _ROWS_PER_CHUNK):
        at = positions[start : start + _ROWS_PER_CHUNK]
        rows = windows[at]  # fancy indexing copies, so sorting in place is safe
        rows.sort(axis=1)
        count = np.minimum(at + half, n - 1) - np.maximum(at - half, 0) + 1
        row = np.arange(at.size)
        for result, q in zip(out, qs, strict=True):
            h = (count - 1) * q
            lo = np.floor(h).astype(np.intp)
            hi = np.minimum(lo + 1, count - 1)
            result[start : start + at.size] = _lerp(rows[row, lo], rows[row, hi], h - lo)
    return out


def _rolling_quantiles(values: FloatArray, window: int, qs: tuple[float, ...]) -> list[FloatArray]:
    """Quantiles of a centred rolling window that shrinks at the ends, for every position.

    The fast path: ``scipy.ndimage.rank_filter`` for the full windows (the two order statistics
    around index ``(window - 1) * q``), then the ``window // 2`` positions at each end, where
    the window is cut short, from their sorted windows.
    """
    n = values.size
    half = window // 2
    if n <= 2 * half:
        return _window_quantiles_at(values, np.arange(n), window, qs)
    cache: dict[int, FloatArray] = {}

    def order_statistic(rank: int) -> FloatArray:
        if rank not in cache:
            cache[rank] = rank_filter(values, rank, size=window, mode="nearest")
        return cache[rank]

    ends = np.concatenate((np.arange(half), np.arange(n - half, n)))
    end_values = _window_quantiles_at(values, ends, window, qs)
    out: list[FloatArray] = []
    for q, at_ends in zip(qs, end_values, strict=True):
        h = (window - 1) * q
        lo = int(np.floor(h))
        t = h - lo
        low = order_statistic(lo)
        result = _lerp(low, order_statistic(lo + 1) if t > 0 else low, t)
        result[ends] = at_ends
        out.append(result)
    return out


def _rolling_quantiles_plain(
    values: FloatArray, window: int, qs: tuple[float, ...]
) -> list[FloatArray]:
    """Reference for :func:`_rolling_quantiles`: one ``np.quantile`` per window (slow)."""
    n = values.size
    half = window // 2
    out = np.empty((len(qs), n))
    for i in range(n):
        out[:, i] = np.quantile(values[max(0, i - half) : i + half + 1], qs)
    return list(out)


def _threshold(lower: FloatArray, upper: FloatArray) -> FloatArray:
    """alpha times the quartile deviation (Q3 - Q1) / 2."""
    return THRESHOLD_ALPHA * ((upper - lower) / 2.0)


def _threshold_at(values: FloatArray, positions: IntArray) -> FloatArray:
    q1, q3 = _window_quantiles_at(values, positions, THRESHOLD_WINDOW_BEATS, (0.25, 0.75))
    return _threshold(q1, q3)


def _threshold_full(values: FloatArray) -> FloatArray:
    q1, q3 = _rolling_quantiles(values, THRESHOLD_WINDOW_BEATS, (0.25, 0.75))
    return _threshold(q1, q3)


def _threshold_plain(values: FloatArray) -> FloatArray:
    q1, q3 = _rolling_quantiles_plain(values, THRESHOLD_WINDOW_BEATS, (0.25, 0.75))
    return _threshold(q1, q3)


def _gate_candidates(abs_drr: FloatArray) -> tuple[BoolArray, FloatArray]:
    """Beats whose ``|dRR|`` may exceed Th1, and a lower bound on Th1 for the others.

    For a block of ``B`` consecutive beats with full windows, all ``w = 91`` windows contain the
    same core of ``w - B + 1`` beats. A window's k-th smallest value is at most the core's k-th
    smallest and at least the core's ``(k - B + 1)``-th, so with ``k1``, ``k3`` the lower order
    statistics of Q1 and Q3 in a full window,
    ``Th1 >= alpha / 2 * (core[k3 - B + 1] - core[k1 + 1])``. Ends (cut windows), beats after
    the last whole block, and bounds near zero (where Th1 may be 0) stay candidates.

    Returns
    -------
    candidates : numpy.ndarray of bool
        False where ``|dRR| <= bound <= Th1`` is proven.
    bound : numpy.ndarray
        The lower bound (less a rounding slack) where ``candidates`` is False; +inf elsewhere.
    """
    n = abs_drr.size
    window = THRESHOLD_WINDOW_BEATS
    half = window // 2
    block = _BOUND_BLOCK_BEATS
    candidates = np.ones(n, dtype=np.bool_)
    bound = np.full(n, np.inf)
    n_blocks = (n - 2 * half) // block
    if n_blocks <= 0:
        return candidates, bound
    core_len = window - block + 1
    # Block b holds beats half + b*B ... half + b*B + B - 1; its core starts at b*B + B - 1.
    cores = np.lib.stride_tricks.sliding_window_view(abs_drr, core_len)[block - 1 :: block]
    cores = np.sort(cores[:n_blocks], axis=1)
    k1 = int(np.floor((window - 1) * 0.25))
    k3 = int(np.floor((window - 1) * 0.75))
    lower = _threshold(cores[:, k1 + 1], cores[:, k3 - block + 1])
    slack = _BOUND_SLACK * (1.0 + float(abs_drr.max()))
    inner = slice(half, half + n_blocks * block)
    bound[inner] = np.repeat(lower - slack, block)
    candidates[inner] = (abs_drr[inner] > bound[inner]) | (bound[inner] <= 0.0)
    bound[candidates] = np.inf
    return candidates, bound


# --- Detection ----------------------------------------------------------------------------------


def _undecided_neighbours(
    first: IntArray,
    d: FloatArray,
    drr: FloatArray,
    bound: FloatArray,
    known: BoolArray,
    enter: BoolArray,
    m: FloatArray,
) -> IntArray:
    """Neighbours of entering beats whose exact normalised dRR the decisions need.

    A beat ``q`` that is not a candidate has ``|d(q)| <= u(q) = |dRR(q)| / bound(q) <= 1`` and
    the sign of ``dRR(q)``. Read as 0 (see :func:`_detection_codes`), that settles:

    - S22 of any beat: a neighbour with ``|d| <= 1`` can never make ``S22 < -1`` or ``> 1``;
    - the ectopic test of an entering beat ``i`` with ``d(i) > 1`` (needs both neighbours
      below ``-c1 d(i) - c2 < 0``) unless a neighbour is negative with ``u > c1 d(i) + c2``,
      and mirrored for ``d(i) < -1``;
    - the pair test, unless the next beat enters the tree itself (then it is skipped) or has
      ``|mRR| > 3`` (then it is flagged as long or short): otherwise the next beat is normal
      whichever way the test goes.

    These exceptions are returned; everything else is decided by the bound.
    """
    n = d.size
    d1 = d[first]
    need: list[IntArray] = []
    for offset in (-1, 1):
        q = first + offset
        inside = (q >= 0) & (q < n)
        q = np.clip(q, 0, n - 1)
        u = np.abs(drr[q]) / bound[q]  # 0 where q is known (bound = inf)
        down = (d1 > 1) & (drr[q] < 0) & (u > ECTOPIC_C1 * d1 + ECTOPIC_C2)
        up = (d1 < -1) & (drr[q] > 0) & (u > -ECTOPIC_C1 * d1 + ECTOPIC_C2)
        need.append(q[inside & ~known[q] & (down | up)])
    nxt = first + 1
    matters = enter[nxt] | (np.abs(m[nxt]) > MRR_LIMIT)
    need.extend((nxt[matters], nxt[matters] + 1))
    wanted = np.unique(np.concatenate(need))
    return wanted[~known[wanted]]


def _divide(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, NaN where den is 0 or NaN (an undefined normalised value never flags)."""
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _detection_codes(rr_ms: FloatArray, *, plain: bool = False, floors: bool = True) -> Int8Array:
    """One code per interval (0 normal, else 1 + index into ARTIFACT_KINDS).

    ``plain=True`` computes every threshold and median with one ``np.quantile`` per window: the
    reference the fast path is tested against. ``floors=False`` returns the decision tree of
    the paper alone (what NeuroKit2 flags), without :func:`_require_magnitude`.
    """
    n_rr = rr_ms.size
    codes = np.zeros(n_rr, dtype=np.int8)
    if n_rr < MIN_DETECTION_BEATS:
        return codes
    # Extended series: a synthetic first interval (the mean), as NeuroKit2 does, so that the
    # first real interval has a dRR. Index e here is interval e - 1 of the input.
    x = np.concatenate(([rr_ms.mean()], rr_ms))
    n = x.size
    drr = np.empty(n)
    drr[1:] = np.diff(x)
    drr[0] = drr[1:].mean()
    abs_drr = np.abs(drr)

    # Th1. The fast path computes it only at the candidates (beats whose |dRR| may exceed it);
    # elsewhere |d| <= 1 is proven and d is read as 0, which decides every test the same way
    # (see _undecided_neighbours) except at a few neighbours, computed below.
    if plain:
        th1 = _threshold_plain(abs_drr)
        known = np.ones(n, dtype=np.bool_)
        bound = np.full(n, np.inf)
    else:
        known, bound = _gate_candidates(abs_drr)
        if known.sum() > _SPARSE_MAX_SHARE * n:
            th1 = _threshold_full(abs_drr)
            known[:] = True
            bound[:] = np.inf
        else:
            th1 = np.full(n, np.nan)
            where = np.flatnonzero(known)
            th1[where] = _threshold_at(abs_drr, where)
    d = _divide(drr, th1)
    d[~known] = 0.0

    if plain:
        (median_rr,) = _rolling_quantiles_plain(x, MEDIAN_WINDOW_BEATS, (0.5,))
    else:
        (median_rr,) = _rolling_quantiles(x, MEDIAN_WINDOW_BEATS, (0.5,))
    mrr = x - median_rr
    mrr[mrr < 0] *= MRR_NEGATIVE_WEIGHT
    abs_mrr = np.abs(mrr)

    # Fig. 1: a beat enters the tree when |dRR| > 1; one whose dRR is undefined (Th1 = 0) then
    # passes the second test on |mRR| > 3 alone. The last two beats are never the first of a
    # pair (the tests read two beats ahead). Th2 is needed at those beats and the next.
    enter = ~(np.abs(d) <= 1.0)
    enter[n - 2 :] = False
    needs_th2 = enter.copy()
    needs_th2[1:] |= enter[:-1]
    if plain:
        th2 = _threshold_plain(abs_mrr)
    elif needs_th2.sum() > _SPARSE_MAX_SHARE * n:
        th2 = _threshold_full(abs_mrr)
    else:
        th2 = np.full(n, np.nan)
        where = np.flatnonzero(needs_th2)
        th2[where] = _threshold_at(abs_mrr, where)
    m = _divide(mrr, th2)
    enter &= (np.abs(d) > 1.0) | (np.abs(m) > MRR_LIMIT)
    first = np.flatnonzero(enter)
    codes_ext = np.zeros(n, dtype=np.int8)
    if first.size == 0:
        if floors:  # a clear premature pattern is flagged even when the tree flags nothing
            codes[:] = _require_magnitude(codes_ext, x, median_rr)[1:]
        return codes
    if not plain:
        more = _undecided_neighbours(first, d, drr, bound, known, enter, m)
        d[more] = _divide(drr[more], _threshold_at(abs_drr, more))
    d_pad = np.pad(d, 2, mode="reflect")  # d_pad[k + 2] == d[k]; ends reflected (NeuroKit2)

    # Subspace 1 at the entering beats: S12 is the larger neighbour for a positive dRR, the
    # smaller for a negative one; the ectopic region lies beyond the lines -c1 * dRR -/+ c2.
    d1 = d[first]
    before, after = d_pad[first + 1], d_pad[first + 3]
    s12 = np.where(
        d1 > 0, np.maximum(before, after), np.where(d1 < 0, np.minimum(before, after), 0.0)
    )
    ectopic = ((d1 > 1) & (s12 < -ECTOPIC_C1 * d1 - ECTOPIC_C2)) | (
        (d1 < -1) & (s12 > -ECTOPIC_C1 * d1 + ECTOPIC_C2)
    )
    pair = np.abs(d_pad[first + 3]) < np.abs(d_pad[first + 4])
    kind_first = _long_short_kind(first, x, d, d_pad, mrr, m, median_rr, th2)
    kind_next = _long_short_kind(first + 1, x, d, d_pad, mrr, m, median_rr, th2)

    visit = _visit_loop if plain else _visit
    at, kinds = visit(first, ectopic, pair, kind_first, kind_next)
    codes_ext[at] = kinds
    if floors:
        codes_ext = _require_magnitude(codes_ext, x, median_rr)
    # The synthetic first interval is not a beat of the input; a flag there is dropped.
    codes[:] = codes_ext[1:]
    return codes


def _visit(
    first: IntArray,
    ectopic: BoolArray,
    pair: BoolArray,
    kind_first: Int8Array,
    kind_next: Int8Array,
) -> tuple[IntArray, Int8Array]:
    """The sequential part of Fig. 1, vectorised: which beats get which code.

    Beats enter the tree in index order. An entering beat that is not ectopic and whose pair
    test holds is classified together with the next beat, which is then not visited on its
    own. So within a run of consecutive entering beats that each pair with the next, every
    second one is skipped: a beat is visited when its distance from the start of its run is
    even. :func:`_visit_loop` is the plain loop this reproduces (tested).
    """
    skipper = ~ectopic & pair
    chained = np.zeros(first.size, dtype=np.bool_)
    chained[1:] = (np.diff(first) == 1) & skipper[:-1]
    position = np.arange(first.size)
    run_start = np.maximum.accumulate(np.where(chained, 0, position))
    visited = (position - run_start) % 2 == 0
    as_ectopic = visited & ectopic
    as_first = visited & ~ectopic
    as_pair = visited & skipper
    at = np.concatenate((first[as_ectopic], first[as_first], first[as_pair] + 1))
    kinds = np.concatenate(
        (
            np.full(int(as_ectopic.sum()), _ECTOPIC, dtype=np.int8),
            kind_first[as_first],
            kind_next[as_pair],
        )
    )
    return at, kinds


def _visit_loop(
    first: IntArray,
    ectopic: BoolArray,
    pair: BoolArray,
    kind_first: Int8Array,
    kind_next: Int8Array,
) -> tuple[IntArray, Int8Array]:
    """Reference for :func:`_visit`: the loop of Fig. 1 over the entering beats only."""
    at: list[int] = []
    kinds: list[int] = []
    skip_before = -1
    for i, is_ectopic, is_pair, k_i, k_next in zip(
        first.tolist(),
        ectopic.tolist(),
        pair.tolist(),
        kind_first.tolist(),
        kind_next.tolist(),
        strict=True,
    ):
        if i < skip_before:
            continue  # classified together with the beat before
        if is_ectopic:
            at.append(i)
            kinds.append(_ECTOPIC)
            continue
        at.append(i)
        kinds.append(k_i)
        if is_pair:
            at.append(i + 1)
            kinds.append(k_next)
            skip_before = i + 2
    return np.asarray(at, dtype=np.intp), np.asarray(kinds, dtype=np.int8)


def _long_short_kind(
    j: IntArray,
    x: FloatArray,
    d: FloatArray,
    d_pad: FloatArray,
    mrr: FloatArray,
    m: FloatArray,
    median_rr: FloatArray,
    th2: FloatArray,
) -> Int8Array:
    """Subspace 2 and the missed / extra tests of Fig. 1 for beats ``j`` (codes; 0 = normal).

    S22 is the smaller of the next two dRR for a non-negative dRR, the larger for a negative
    one. A long beat whose half is within Th2 of the local median is a missed beat; a short beat
    that with the next interval is within Th2 of the median is an extra beat. Among the
    remaining long/short beats (|mRR| > 3 alone included), the sign of mRR tells long from short.
    """
    dj = d[j]
    ahead1, ahead2 = d_pad[j + 3], d_pad[j + 4]
    s22 = np.where(
        dj >= 0, np.minimum(ahead1, ahead2), np.where(dj < 0, np.maximum(ahead1, ahead2), 0.0)
    )
    long_beat = (dj > 1) & (s22 < -1)
    short_beat = (dj < -1) & (s22 > 1)
    far_from_median = np.abs(m[j]) > MRR_LIMIT
    missed = np.abs(x[j] / 2.0 - median_rr[j]) < th2[j]
    extra = np.abs(x[j] + x[j + 1] - median_rr[j]) < th2[j]
    kind = np.where(
        long_beat | (~short_beat & far_from_median & (mrr[j] > 0)), _LONG, _SHORT
    ).astype(np.int8)
    kind[~(long_beat | short_beat | far_from_median)] = _NORMAL
    kind[long_beat & missed] = _MISSED
    kind[short_beat & extra] = _EXTRA
    return kind


def _require_magnitude(codes: Int8Array, x: FloatArray, median_rr: FloatArray) -> Int8Array:
    """Keep a flag of the paper's decision tree only when the beat is far enough from sinus rhythm.

    The floors (fractions of the local median RR, see :data:`LONG_FLOOR_FRACTION` and the
    constants around it) per class:

    - ectopic: the interval is one half of a premature-compensatory pair: the first interval at
      least 10 % shorter than the line between the intervals around the pair, the second at
      least as long as that line and at least 30 % longer than the first, the two together at
      most 45 % longer than two intervals on the line (else the pair holds a missed beat), or
      25 % longer than the first when the two together are within 10 % of two intervals on the
      line (a full compensatory pause); or 50 % above / 30 % below the local median, as a long
      or short beat would be;
    - short: 30 % below the local median, or the premature half of such a pair;
    - long: 50 % above the local median, or the compensatory half of such a pair;
    - missed: 50 % above the local median, or two intervals of its neighbours' line (within
      20 %);
    - extra: one of the two parts 30 % below the local median.

    Then: a kept long, ectopic or missed interval that holds two local medians or two intervals
    of its neighbours' line (within 20 %) is a missed beat, and one that holds neither is a long
    beat (interpolated, not split); a kept short or ectopic one that makes one median, or one
    interval of the line around the two, with the next is an extra beat, whichever branch of the
    tree flagged it. The neighbours' line is the reference next to the local median because the
    11-beat median lags strong sinus arrhythmia: in the NSR hour a missed beat at a trough of
    the RR series, 1.75 times its neighbours, was 1.43 local medians and went uncorrected. Only
    neighbours that look like sinus intervals (neither 30 % below the median nor two medians
    long) make a line; else the median stands in. An interval whose next one holds two beats
    (by that line) more closely than the pair compensates a premature beat is not a premature
    beat. A pair whose one half is kept has its other half flagged as ectopic too, so both are
    corrected; a pair the tree did not flag at all is flagged when it is clearer
    (:data:`ECTOPIC_ALONE_PREMATURE_FRACTION`). Vectorised, O(n).

    Parameters
    ----------
    codes : numpy.ndarray of int8
        The tree's codes on the extended series ``x``.
    x : numpy.ndarray
        The extended RR series in ms (a synthetic first interval, then the input).
    median_rr : numpy.ndarray
        The 11-beat running median of ``x`` in ms.

    Returns
    -------
    numpy.ndarray of int8
        The codes kept (0 where a flag was dropped), reclassified and completed.
    """
    n = x.size
    tol = PAIR_SUM_TOLERANCE
    rel = x / median_rr - 1.0
    # Intervals that can stand for the sinus level: not a short part, not two beats in one.
    sinus = (rel > -SHORT_FLOOR_FRACTION) & (x < 2.0 * (1.0 - tol) * median_rr)
    # The line between the intervals around the pair (k, k + 1); the median at the ends.
    ref = median_rr.copy()
    ref_sum = median_rr.copy()  # the same, where both of those intervals are sinus-like
    if n >= 4:
        ref[1 : n - 2] = (x[: n - 3] + x[3:]) / 2.0
        both = sinus[: n - 3] & sinus[3:]
        ref_sum[1 : n - 2] = np.where(both, ref[1 : n - 2], median_rr[1 : n - 2])
    # The line through the two neighbours of interval k, where both are sinus-like.
    line = median_rr.copy()
    if n >= 3:
        both = sinus[: n - 2] & sinus[2:]
        line[1 : n - 1] = np.where(both, (x[: n - 2] + x[2:]) / 2.0, median_rr[1 : n - 1])
    first = x / ref - 1.0
    second = np.full(n, -np.inf)
    second[:-1] = x[1:] / ref[:-1] - 1.0
    x_next = np.zeros(n)
    x_next[:-1] = x[1:]
    far_long = rel >= LONG_FLOOR_FRACTION
    far_short = rel <= -SHORT_FLOOR_FRACTION
    # Holds two beats (by the median or by its neighbours' line); makes one with the next.
    two_line_error = np.abs(x / (2.0 * line) - 1.0)
    two_line = two_line_error <= tol
    holds_two = two_line | (np.abs(x / (2.0 * median_rr) - 1.0) <= tol)
    makes_one = (np.abs((x + x_next) / median_rr - 1.0) <= tol) | (
        np.abs((x + x_next) / ref_sum - 1.0) <= tol
    )
    makes_one[-1] = False
    # The second part of an extra beat (merged with the first) is no premature beat.
    extra_like = (codes == _EXTRA) | ((codes != _NORMAL) & far_short & makes_one)
    after_extra = np.zeros(n, dtype=np.bool_)
    after_extra[1:] = extra_like[:-1]
    # The pause after a premature beat at most makes up for it (full compensation: the pair
    # sums to two sinus intervals); a pair much longer than that holds a missed beat instead.
    swing = second - first
    compensation = first + second
    premature = (
        (first <= -ECTOPIC_PREMATURE_FRACTION)
        & (second >= 0.0)
        & ~after_extra
        & (
            ((swing >= ECTOPIC_SWING_FRACTION) & (compensation <= COMPENSATION_MAX_FRACTION))
            | (
                (swing >= ECTOPIC_MATCHED_SWING_FRACTION)
                & (np.abs(compensation) <= COMPENSATION_MATCH_FRACTION)
            )
        )
    )
    # ... and when the next interval is two beats more closely than it is a pause, it is that.
    next_two = np.full(n, np.inf)
    next_two[:-1] = two_line_error[1:]
    premature &= ~((next_two <= tol) & (next_two < np.abs(compensation)))
    compensatory = np.zeros(n, dtype=np.bool_)
    compensatory[1:] = premature[:-1]
    rel_next = np.zeros(n)
    rel_next[:-1] = rel[1:]
    keep = (codes == _ECTOPIC) & (premature | compensatory | far_long | far_short)
    keep |= (codes == _SHORT) & (far_short | premature)
    keep |= (codes == _LONG) & (far_long | compensatory)
    keep |= (codes == _MISSED) & far_long
    keep |= (codes == _EXTRA) & (far_short | (rel_next <= -SHORT_FLOOR_FRACTION))
    keep |= np.isin(codes, (_ECTOPIC, _LONG, _MISSED)) & two_line & ~compensatory
    out = np.where(keep, codes, _NORMAL).astype(np.int8)
    # A long interval, outside a premature pair, that holds two sinus intervals is a missed beat
    # whatever branch of the tree flagged it; one flagged missed that holds no two is long. The
    # paper's tolerance for both tests is Th2, which is a few tens of ms where variability is
    # small and hundreds where it is large; PAIR_SUM_TOLERANCE of the reference is used instead.
    long_kind = np.isin(out, (_ECTOPIC, _LONG, _MISSED)) & ~compensatory
    out[long_kind & (far_long | two_line) & holds_two] = _MISSED
    out[(out == _MISSED) & ~holds_two] = _LONG
    # Likewise a short interval that, with the next, makes one sinus interval is an extra beat
    # (merged; read as one short beat it would be interpolated, the second part left in).
    out[np.isin(out, (_SHORT, _ECTOPIC)) & far_short & ~premature & makes_one] = _EXTRA
    flagged = out != _NORMAL
    flagged_next = np.zeros(n, dtype=np.bool_)
    flagged_next[:-1] = flagged[1:]
    # A premature pattern the tree did not flag must be clearer to count on its own.
    clear = (first <= -ECTOPIC_ALONE_PREMATURE_FRACTION) & (
        second - first >= ECTOPIC_ALONE_SWING_FRACTION
    )
    pair = np.flatnonzero(premature & (flagged | flagged_next | clear))
    for at in (pair, pair + 1):
        at = at[at < n]
        out[at[out[at] == _NORMAL]] = _ECTOPIC
    return out


def _flags_from_codes(codes: Int8Array) -> ArtifactFlags:
    masks = []
    for code in range(1, len(ARTIFACT_KINDS) + 1):
        mask = codes == code
        mask.flags.writeable = False
        masks.append(mask)
    return ArtifactFlags(*masks)


def detect_artifacts(rr_ms: FloatArray) -> ArtifactFlags:
    """Classify each RR interval as normal or as one kind of artifact (Lipponen & Tarvainen 2019).

    Parameters
    ----------
    rr_ms : numpy.ndarray
        RR intervals in ms, float64, finite and positive (validated upstream). Series shorter
        than :data:`MIN_DETECTION_BEATS` (11) are returned with no artifacts.

    Returns
    -------
    ArtifactFlags
        One boolean mask per kind (``ectopic``, ``missed``, ``extra``, ``long``, ``short``), each
        as long as ``rr_ms``; a beat is in at most one.

    Notes
    -----
    One detection pass: the paper's decision tree, as NeuroKit2's
    ``signal_fixpeaks(method="kubios", iterative=False)`` computes it (see the module docstring
    for the shared conventions), then the magnitude floors of :func:`_require_magnitude`, which
    keep a flag only where the beat is far from sinus rhythm in units of the heart period, and
    flag both halves of a premature-compensatory pair. The input is taken as it is: intervals
    outside the physiological bounds are left out by :func:`correct_rr`, not here.
    :func:`correct_rr` repeats detection after correcting.

    References
    ----------
    Lipponen JA, Tarvainen MP (2019). A robust algorithm for heart rate variability time series
    artefact correction using novel beat classification. J Med Eng Technol 43(3):173-181.

    Examples
    --------
    >>> import numpy as np
    >>> rr = 800.0 + 50.0 * np.sin(np.arange(300) / 2.0)  # breathing-modulated, ms
    >>> rr[150] += rr[151]  # a missed beat: two intervals read as one
    >>> rr = np.delete(rr, 151)
    >>> flags = detect_artifacts(rr)
    >>> np.flatnonzero(flags.missed).tolist(), int(flags.any.sum())
    ([150], 1)
    """
    return _flags_from_codes(_detection_codes(np.asarray(rr_ms, dtype=np.float64)))


# --- Correction ---------------------------------------------------------------------------------


def _correct_once(
    rr_ms: FloatArray, codes: Int8Array, origin: IntArray, source: Int8Array
) -> tuple[FloatArray, IntArray, Int8Array]:
    """Apply one pass of corrections; return the new series, each interval's input index, and
    how each interval came about (``_MEASURED``, ``_ESTIMATED``, or a part of a split or of a
    sum-keeping pair; see :func:`_unmeasured`). A merge of two measured parts is measured."""
    n = rr_ms.size
    # Extra beat at j: intervals j and j + 1 are one interval split by a false detection, and
    # are merged (Kubios removes the extra R wave). In a run of extra flags, each merge takes
    # the next interval, which is then not the start of another merge.
    absorbed = np.zeros(n, dtype=np.bool_)
    merges: list[int] = []
    for j in np.flatnonzero(codes == _EXTRA).tolist():
        if not absorbed[j]:
            merges.append(j)
            absorbed[j + 1] = True
    merge_at = np.asarray(merges, dtype=np.intp)
    split_at = (codes == _MISSED) & ~absorbed
    replace = np.isin(codes, _INTERPOLATED) & ~absorbed
    good = (codes == _NORMAL) & ~absorbed

    values = rr_ms.copy()
    kind = source.copy()
    pairs = _sum_keeping_pairs(replace)
    if replace.any():
        # Ectopic, long and short beats: linear interpolation over the beat number between the
        # nearest good intervals on either side (constant beyond the first/last good one). The
        # Kubios manual describes cubic splines; over the single beats and short runs this
        # method flags the two differ by a fraction of the beat-to-beat variation, and a
        # straight line cannot overshoot its neighbours, so every value lies between two real
        # intervals (finite, positive, physiological) even at the ends and in long runs.
        if good.any():
            values[replace] = np.interp(np.flatnonzero(replace), np.flatnonzero(good), rr_ms[good])
        else:
            values[replace] = np.median(rr_ms)
        kind[replace] = _ESTIMATED
    if pairs.size:
        # A flagged pair whose sum is about what interpolation predicts is one displaced beat (a
        # premature beat and its compensatory pause, or an R peak placed late): the beats around
        # the pair are real, so their sum is kept and split in the proportion interpolation
        # predicts. Interpolating both would lose the pair's share of real beat-to-beat change.
        total = rr_ms[pairs] + rr_ms[pairs + 1]
        predicted = values[pairs] + values[pairs + 1]
        near = np.abs(total / predicted - 1.0) <= PAIR_SUM_TOLERANCE
        at = pairs[near]
        share = values[at] / predicted[near]
        values[at] = total[near] * share
        values[at + 1] = total[near] - values[at]
        # Its outer differences count as measured (see _unmeasured) when the pause compensates
        # fully (the sum within COMPENSATION_MATCH_FRACTION of the prediction): the beats around
        # then keep the sinus rhythm. An atrial premature beat resets the sinus node and its
        # pause falls short; the outer differences would carry that shortfall (MIT-BIH 100:
        # RMSSD 28.18 ms keeping them for every pair, 28.02 ms for full pauses only; the normal
        # beats' own differences 27.48 ms).
        fresh = (source[at] == _MEASURED) & (source[at + 1] == _MEASURED)
        fresh &= np.abs(total[near] / predicted[near] - 1.0) <= COMPENSATION_MATCH_FRACTION
        kind[at[fresh]] = _PAIR_FIRST
        kind[at[fresh] + 1] = _PAIR_SECOND
    values[merge_at] = rr_ms[merge_at] + rr_ms[merge_at + 1]
    parts_measured = (source[merge_at] == _MEASURED) & (source[merge_at + 1] == _MEASURED)
    kind[merge_at] = np.where(parts_measured, _MEASURED, _ESTIMATED)
    # Missed beat: the long interval holds two beats and is split in two (Kubios inserts the
    # missing R wave midway; here the split leans halfway towards the neighbours' line, see
    # MISSED_SPLIT_TREND_WEIGHT).
    at = np.flatnonzero(split_at)
    first_share = _split_shares(values, at, absorbed, split_at)
    repeats = np.ones(n, dtype=np.intp)
    repeats[absorbed] = 0
    repeats[split_at] = 2
    out_values = np.repeat(values, repeats)
    out_kind = np.repeat(kind, repeats)
    start = np.cumsum(repeats)[at] - 2  # output index of the first half
    out_values[start] = rr_ms[at] * first_share
    out_values[start + 1] = rr_ms[at] - out_values[start]
    fresh = source[at] == _MEASURED
    out_kind[start] = np.where(fresh, _SPLIT_FIRST, _ESTIMATED)
    out_kind[start + 1] = np.where(fresh, _SPLIT_SECOND, _ESTIMATED)
    return out_values, np.repeat(origin, repeats), out_kind


def _split_shares(
    values: FloatArray, at: IntArray, absorbed: BoolArray, split_at: BoolArray
) -> FloatArray:
    """The share of each split interval ``values[at]`` that goes to its first half.

    The line through the neighbouring intervals (corrected values; a split neighbour counts as
    its halves) predicts the two halves at one and two thirds of the way; the share is that
    prediction's, moved :data:`MISSED_SPLIT_TREND_WEIGHT` of the way from one half. Without a
    neighbour on either side, the split is even.
    """
    share = np.full(at.size, 0.5)
    kept = np.flatnonzero(~absorbed)
    if at.size == 0 or kept.size < 3:
        return share
    level = values / np.where(split_at, 2.0, 1.0)
    where = np.searchsorted(kept, at)  # kept[where] == at
    inside = (where > 0) & (where < kept.size - 1)
    before = level[kept[np.maximum(where - 1, 0)]]
    after = level[kept[np.minimum(where + 1, kept.size - 1)]]
    first = before + (after - before) / 3.0
    second = before + 2.0 * (after - before) / 3.0
    trend = first / (first + second)
    share[inside] = 0.5 + MISSED_SPLIT_TREND_WEIGHT * (trend[inside] - 0.5)
    return share


def _unmeasured(kind: Int8Array) -> BoolArray:
    """For each successive difference ``nn[k] - nn[k - 1]`` (k = 1 ...), True when it is not
    taken as a measured beat-to-beat difference.

    A difference between two measured intervals is measured (a merge of two measured parts is
    one real interval). One that touches an interpolated interval is not. The two parts of a
    split missed beat, and of a premature-compensatory pair that keeps its sum (with a full
    compensatory pause, see :func:`_correct_once`), are estimates whose sum is measured. The
    difference between them is no measurement (an even split makes it 0 by construction,
    interpolation the local trend); each outer difference, from a measured interval to the
    neighbouring part, is kept. With the sum fixed, an error ``e`` in the first part enters
    each outer difference once and the inner one twice, with the opposite sign, on top of the
    inner one's own beat-to-beat change, which no estimate has. Leaving the outer ones out too
    (three differences per artifact) costs more in sampling error than they add in bias
    (:data:`MISSED_SPLIT_TREND_WEIGHT` keeps that small). Measured with
    benchmarks/artifact_validation.py, worst of 10 seeds: with all three left out, RMSSD
    -2.25 % with 3 % missed or ectopic beats in systole's Task1 ECG and +2.34 % with 5 % ectopic
    beats in the NSR hour; with the inner one only, -0.87 % (missed), -1.55 % (ectopic) and
    -1.80 %.

    The Task Force (1996) defines RMSSD over adjacent normal intervals; Peltola (2012, Front
    Physiol 3:148) reviews the editing methods: interpolated beats are smoother than the ones
    they replace, while deleting a few edited beats leaves the time-domain indices nearly
    unbiased. Lipponen & Tarvainen (2019) and Kubios compute the indices over the corrected
    series as a whole; leaving the unmeasured differences out is ours (issue 12).
    """
    before, after = kind[:-1], kind[1:]
    outer = ((before == _MEASURED) & np.isin(after, (_SPLIT_FIRST, _PAIR_FIRST))) | (
        np.isin(before, (_SPLIT_SECOND, _PAIR_SECOND)) & (after == _MEASURED)
    )
    out: BoolArray = ((before != _MEASURED) | (after != _MEASURED)) & ~outer
    return out


def _sum_keeping_pairs(replace: BoolArray) -> IntArray:
    """Starts of the runs of exactly two intervals in ``replace``."""
    edges = np.diff(np.concatenate(([0], replace.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    pairs: IntArray = starts[stops - starts == 2].astype(np.intp)
    return pairs


def correct_rr(rr_ms: FloatArray, *, correct: bool = True) -> tuple[FloatArray, ArtifactReport]:
    """Leave out impossible intervals, detect artifacts and, when ``correct`` is True, correct them.

    Parameters
    ----------
    rr_ms : numpy.ndarray
        RR intervals in ms, float64, finite and positive (validated upstream).
    correct : bool, default True
        Apply the corrections. When False, the input within physiological bounds is returned
        uncorrected and the report still counts what one detection pass finds.

    Returns
    -------
    nn_ms : numpy.ndarray
        The NN series in ms: the input without the intervals outside ``MIN_RR_MS`` to
        ``MAX_RR_MS`` (with or without correction), then corrected when ``correct`` is True (its
        length changes by one per missed or extra beat). Always finite and positive; every value
        a heart can make. ``report.breaks`` says where intervals were left out.
    report : ArtifactReport
        Beats flagged and corrected, in total, as a percentage of the input, and by kind.

    Notes
    -----
    Intervals outside the physiological bounds (``MIN_RR_MS`` 200 ms, ``MAX_RR_MS`` 3000 ms) are
    artifacts, never indices: they are left out before detection, and the NN series joins the
    intervals around them. A successive difference across such a join is no beat-to-beat
    difference; :func:`successive_differences` leaves it out, as NeuroKit2 drops the differences
    across gaps in its interval series (``intervals_utils._intervals_successive``) and as the
    Task Force (1996) defines RMSSD over adjacent NN intervals only. Deleting rather than
    interpolating an impossible value follows Peltola (2012, Front Physiol 3:148): there is no
    real interval to interpolate for a dropout code, and deletion keeps the time-domain
    indices unbiased when few intervals go.

    Corrections (Lipponen & Tarvainen 2019; Kubios HRV): a missed beat splits the
    long interval in two, an extra beat merges the two intervals around it, ectopic, long and
    short beats are replaced by linear interpolation between the nearest good intervals; two
    flagged neighbours whose sum is what interpolation predicts (a premature beat and its
    compensatory pause) keep their sum and only the beat between them moves. The split of a
    missed beat leans halfway towards its neighbours' trend (:data:`MISSED_SPLIT_TREND_WEIGHT`).
    Each flag must clear a magnitude floor as well as the paper's adaptive threshold (see
    :data:`ECTOPIC_PREMATURE_FRACTION` and :func:`_require_magnitude`), so clean sinus rhythm
    with little variability is left alone.

    Which successive differences count (``report.breaks``; Task Force 1996, Peltola 2012): a
    merged extra beat is the real interval, so its differences are measured; differences that
    touch an interpolated interval are not; of the two parts of a split missed beat or of a
    sum-keeping premature pair, the difference between them is not (an even split makes it 0,
    interpolation the local trend), the two outer ones are kept (for a pair, when its pause
    compensates fully; see :func:`_unmeasured` for the measured trade-off of bias against
    sampling error).

    When the first pass flags more than :data:`ITERATE_ABOVE_PERCENT` (5 %) of the beats,
    detection is run again on the corrected series and its findings corrected, as NeuroKit2's
    iterative mode does, while each pass finds fewer artifacts than the one before (at most
    :data:`MAX_CORRECTION_PASSES` passes). With fewer artifacts one pass is applied, as in the
    paper: there, later passes mostly flag real sinus arrhythmia beside corrected beats. A beat
    flagged in several passes is counted once, under its first kind.

    References
    ----------
    Lipponen JA, Tarvainen MP (2019). A robust algorithm for heart rate variability time series
    artefact correction using novel beat classification. J Med Eng Technol 43(3):173-181.

    Examples
    --------
    >>> import numpy as np
    >>> clean = 800.0 + 50.0 * np.sin(np.arange(300) / 2.0)  # breathing-modulated, ms
    >>> rr = clean.copy()
    >>> rr[100] -= 200.0  # a premature beat: a short interval, then the compensatory pause
    >>> rr[101] += 200.0
    >>> nn, report = correct_rr(rr)
    >>> report.detected, report.by_type["short"], report.by_type["ectopic"], nn.size
    (2, 1, 1, 300)
    >>> float(np.abs(nn - clean).max()) < 5.0  # ms
    True
    """
    rr_all = np.asarray(rr_ms, dtype=np.float64)
    n_all = rr_all.size
    outside = out_of_range(rr_all)
    n_code = int(np.count_nonzero(invalid_code(rr_all)))
    inside = np.flatnonzero(~outside)
    # excluded_before[i]: input intervals left out before input interval i. Two output
    # intervals whose sources differ in it had an excluded interval between them.
    excluded_before = np.cumsum(outside, dtype=np.intp)
    in_range_breaks = _breaks(excluded_before, inside)
    before = _rmssd(successive_differences(rr_all[inside], in_range_breaks))
    if not correct:
        return rr_all[inside].copy(), _report(
            _detection_codes(rr_all[inside]),
            enabled=False,
            n_input=n_all,
            out_of_range=int(outside.sum()),
            invalid_code=n_code,
            rmssd_before=before,
            rmssd_after=before,
            breaks=in_range_breaks,
        )

    # With correction on, intervals that are too short take part in detection: most are the
    # parts of an interval split by a false detection, and merging them back (an extra beat)
    # restores the real interval; leaving one out would leave its partner as a short interval.
    # Too long ones (dropouts, invalid codes) are left out first. Whatever is still outside the
    # bounds after correction is left out then.
    first_out = rr_all > MAX_RR_MS
    kept = np.flatnonzero(~first_out)
    first_excluded = np.cumsum(first_out, dtype=np.intp)
    series = rr_all[kept]
    n = series.size
    codes = _detection_codes(series)
    # first_kind[i] is the kind under which kept interval i was first flagged (0 = never).
    first_kind = np.zeros(n, dtype=np.int8)
    origin = np.arange(n, dtype=np.intp)
    source = np.zeros(n, dtype=np.int8)
    iterate = np.count_nonzero(codes) > ITERATE_ABOVE_PERCENT / 100.0 * n
    passes = MAX_CORRECTION_PASSES if iterate else 1
    previous = n + 1
    for done in range(passes):
        count = int(np.count_nonzero(codes))
        if count == 0 or count >= previous:
            break
        flagged = np.flatnonzero(codes)
        # Both halves of a split interval map to the same input beat: keep the first flag.
        sources, first = np.unique(origin[flagged], return_index=True)
        fresh = first_kind[sources] == _NORMAL
        first_kind[sources[fresh]] = codes[flagged[first[fresh]]]
        series, origin, source = _correct_once(series, codes, origin, source)
        previous = count
        if done + 1 < passes:
            codes = _detection_codes(series)
    late_out = out_of_range(series)
    # An output left out now is counted as out of range unless its source was corrected.
    late_sources = np.unique(origin[late_out])
    n_late = int(np.count_nonzero(first_kind[late_sources] == _NORMAL))
    marker = first_excluded[kept[origin]] + np.cumsum(late_out, dtype=np.intp)
    series, marker = series[~late_out], marker[~late_out]
    source = source[~late_out]
    # A difference that is not measured is left out of the successive-difference indices like
    # one across a gap (the Task Force's RMSSD is over adjacent *normal* beats; Peltola 2012,
    # Front Physiol 3:148, on why deleting edited beats suits the time domain): one touching an
    # interpolated interval, and the one between the two parts of a split missed beat or of a
    # sum-keeping premature pair; the outer differences of those parts are kept (_unmeasured).
    # The estimated values stay in the series for the indices that need evenly spaced beats
    # (spectrum, DFA).
    touches = np.zeros(series.size, dtype=np.bool_)
    touches[1:] = _unmeasured(source)
    breaks = tuple(
        sorted(set(_breaks(marker, np.arange(series.size))) | set(np.flatnonzero(touches).tolist()))
    )
    return series, _report(
        first_kind,
        enabled=True,
        n_input=n_all,
        out_of_range=int(first_out.sum()) + n_late,
        invalid_code=n_code,
        rmssd_before=before,
        rmssd_after=_rmssd(successive_differences(series, breaks)),
        breaks=breaks,
    )


def out_of_range(rr_ms: FloatArray) -> BoolArray:
    """True where an interval is outside ``MIN_RR_MS`` to ``MAX_RR_MS``: no heart makes it.

    >>> out_of_range(np.array([150.0, 800.0, 3500.0, 65535.0])).tolist()
    [True, False, True, True]
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    return np.asarray((rr < MIN_RR_MS) | (rr > MAX_RR_MS), dtype=np.bool_)


def _breaks(excluded_before: IntArray, origin: IntArray) -> tuple[int, ...]:
    """Positions k of the output where an excluded interval lay between outputs k-1 and k:
    where the count of excluded intervals before each output's source changes."""
    if origin.size < 2:
        return ()
    count = excluded_before[origin]
    return tuple(int(k) + 1 for k in np.flatnonzero(np.diff(count) != 0))


def successive_differences(nn_ms: FloatArray, breaks: Sequence[int] = ()) -> FloatArray:
    """``nn[k] - nn[k - 1]`` for every k except the ``breaks`` (see :class:`ArtifactReport`).

    A difference across an interval left out is not a beat-to-beat difference, so it is
    dropped (NeuroKit2 does the same across gaps, ``intervals_utils._intervals_successive``).

    >>> successive_differences(np.array([800.0, 810.0, 900.0, 905.0]), (2,)).tolist()
    [10.0, 5.0]
    """
    nn = np.asarray(nn_ms, dtype=np.float64)
    diff = np.diff(nn)
    if len(breaks) and diff.size:
        keep = np.ones(diff.size, dtype=np.bool_)
        keep[np.asarray(breaks, dtype=np.intp) - 1] = False
        diff = diff[keep]
    return diff


def _rmssd(diff: FloatArray) -> float | None:
    """RMSSD in ms from successive differences (Task Force 1996); None without any."""
    if diff.size == 0:
        return None
    return float(np.sqrt(np.mean(diff * diff)))


def _report(
    codes: Int8Array,
    *,
    enabled: bool,
    n_input: int,
    out_of_range: int = 0,
    invalid_code: int = 0,
    rmssd_before: float | None = None,
    rmssd_after: float | None = None,
    breaks: tuple[int, ...] = (),
) -> ArtifactReport:
    counts = np.bincount(codes, minlength=len(ARTIFACT_KINDS) + 1)
    detected = int(counts[1:].sum())
    return ArtifactReport(
        enabled=enabled,
        detected=detected,
        corrected=detected if enabled else 0,
        percent=100.0 * detected / n_input if n_input else 0.0,
        by_type={kind: int(counts[code]) for code, kind in enumerate(ARTIFACT_KINDS, start=1)},
        out_of_range=out_of_range,
        invalid_code=invalid_code,
        rmssd_before=rmssd_before,
        rmssd_after=rmssd_after,
        breaks=breaks,
    )
