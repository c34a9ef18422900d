"""Nonlinear HRV indices: Poincaré plot, detrended fluctuation analysis and sample entropy.

Conventions, chosen to match NeuroKit2 (``hrv_nonlinear``, ``fractal_dfa``, ``entropy_sample``)
where it follows the papers, so that the two agree to rounding error (tested):

- SD1 and SD2 are sample standard deviations (n-1) of the Poincaré plot rotated by 45 degrees
  (Brennan et al. 2001, IEEE Trans Biomed Eng 48:1342-1347).
- DFA (Peng et al. 1995, Chaos 5:82-87) integrates the mean-removed series, cuts it into
  non-overlapping boxes from the first beat on (the remainder at the end is left out), removes
  a least-squares line per box, and takes F(n) as the RMS of all residuals. Every box size in
  the range is used. NeuroKit2's ``hrv_nonlinear`` differs by design (50 % overlapping boxes,
  alpha1 over 4-11 beats), and its ``fractal_dfa`` drops boxes with (near-)zero residual; with
  ``overlap=False`` and no such box the two agree. See ``dfa_fluctuation``.
- Sample entropy (Richman & Moorman 2000, Am J Physiol 278:H2039-H2049) uses the same N-m
  templates for lengths m and m+1, the Chebyshev distance, no self-matches, and counts a match
  when the distance is *at most* r (as NeuroKit2, through scikit-learn's ``query_radius``;
  PhysioNet's ``sampen.c`` uses ``< r``, which differs only when a distance equals r exactly).
  r defaults to 0.2 x SDNN with the sample SD (n-1), as NeuroKit2's ``hrv_nonlinear``.

Sample entropy is computed exactly, also on 24-hour recordings, with a compiled (numba) count:
see ``_match_counts_fast``. numba is imported and the count compiled on the first call that
needs it, never on import, and short series (5 minutes) are counted with numpy alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Final

import numpy as np

from vagus.hrv._constants import DFA_ALPHA1_BEATS, DFA_ALPHA2_BEATS, SAMPEN_M, SAMPEN_R_FACTOR
from vagus.hrv._notices import Notice
from vagus.hrv._types import FloatArray, IntArray

#: Keys of :func:`nonlinear_domain`, in the order of the index registry.
NONLINEAR_KEYS: Final[tuple[str, ...]] = (
    "sd1",
    "sd2",
    "sd1_sd2",
    "poincare_area",
    "dfa_alpha1",
    "dfa_alpha2",
    "sampen",
)
#: SD1 and SD2 need two successive differences for a sample SD (n-1): three beats.
POINCARE_MIN_BEATS: Final[int] = 3
#: The smallest DFA box: a line through two points leaves no residual, so F(2) is always 0.
DFA_MIN_BOX_BEATS: Final[int] = 3
#: A standard deviation or fluctuation below this fraction of the mean RR interval is rounding
#: noise, not variability: the SD of a constant series computed in floating point comes out near
#: 1e-15 x its value, and no recording resolves RR to better than 1e-6 of an interval.
NUMERICAL_ZERO_REL: Final[float] = 1e-12
#: Below this many beats sample entropy is counted with numpy alone (brute force, about 25 ms at
#: 1000 beats): importing numba and loading its compiled count costs about 0.5 s, more than the
#: whole count of a 5-minute or 1-hour recording.
SAMPEN_FAST_MIN_BEATS: Final[int] = 1000
#: Memory bound of the numpy reference count: pair-comparison elements per block.
_REFERENCE_BLOCK_ELEMENTS: Final[int] = 1 << 21


# --- Poincaré plot -------------------------------------------------------------------------------
def _is_numerical_zero(value: float, scale_ms: float) -> bool:
    return value <= NUMERICAL_ZERO_REL * scale_ms


def poincare(rr_ms: FloatArray) -> dict[str, float | None]:
    """SD1, SD2, their ratio and the ellipse area of the Poincaré plot.

    The plot of each RR interval against the next, rotated by 45 degrees: SD1 is the SD across
    the line of identity (beat-to-beat variability), SD2 the SD along it (Brennan et al. 2001,
    IEEE Trans Biomed Eng 48:1342-1347). The same formulas as NeuroKit2's ``hrv_nonlinear``:
    ``SD1 = std((x[:-1] - x[1:]) / sqrt(2), ddof=1)``,
    ``SD2 = std((x[:-1] + x[1:]) / sqrt(2), ddof=1)``.

    Parameters
    ----------
    rr_ms : numpy.ndarray
        NN intervals in ms, oldest first.

    Returns
    -------
    dict
        ``sd1`` and ``sd2`` in ms, ``sd1_sd2`` (dimensionless) and ``poincare_area``
        (``pi * sd1 * sd2``, ms²). All ``None`` below 3 beats; ``sd1_sd2`` is ``None`` when
        SD2 is 0 (a constant series, or one alternating between two values). SDs below
        ``NUMERICAL_ZERO_REL`` x the mean interval are rounding noise and reported as 0.

    Examples
    --------
    >>> import numpy as np
    >>> out = poincare(np.array([800.0, 810.0, 790.0, 805.0, 795.0]))
    >>> round(out["sd1"], 2), round(out["sd2"], 2)
    (11.68, 4.45)
    """
    x = np.asarray(rr_ms, dtype=np.float64)
    if x.size < POINCARE_MIN_BEATS:
        return {"sd1": None, "sd2": None, "sd1_sd2": None, "poincare_area": None}
    scale = float(np.mean(x))
    sd1 = float(np.std((x[:-1] - x[1:]) / np.sqrt(2), ddof=1))
    sd2 = float(np.std((x[:-1] + x[1:]) / np.sqrt(2), ddof=1))
    sd1 = 0.0 if _is_numerical_zero(sd1, scale) else sd1
    sd2 = 0.0 if _is_numerical_zero(sd2, scale) else sd2
    return {
        "sd1": sd1,
        "sd2": sd2,
        "sd1_sd2": sd1 / sd2 if sd2 > 0.0 else None,
        "poincare_area": math.pi * sd1 * sd2,
    }


# --- Detrended fluctuation analysis --------------------------------------------------------------
def _check_box_sizes(sizes: IntArray) -> None:
    if sizes.size and int(np.min(sizes)) < DFA_MIN_BOX_BEATS:
        raise ValueError(
            f"box_sizes: expected at least {DFA_MIN_BOX_BEATS} beats per box (a line through "
            f"fewer points leaves no residual), got {int(np.min(sizes))}"
        )


def dfa_fluctuation(rr_ms: FloatArray, box_sizes: IntArray) -> FloatArray:
    """DFA fluctuation function F(n) for each box size n (Peng et al. 1995, Chaos 5:82-87).

    The series is integrated after removing its mean, ``y(k) = sum_{i<=k} (x_i - mean(x))``,
    and cut into ``len(x) // n`` non-overlapping boxes of n beats from the first beat on (the
    remainder at the end is left out). A least-squares line is removed from each box, and F(n)
    is the root mean square of all the residuals. Every box counts, also one with zero
    residual: NeuroKit2's ``fractal_dfa`` drops boxes whose residual variance is below 1e-8 of
    the largest (a guard for multifractal DFA), which changes F(4) of RR series quantised to a
    few ms, where four equal intervals in a row happen.

    Vectorised over the boxes of each size: centred sums per box and the closed-form slope, so
    that the 61 box sizes of alpha1 and alpha2 take a few ms on 100,000 beats.

    Parameters
    ----------
    rr_ms : numpy.ndarray
        NN intervals in ms, oldest first.
    box_sizes : numpy.ndarray of int
        Box sizes in beats, each at least ``DFA_MIN_BOX_BEATS`` (3).

    Returns
    -------
    numpy.ndarray
        F(n) in ms, one per box size; NaN for a box size longer than the series (no full box).

    Raises
    ------
    ValueError
        For a box size below 3 beats.

    Examples
    --------
    >>> import numpy as np
    >>> x = 800.0 + 10.0 * np.sin(np.arange(64))
    >>> dfa_fluctuation(x, np.array([4, 8, 16, 128])).round(2)
    array([3.02, 7.07, 7.34,  nan])
    """
    x = np.asarray(rr_ms, dtype=np.float64)
    sizes = np.asarray(box_sizes).astype(np.intp, copy=False).ravel()
    _check_box_sizes(sizes)
    fluctuation = np.full(sizes.shape, np.nan)
    if x.size == 0:
        return fluctuation
    profile = np.cumsum(x - np.mean(x))
    scratch = np.empty_like(profile)
    for k, n in enumerate(sizes.tolist()):
        n_boxes = x.size // n
        if n_boxes == 0:
            continue
        boxes = profile[: n_boxes * n].reshape(n_boxes, n)
        # Centred per box, the residual sum of squares is sum(yc^2) - (sum(t*yc))^2 / sum(t^2),
        # with t the centred beat number: no cancellation against the (large) profile level.
        # Matrix-vector products and one flat dot product: numpy's reductions along short rows
        # are several times slower.
        flat = scratch[: n_boxes * n]
        centred = flat.reshape(n_boxes, n)
        np.subtract(boxes, (boxes @ np.full(n, 1.0 / n))[:, None], out=centred)
        t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
        s_tt = n * (n * n - 1) / 12.0
        s_ty = centred @ t
        rss = float(flat @ flat) - float(s_ty @ s_ty) / s_tt
        fluctuation[k] = math.sqrt(max(rss, 0.0) / (n_boxes * n))
    return fluctuation


def _loglog_slope(sizes: IntArray, fluctuation: FloatArray) -> float:
    u = np.log(sizes.astype(np.float64))
    v = np.log(fluctuation)
    u = u - u.mean()
    return float(np.dot(u, v - v.mean()) / np.dot(u, u))


def _dfa_alpha_reason(
    x: FloatArray, min_box: int, max_box: int, fluctuation: FloatArray | None = None
) -> tuple[float | None, Notice | None]:
    """Alpha and, when it is undefined, why (for the warnings of ``nonlinear_domain``: a
    notice whose text is the reason, to follow "<index>: undefined, ")."""
    if min_box < DFA_MIN_BOX_BEATS or max_box <= min_box:
        raise ValueError(
            f"min_box, max_box: expected {DFA_MIN_BOX_BEATS} <= min_box < max_box, "
            f"got {min_box}, {max_box}"
        )
    if x.size < max_box:
        return None, Notice(
            "hrv.undefined.dfa_too_short",
            f"needs at least {max_box} beats for boxes of {min_box}-{max_box} beats (got {x.size})",
            min_box=min_box,
            max_box=max_box,
            n_beats=int(x.size),
        )
    sizes = np.arange(min_box, max_box + 1, dtype=np.intp)
    if fluctuation is None:
        fluctuation = dfa_fluctuation(x, sizes)
    floor = NUMERICAL_ZERO_REL * float(np.mean(x)) * sizes
    if np.any(fluctuation <= floor):
        return None, Notice(
            "hrv.undefined.dfa_flat",
            "the series has no fluctuation to fit (constant within the boxes)",
        )
    return _loglog_slope(sizes, fluctuation), None


def dfa_alpha(rr_ms: FloatArray, min_box: int, max_box: int) -> float | None:
    """DFA scaling exponent alpha over box sizes ``min_box..max_box`` (Peng et al. 1995).

    The least-squares slope of log F(n) against log n over every integer box size n in
    ``[min_box, max_box]`` (see :func:`dfa_fluctuation`). White noise gives 0.5, 1/f noise 1.0,
    a random walk 1.5; healthy resting heart rhythm has alpha1 (4-16 beats) near 1. Over boxes
    this short, linear detrending biases the estimate up a little: white noise gives about 0.58
    over 4-16 beats and 0.51 over 16-64 (Kantelhardt et al. 2001, Physica A 295:441-454; the
    same in NeuroKit2, which does not correct it either).

    Parameters
    ----------
    rr_ms : numpy.ndarray
        NN intervals in ms, oldest first.
    min_box, max_box : int
        Smallest and largest box size in beats, ``3 <= min_box < max_box``.

    Returns
    -------
    float or None
        Alpha (dimensionless). ``None`` when the series is shorter than ``max_box`` beats (no
        full box of that size) or has no fluctuation (F(n) = 0: constant RR).

    Raises
    ------
    ValueError
        For box sizes outside ``3 <= min_box < max_box``.

    Examples
    --------
    >>> import numpy as np
    >>> white = np.random.default_rng(0).normal(800.0, 50.0, 10_000)
    >>> round(dfa_alpha(white, 16, 64), 1)
    0.5
    """
    x = np.asarray(rr_ms, dtype=np.float64)
    return _dfa_alpha_reason(x, int(min_box), int(max_box))[0]


# --- Sample entropy ------------------------------------------------------------------------------
def _match_counts_reference(x: FloatArray, r: float, m: int) -> tuple[int, int]:
    """Template matches by brute force with numpy: the plain path the fast one is tested against.

    Returns ``(A, B)``: the number of unordered pairs ``i < j`` among the first ``N - m``
    templates that match at length m+1 (A) and at length m (B), a match meaning
    ``|x[i+k] - x[j+k]| <= r`` for every k. O(N²) time, memory bounded by blocks of rows.
    """
    n_templates = x.size - m
    if n_templates < 2:
        return 0, 0
    rows = max(1, _REFERENCE_BLOCK_ELEMENTS // n_templates)
    columns = np.arange(n_templates)
    count_a = 0
    count_b = 0
    for start in range(0, n_templates - 1, rows):
        stop = min(start + rows, n_templates - 1)
        match = columns[None, :] > np.arange(start, stop)[:, None]  # j > i: each pair once
        for k in range(m + 1):
            if k == m:
                count_b += int(np.count_nonzero(match))
            # Chebyshev distance <= r, coordinate by coordinate, the same float expression
            # |x[j+k] - x[i+k]| as the fast path.
            match &= np.abs(x[k : k + n_templates][None, :] - x[start + k : stop + k, None]) <= r
        count_a += int(np.count_nonzero(match))
    return count_a, count_b


def _match_counts_kernel(
    x: FloatArray, order: IntArray, r: float, m: int
) -> tuple[int, int]:  # pragma: no cover - runs compiled by numba; tested through its results
    """The exact match count of ``_match_counts_fast``, written for numba.

    1. Rank space. ``order`` sorts x. For each beat k, ``rank[k]`` is its position in sorted
       order and ``[lo[k], lo[k] + width[k]]`` the sorted positions of the beats within r of it,
       found by two pointers with the same float test ``|x[j] - x[k]| <= r`` as the reference.
       That set is contiguous because rounded subtraction is monotone, so from here on every
       comparison is an exact integer test, ties and values exactly r apart included.
    2. Templates sorted by their first value: the templates within r of template p in the first
       coordinate are exactly positions ``p+1..e`` (pairs counted once, at the smaller one).
    3. For each p, one pass over that window checks coordinates 1..m as unsigned integer range
       tests, ``uint32(rank - lo) <= width``, which LLVM vectorises (8 lanes on AVX2).

    The work is the number of template pairs within r in the first coordinate, about
    0.11 x N²/2 at r = 0.2 SD whatever the distribution; each costs a fraction of a ns.
    """
    n = x.shape[0]
    n_templates = n - m
    sorted_x = x[order]
    rank = np.empty(n, np.uint32)
    lo = np.empty(n, np.uint32)
    width = np.empty(n, np.uint32)
    first = 0
    last = 0
    for p in range(n):
        while sorted_x[p] - sorted_x[first] > r:
            first += 1
        last = max(last, p)
        while last + 1 < n and sorted_x[last + 1] - sorted_x[p] <= r:
            last += 1
        k = order[p]
        rank[k] = p
        lo[k] = first
        width[k] = last - first
    # Templates (starting beats 0..N-m-1) in the order of their first value.
    template = np.empty(n_templates, np.intp)
    count = 0
    for p in range(n):
        if order[p] < n_templates:
            template[count] = order[p]
            count += 1
    first_value = x[template]
    # Ranks of coordinates 1..m of each template, in that order; row d-1 holds coordinate d.
    ranks = np.empty((m, n_templates), np.uint32)
    for d in range(1, m + 1):
        for q in range(n_templates):
            ranks[d - 1, q] = rank[template[q] + d]
    ok = np.empty(n_templates, np.uint32)  # scratch for the general m
    count_a = 0
    count_b = 0
    end = 0
    for p in range(n_templates):
        end = max(end, p)
        while end + 1 < n_templates and first_value[end + 1] - first_value[p] <= r:
            end += 1
        if end == p:
            continue
        i = template[p]
        if m == 2:
            # The default, fused into one pass that LLVM vectorises.
            l1 = lo[i + 1]
            w1 = width[i + 1]
            l2 = lo[i + 2]
            w2 = width[i + 2]
            c1 = ranks[0, p + 1 : end + 1]
            c2 = ranks[1, p + 1 : end + 1]
            in_b = np.uint32(0)
            in_a = np.uint32(0)
            for q in range(c1.shape[0]):
                b = np.uint32(np.uint32(c1[q] - l1) <= w1)
                a = np.uint32(np.uint32(c2[q] - l2) <= w2)
                in_b = np.uint32(in_b + b)
                in_a = np.uint32(in_a + (b & a))
            count_b += int(in_b)
            count_a += int(in_a)
        else:
            size = end - p
            window = ok[:size]
            window[:] = 1
            for d in range(1, m):
                ld = lo[i + d]
                wd = width[i + d]
                cd = ranks[d - 1, p + 1 : end + 1]
                for q in range(size):
                    window[q] &= np.uint32(np.uint32(cd[q] - ld) <= wd)
            lm = lo[i + m]
            wm = width[i + m]
            cm = ranks[m - 1, p + 1 : end + 1]
            in_b = np.uint32(0)
            in_a = np.uint32(0)
            for q in range(size):
                in_b = np.uint32(in_b + window[q])
                in_a = np.uint32(in_a + (window[q] & np.uint32(np.uint32(cm[q] - lm) <= wm)))
            count_b += int(in_b)
            count_a += int(in_a)
    return count_a, count_b


@cache
def _compiled_kernel() -> Callable[[FloatArray, IntArray, float, int], tuple[int, int]]:
    """numba's compiled ``_match_counts_kernel``, built (or loaded from its cache) once."""
    import numba  # deferred: importing numba alone takes about 0.4 s

    kernel: Callable[[FloatArray, IntArray, float, int], tuple[int, int]] = numba.njit(
        cache=True, nogil=True, error_model="numpy"
    )(_match_counts_kernel)
    return kernel


def _match_counts_fast(x: FloatArray, r: float, m: int) -> tuple[int, int]:
    """Exactly the counts of ``_match_counts_reference``, in O(N log N + W) compiled time.

    W is the number of template pairs within r in the first coordinate (about 6e8 on 100,000
    beats at r = 0.2 SD), each checked in a fraction of a ns; see ``_match_counts_kernel``.
    """
    if x.size - m < 2:
        return 0, 0
    if x.size >= 1 << 31:
        raise ValueError("sample entropy: at most 2**31 beats")  # uint32 ranks
    # One compiled signature: C-contiguous, writeable float64 (numba compiles a read-only
    # array, e.g. from np.load(mmap_mode="r"), as a new type: seconds for nothing).
    x = np.require(x, np.float64, ["C", "W"])
    order = np.require(np.argsort(x, kind="stable"), np.intp, ["C", "W"])
    count_a, count_b = _compiled_kernel()(x, order, float(r), int(m))
    return int(count_a), int(count_b)


def _match_counts(x: FloatArray, r: float, m: int) -> tuple[int, int]:
    if x.size < SAMPEN_FAST_MIN_BEATS:
        return _match_counts_reference(x, r, m)
    return _match_counts_fast(x, r, m)


def _tolerance(x: FloatArray, r: float | None) -> float | None:
    if r is None:
        # NeuroKit2's hrv_nonlinear: tolerance = 0.2 * np.std(rri, ddof=1).
        return SAMPEN_R_FACTOR * float(np.std(x, ddof=1)) if x.size >= 2 else None
    r = float(r)
    if not (math.isfinite(r) and r >= 0.0):
        raise ValueError(f"r: expected a finite tolerance >= 0 ms, got {r}")
    return r


def _check_m(m: int) -> int:
    if int(m) != m or m < 1:
        raise ValueError(f"m: expected an embedding dimension >= 1, got {m}")
    return int(m)


def _sample_entropy_reason(
    x: FloatArray, m: int, r: float | None, counts: Callable[..., tuple[int, int]]
) -> tuple[float | None, Notice | None]:
    m = _check_m(m)
    tolerance = _tolerance(x, r)
    if tolerance is None or x.size - m < 2:
        return None, Notice(
            "hrv.undefined.sampen_too_short",
            f"needs at least {m + 2} beats for m = {m} (got {x.size})",
            min_beats=m + 2,
            m=m,
            n_beats=int(x.size),
        )
    count_a, count_b = counts(x, tolerance, m)
    if count_b == 0:
        return None, Notice(
            "hrv.undefined.sampen_no_match",
            f"no two templates of {m} beats match within r = {tolerance:.3g} ms",
            beats=m,
            r_ms=float(tolerance),
        )
    if count_a == 0:
        return None, Notice(
            "hrv.undefined.sampen_infinite",
            f"no two templates of {m + 1} beats match within r = {tolerance:.3g} ms "
            "(the entropy would be infinite)",
            beats=m + 1,
            r_ms=float(tolerance),
        )
    # ln(B/A) = -ln(A/B), written so that A = B gives +0.0 rather than -0.0.
    return math.log(count_b / count_a), None


def sample_entropy(rr_ms: FloatArray, m: int = SAMPEN_M, r: float | None = None) -> float | None:
    """Sample entropy, SampEn(m, r) (Richman & Moorman 2000, Am J Physiol 278:H2039-H2049).

    ``-ln(A / B)``: of the pairs of templates (runs of m beats) that match within r, the
    fraction that still match when extended by one beat. The first N-m templates are used for
    both lengths, a template is never compared with itself, and two templates match when every
    beat differs by at most r ms (Chebyshev distance ``<= r``, as NeuroKit2).

    Exact, with no subsampling or approximation at any length: a 24-hour recording of 100,000
    beats takes about 0.1-0.2 s (compiled with numba; the first call in a process loads or
    compiles the count). Below ``SAMPEN_FAST_MIN_BEATS`` numpy counts alone.

    Parameters
    ----------
    rr_ms : numpy.ndarray
        NN intervals in ms, oldest first.
    m : int
        Template length in beats (embedding dimension), default 2.
    r : float, optional
        Tolerance in ms. Default ``0.2 * SD`` of the series (sample SD, n-1), as NeuroKit2's
        ``hrv_nonlinear``.

    Returns
    -------
    float or None
        SampEn (dimensionless, >= 0). ``None`` when A or B is 0 (fewer than m+2 beats, or no
        matches: the value would be undefined or infinite). A constant series gives 0.0: with
        r = 0 every pair of templates still matches (distance 0 <= 0), so A = B.

    Raises
    ------
    ValueError
        For ``m < 1`` or a negative or non-finite ``r``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([800.0, 820.0, 810.0, 800.0, 820.0, 810.0, 800.0, 820.0, 790.0, 810.0])
    >>> round(sample_entropy(x, m=2, r=5.0), 4)  # A = 3, B = 5 (see the tests)
    0.5108
    >>> t = np.arange(4000)
    >>> periodic = 800.0 + 50.0 * np.sin(2 * np.pi * t / 8.0)
    >>> round(sample_entropy(periodic), 3)  # 4000 beats: the compiled count
    0.0
    """
    x = np.asarray(rr_ms, dtype=np.float64)
    return _sample_entropy_reason(x, m, r, _match_counts)[0]


def _sample_entropy_reference(
    rr_ms: FloatArray, m: int = SAMPEN_M, r: float | None = None
) -> float | None:
    """:func:`sample_entropy` counted by numpy brute force only, O(N²): for tests and checks."""
    x = np.asarray(rr_ms, dtype=np.float64)
    return _sample_entropy_reason(x, m, r, _match_counts_reference)[0]


# --- The domain ----------------------------------------------------------------------------------
def _undefined(index: str, reason: Notice) -> Notice:
    """The warning that ``index`` is undefined, for ``reason`` (a notice of the reason alone)."""
    return Notice(reason.code, f"{index}: undefined, {reason}", index=index, **reason.fields)


def nonlinear_domain(
    rr_ms: FloatArray, warnings: list[str] | None = None
) -> dict[str, float | None]:
    """Every nonlinear index of an NN series, with reasons for those that are undefined.

    Poincaré SD1, SD2, SD1/SD2 and area (:func:`poincare`), DFA alpha1 (4-16 beats) and alpha2
    (16-64 beats) (:func:`dfa_alpha`), and sample entropy with m = 2, r = 0.2 SD
    (:func:`sample_entropy`). The DFA fluctuations are computed once for both exponents.

    Parameters
    ----------
    rr_ms : numpy.ndarray
        NN intervals in ms (validated, artifact-corrected), oldest first.
    warnings : list of str, optional
        One line is appended per undefined index, starting with the index name and a colon.

    Returns
    -------
    dict
        Keys ``sd1, sd2, sd1_sd2, poincare_area, dfa_alpha1, dfa_alpha2, sampen``; a finite
        float or ``None``, never NaN, and no exception on a short series (0 beats included).

    Examples
    --------
    >>> import numpy as np
    >>> notes: list[str] = []
    >>> out = nonlinear_domain(np.array([800.0, 810.0, 790.0, 805.0, 795.0]), notes)
    >>> round(out["sd1"], 2), out["dfa_alpha1"]
    (11.68, None)
    >>> str(notes[0])
    'dfa_alpha1: undefined, needs at least 16 beats for boxes of 4-16 beats (got 5)'
    """
    x = np.asarray(rr_ms, dtype=np.float64)
    notes = warnings if warnings is not None else []
    out: dict[str, float | None] = dict(poincare(x))
    if x.size < POINCARE_MIN_BEATS:
        for key in ("sd1", "sd2", "sd1_sd2", "poincare_area"):
            notes.append(
                Notice(
                    "hrv.undefined.too_few_beats",
                    f"{key}: undefined, needs at least {POINCARE_MIN_BEATS} beats (got {x.size})",
                    index=key,
                    min_beats=POINCARE_MIN_BEATS,
                    n_beats=int(x.size),
                )
            )
    elif out["sd1_sd2"] is None:
        notes.append(
            Notice(
                "hrv.undefined.sd2_zero",
                "sd1_sd2: undefined, SD2 is 0 (no variability along the line of identity)",
                index="sd1_sd2",
            )
        )

    low, high = (
        min(DFA_ALPHA1_BEATS[0], DFA_ALPHA2_BEATS[0]),
        max(DFA_ALPHA1_BEATS[1], DFA_ALPHA2_BEATS[1]),
    )
    sizes = np.arange(low, high + 1, dtype=np.intp)
    fluctuation = dfa_fluctuation(x, sizes)
    for key, (min_box, max_box) in (
        ("dfa_alpha1", DFA_ALPHA1_BEATS),
        ("dfa_alpha2", DFA_ALPHA2_BEATS),
    ):
        part = fluctuation[min_box - low : max_box - low + 1]
        value, reason = _dfa_alpha_reason(x, min_box, max_box, part)
        out[key] = value
        if reason is not None:
            notes.append(_undefined(key, reason))

    value, reason = _sample_entropy_reason(x, SAMPEN_M, None, _match_counts)
    out["sampen"] = value
    if reason is not None:
        notes.append(_undefined("sampen", reason))
    return {key: out[key] for key in NONLINEAR_KEYS}
