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

Sample entropy is counted with numpy alone (no compiler, nothing to build on a first run), exactly
by the cheaper of two counts: bit-parallel, 64 template pairs per word operation (up to
about 12 hours of any values; 2-3 ms on an hour), or over the pairs of distinct templates
within r in their first beat (periodic or repetitive series of any length, and 24 hours at a
strap's usual resolution, 1/128 s). When both would cost more than about 0.3 s (24 hours of
values that rarely repeat, or a million beats in two tight clusters), it is estimated from the
pairs among an evenly spaced subset of the templates, and said so in the warnings. See
``_match_counts``. (An earlier version compiled an exact count with numba on the first call:
2-3.6 s on a user's first run and about 145 MB of RSS, issue 12.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

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
#: The most pairs of distinct templates sample entropy checks one by one (about 0.3 s with
#: numpy): the exact count when it needs no more, an estimate from the pairs among an evenly
#: spaced subset of the templates when it would (see :func:`sample_entropy`). So the count's
#: cost is bounded whatever the values (issue 12: 4 MiB of RR text repeating four values took
#: 20 s; a million beats in two tight clusters took 60 s).
SAMPEN_EXACT_MAX_PAIRS: Final[int] = 20_000_000
#: Candidate pairs checked per numpy block: bounds the count's memory (about 20 MB).
_PAIR_BLOCK: Final[int] = 1 << 18
_REFERENCE_BLOCK_ELEMENTS: Final[int] = 1 << 21
#: The bit-parallel count (:func:`_match_counts_bitset`) builds its table of one bit per
#: (distinct value, position) for a chunk of positions at a time, of at most this many 64-bit
#: words (16 MiB; twice that at its peak, while it is transposed).
_BITSET_MAX_WORDS: Final[int] = 1 << 21
#: Words of template rows handled per numpy call in the bit-parallel count (512 KiB).
_BITSET_BLOCK_WORDS: Final[int] = 1 << 16
#: Below this many words to check (about 20 ms), the bit-parallel count runs without looking
#: at the window count's work; above, the cheaper of the two runs. A word (64 pairs) costs
#: about as much as one pair checked by the window count (15-20 ns with numpy, measured on
#: 1-3 hours), so they are compared one to one.
_BITSET_ALWAYS_WORDS: Final[int] = 1 << 20
#: The most words the bit-parallel count checks (about 0.3 s, as ``SAMPEN_EXACT_MAX_PAIRS``).
_BITSET_MAX_WORK: Final[int] = SAMPEN_EXACT_MAX_PAIRS


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


UInt64Array = npt.NDArray[np.uint64]
_POPCOUNT_BYTE: Final[npt.NDArray[np.uint8]] = np.array(
    [bin(byte).count("1") for byte in range(256)], dtype=np.uint8
)

#: ``numpy.bitwise_count`` (numpy >= 2.0), or None.
_BITWISE_COUNT: Final[Callable[[UInt64Array], npt.NDArray[np.uint8]] | None] = getattr(
    np, "bitwise_count", None
)


def _ones(match: UInt64Array, split: int) -> tuple[int, int]:
    """Set bits in ``match``: in its first ``split`` columns, and in the others."""
    if _BITWISE_COUNT is not None:
        ones = _BITWISE_COUNT(match)
    else:  # numpy 1.26: a table of the bits in each byte
        as_bytes = np.ascontiguousarray(match).view(np.uint8)
        ones = _POPCOUNT_BYTE[as_bytes].reshape((*match.shape, 8)).sum(axis=2, dtype=np.uint8)
    return int(np.sum(ones[:, :split], dtype=np.int64)), int(
        np.sum(ones[:, split:], dtype=np.int64)
    )


def _bitset_words(n_values: int, n_templates: int, m: int) -> tuple[int, int]:
    """``(columns of the bit table per chunk, words to check)`` of
    :func:`_match_counts_bitset`; 0 columns when not even one fits ``_BITSET_MAX_WORDS``."""
    words = (n_templates + 63) // 64
    columns = min(words, _BITSET_MAX_WORDS // (n_values + 1) - m // 64 - 1)
    return max(columns, 0), n_templates * (words + 1) // 2


def _match_counts_bitset(
    rank: IntArray, n_values: int, lo: IntArray, hi: IntArray, m: int, chunk: int
) -> tuple[int, int]:
    """Exactly ``(A, B)``, bit-parallel: 64 pairs per word operation, O(N² / 64) time.

    Row p of a bit table holds, for every position q, whether ``x[q]`` is within r of ``x[p]``
    (rank windows, so ties at r fall as in the reference): a prefix over the value ranks of
    one-hot rows, differenced at each window's ends. Template i matches template j at beat k
    when bit j + k of row i + k is set, so row i + k shifted by k bits, ANDed over k = 0..m,
    holds the matches of template i. The table is built for ``chunk`` words of positions at a
    time (its memory is bounded by ``_BITSET_MAX_WORDS``), and rows are handled in aligned
    blocks of 64 x b templates, each against the templates from its own first one on: the
    block's square holds each pair among its templates twice and each template once (itself),
    so about half of the table is read.
    """
    n_templates = rank.size - m
    n_words = (n_templates + 63) // 64
    lag_words = m // 64 + 1
    by_value = 2 * n_values < rank.size  # then difference the prefix once per value
    if not by_value:
        lo_of = lo[rank]
        hi_of = hi[rank] + 1
    rows_per_block = max(64, (_BITSET_BLOCK_WORDS // (chunk + lag_words)) // 64 * 64)
    inside = [0, 0]  # set bits in the blocks' squares, for (A, B)
    outside = [0, 0]
    for first in range(0, n_words, chunk):
        last = min(first + chunk, n_words)
        width = last - first + lag_words
        # prefix[v + 1]: the positions in this chunk whose value rank is at most v, one bit
        # each (no two rows share a bit, so the sum of the one-hot rows is their union).
        positions = np.arange(64 * first, min(64 * (first + width), rank.size))
        local = positions - 64 * first
        onehot = np.zeros((width, n_values + 1), dtype=np.uint64)
        np.add.at(
            onehot,
            (local >> 6, rank[positions] + 1),
            np.left_shift(np.uint64(1), (local & 63).astype(np.uint64)),
        )
        np.bitwise_or.accumulate(onehot, axis=1, out=onehot)
        prefix = np.ascontiguousarray(onehot.T)
        del onehot
        if by_value:
            prefix = prefix[hi + 1] ^ prefix[lo]
        for start in range(0, min(n_templates, 64 * last), rows_per_block):
            stop = min(start + rows_per_block, n_templates)
            n_rows = stop - start
            own = start >> 6  # the first word of the block's square
            column = max(own, first)
            n_cols = last - column
            band = slice(start, stop + m)
            if by_value:
                rows = prefix[rank[band], column - first :]
            else:
                rows = prefix[hi_of[band], column - first :]
                rows ^= prefix[lo_of[band], column - first :]
            match = rows[:n_rows, :n_cols].copy()
            if last == n_words and n_templates & 63:
                match[:, -1] &= np.uint64((1 << (n_templates & 63)) - 1)
            shifted = np.empty_like(match)
            carry = np.empty_like(match)
            split = min(max(own + (n_rows + 63) // 64 - column, 0), n_cols)
            for k in range(1, m + 1):
                if k == m:
                    ones = _ones(match, split)
                    inside[1] += ones[0]
                    outside[1] += ones[1]
                lag, bits = divmod(k, 64)
                source = rows[k : k + n_rows]
                if bits == 0:
                    match &= source[:, lag : lag + n_cols]
                    continue
                np.right_shift(source[:, lag : lag + n_cols], np.uint64(bits), out=shifted)
                np.left_shift(
                    source[:, lag + 1 : lag + 1 + n_cols], np.uint64(64 - bits), out=carry
                )
                shifted |= carry
                match &= shifted
            ones = _ones(match, split)
            inside[0] += ones[0]
            outside[0] += ones[1]
        del prefix  # before the next chunk's table is built
    count_a = outside[0] + (inside[0] - n_templates) // 2
    count_b = outside[1] + (inside[1] - n_templates) // 2
    return count_a, count_b


def _within_r_windows(values: FloatArray, r: float) -> tuple[IntArray, IntArray]:
    """For sorted distinct ``values``, the index range ``[lo[a], hi[a]]`` of those within r of
    ``values[a]``, by the reference's own float test ``|v_b - v_a| <= r``.

    Rounded subtraction is monotone, so the set is contiguous; ``searchsorted`` on
    ``values + r`` (rounded differently) is only a first guess, corrected by whole steps until
    the test itself holds, so ties and values exactly r apart fall as in the reference. The
    test is symmetric (``fl(a - b) = -fl(b - a)``), so ``lo`` follows from ``hi``.
    """
    size = values.size
    top = size - 1
    hi = np.clip(np.searchsorted(values, values + r, side="right") - 1, 0, top)
    here = np.arange(size)
    while True:  # a few rounds at most: only values within a rounding of the edge move
        step_up = (hi < top) & (values[np.minimum(hi + 1, top)] - values <= r)
        step_down = values[hi] - values > r
        if not (step_up.any() or step_down.any()):
            break
        hi = hi + step_up - step_down
    hi = np.maximum(hi, here)  # |v - v| = 0 <= r
    lo = np.searchsorted(hi, here, side="left")
    return lo.astype(np.intp), hi.astype(np.intp)


def _distinct_templates(
    rank: IntArray, n_values: int, starts: IntArray, m: int
) -> tuple[list[IntArray], IntArray]:
    """The distinct (m+1)-beat templates starting at ``starts``, in rank space, with their
    multiplicities.

    Returns ``(columns, weights)``: ``columns[k][p]`` is the rank (among the sorted distinct
    values) of beat k of distinct template p, rows sorted by their ranks (the first beat
    first); ``weights[p]`` how many of the templates are template p. Identical templates are
    counted once with their multiplicity, so a periodic series of 1,000,000 beats has a
    handful of rows.
    """
    size = np.int64(n_values)
    if float(n_values) ** (m + 1) < 2.0**62:
        # One int64 key per template: its ranks as digits in base n_values.
        key = rank[starts].copy()
        for k in range(1, m + 1):
            key = key * size + rank[starts + k]
        distinct, weights = np.unique(key, return_counts=True)
        columns: list[IntArray] = []
        for _ in range(m + 1):
            columns.append(distinct % size)
            distinct = distinct // size
        columns.reverse()
    else:  # pragma: no cover - more than 2 million distinct values at m = 2
        stacked = np.stack([rank[starts + k] for k in range(m + 1)], axis=1)
        table, weights = np.unique(stacked, axis=0, return_counts=True)
        columns = [np.ascontiguousarray(table[:, k]) for k in range(m + 1)]
    return columns, weights.astype(np.int64)


def _ragged_pairs(first: IntArray, stop: IntArray) -> tuple[IntArray, IntArray]:
    """Every ``(k, q)`` with ``first[k] <= q < stop[k]``, flattened."""
    lengths = stop - first
    k = np.repeat(np.arange(first.size), lengths)
    offsets = np.cumsum(lengths) - lengths
    q = np.arange(int(lengths.sum())) - np.repeat(offsets - first, lengths)
    return k, q


def _count_window_pairs(
    columns: list[IntArray], weights: IntArray, lo: IntArray, hi: IntArray, stop: IntArray
) -> tuple[int, int]:
    """Weighted matches between each distinct template p and the next ones up to ``stop[p]``.

    The window holds only templates within r in the first beat; beats 1..m are checked as
    integer rank tests, so the count is exact. Work in blocks of about ``_PAIR_BLOCK`` pairs:
    memory stays bounded whatever the window sizes.
    """
    m = len(columns) - 1
    rows = np.arange(weights.size)
    ends = np.cumsum(stop - rows - 1)
    count_a = 0
    count_b = 0
    start_row = 0
    while start_row < rows.size:
        done = int(ends[start_row - 1]) if start_row else 0
        stop_row = int(np.searchsorted(ends, done + _PAIR_BLOCK, side="right"))
        stop_row = max(stop_row, start_row + 1)
        k, q = _ragged_pairs(rows[start_row:stop_row] + 1, stop[start_row:stop_row])
        k += start_row
        match = np.ones(q.size, dtype=bool)
        for d in range(1, m + 1):
            if d == m:
                pair_weight = weights[k] * weights[q]
                count_b += int(np.dot(pair_weight, match))
            own = columns[d][k]
            other = columns[d][q]
            match &= (other >= lo[own]) & (other <= hi[own])
        count_a += int(np.dot(pair_weight, match))
        start_row = stop_row
    return count_a, count_b


def _window_stops(first_column: IntArray, hi: IntArray) -> IntArray:
    """For distinct templates sorted by first beat, one past the last within r of each."""
    return np.searchsorted(first_column, hi[first_column], side="right")


def _pair_work(
    rank: IntArray, n_values: int, hi: IntArray, starts: IntArray, m: int
) -> tuple[list[IntArray], IntArray, IntArray, int]:
    """The distinct templates at ``starts``, their window stops and the number W of pairs of
    distinct templates the window count would check."""
    columns, weights = _distinct_templates(rank, n_values, starts, m)
    stop = _window_stops(columns[0], hi)
    work = int(np.sum(stop - np.arange(weights.size) - 1))
    return columns, weights, stop, work


def _counts_of(
    rank: IntArray, n_values: int, lo: IntArray, hi: IntArray, starts: IntArray, m: int
) -> tuple[int, int, int]:
    """Exact ``(A, B, W)`` among the templates at ``starts``, or ``(0, 0, W)`` when the W pairs
    of distinct templates to check exceed ``SAMPEN_EXACT_MAX_PAIRS``."""
    columns, weights, stop, work = _pair_work(rank, n_values, hi, starts, m)
    if work > SAMPEN_EXACT_MAX_PAIRS:
        return 0, 0, work
    same = int(np.sum(weights * (weights - 1) // 2))  # identical templates match at both lengths
    count_a, count_b = _count_window_pairs(columns, weights, lo, hi, stop)
    return count_a + same, count_b + same, work


def _match_counts_exact(x: FloatArray, r: float, m: int) -> tuple[int, int] | None:
    """Exactly the counts of ``_match_counts_reference``, with numpy, or ``None`` when they
    would be estimated (see :func:`_match_counts`).

    Values become ranks among the sorted distinct values, and "within r" a rank window found
    with the reference's own float test (:func:`_within_r_windows`), so every later test is
    an exact integer comparison. Identical templates are collapsed with their multiplicities
    (every pair among them matches: distance 0 <= r); distinct templates are sorted by their
    first beat, so the candidates of template p are the next ones up to the end of its window,
    each checked on beats 1..m (the window count). Its work is the number W of pairs of
    *distinct* templates within r in the first beat, known before counting: about 1e6 on 24
    hours at 1/128 s resolution (78 distinct values), 0.11 x N^2 / 2 on values that never
    repeat, a few on a periodic series. The bit-parallel count
    (:func:`_match_counts_bitset`) checks every pair whatever the values, 64 at a time: about
    N^2 / 128 words, which cost about as much as W pairs of the window count do.
    """
    counts = _match_counts(x, r, m)
    return None if counts[2] is not None else (counts[0], counts[1])


def _match_counts(x: FloatArray, r: float, m: int) -> tuple[int, int, int | None]:
    """``(A, B, None)`` counted exactly, or ``(A_S, B_S, |S|)`` counted exactly among an evenly
    spaced subset S of the templates when the whole count would check more than
    ``SAMPEN_EXACT_MAX_PAIRS`` pairs of distinct templates and more than ``_BITSET_MAX_WORK``
    words bit-parallel.

    Up to ``_BITSET_ALWAYS_WORDS`` words (about 11,000 beats, 20 ms), the bit-parallel count
    runs straight away (no need to find the distinct templates); above, the cheaper of it and
    the window count. Pairs among every s-th template are a systematic sample of all pairs,
    so ``A_S / B_S`` estimates ``A / B``; s grows (about as the square root of W / the budget)
    until the window count fits, so the cost is bounded whatever the values.
    """
    n_templates = x.size - m
    if n_templates < 2:
        return 0, 0, None
    values, inverse = np.unique(x, return_inverse=True)
    rank = inverse.astype(np.int64).ravel()
    lo, hi = _within_r_windows(values, r)
    chunk, bitset_work = _bitset_words(values.size, n_templates, m)
    bitset = chunk > 0 and bitset_work <= _BITSET_MAX_WORK
    if bitset and bitset_work <= _BITSET_ALWAYS_WORDS:
        return (*_match_counts_bitset(rank, values.size, lo, hi, m, chunk), None)
    starts = np.arange(n_templates)
    columns, weights, stop, work = _pair_work(rank, values.size, hi, starts, m)
    if bitset and (work > SAMPEN_EXACT_MAX_PAIRS or bitset_work <= work):
        return (*_match_counts_bitset(rank, values.size, lo, hi, m, chunk), None)
    if work <= SAMPEN_EXACT_MAX_PAIRS:
        same = int(np.sum(weights * (weights - 1) // 2))  # identical templates: both lengths
        count_a, count_b = _count_window_pairs(columns, weights, lo, hi, stop)
        return count_a + same, count_b + same, None
    stride = 1.0
    while work > SAMPEN_EXACT_MAX_PAIRS:
        stride = max(stride + 1.0, stride * 1.1 * math.sqrt(work / SAMPEN_EXACT_MAX_PAIRS))
        starts = np.unique((np.arange(0.0, n_templates, stride)).astype(np.int64))
        count_a, count_b, work = _counts_of(rank, values.size, lo, hi, starts, m)
    return count_a, count_b, int(starts.size)


def _reference_counts(x: FloatArray, r: float, m: int) -> tuple[int, int, int | None]:
    count_a, count_b = _match_counts_reference(x, r, m)
    return count_a, count_b, None


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


Counts = Callable[[FloatArray, float, int], tuple[int, int, int | None]]


def _sample_entropy_reason(
    x: FloatArray, m: int, r: float | None, counts: Counts
) -> tuple[float | None, Notice | None]:
    """SampEn and a notice: why it is undefined, or (with a value) that it was estimated."""
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
    count_a, count_b, n_ref = counts(x, tolerance, m)
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
    value = math.log(count_b / count_a)
    if n_ref is None:
        return value, None
    return value, Notice(
        "hrv.sampen_estimated",
        f"sampen: estimated from the template pairs among {n_ref} of the {x.size - m} "
        f"templates, evenly spread over the recording (the exact count would compare too "
        f"many pairs)",
        index="sampen",
        n_ref=n_ref,
        n_templates=int(x.size - m),
    )


def sample_entropy(rr_ms: FloatArray, m: int = SAMPEN_M, r: float | None = None) -> float | None:
    """Sample entropy, SampEn(m, r) (Richman & Moorman 2000, Am J Physiol 278:H2039-H2049).

    ``-ln(A / B)``: of the pairs of templates (runs of m beats) that match within r, the
    fraction that still match when extended by one beat. The first N-m templates are used for
    both lengths, a template is never compared with itself, and two templates match when every
    beat differs by at most r ms (Chebyshev distance ``<= r``, as NeuroKit2).

    Exact up to about 12 hours of any values (counted bit-parallel, 64 pairs at a time: 2-3 ms
    on an hour), and for series whose templates repeat, such as 24 hours at 1/128 s resolution
    (pyhrv's NSR series has 78 distinct values) or a periodic series of any length. Beyond (24
    hours at 1 ms resolution, whose templates rarely repeat), A / B is estimated from the pairs
    among an evenly spaced subset of the templates (within 0.005 of the exact value on a
    synthetic day), so that the cost stays bounded whatever the values; ``nonlinear_domain``
    warns when it is an estimate. The time is O(N log N) plus at most
    ``SAMPEN_EXACT_MAX_PAIRS`` pair checks or as many 64-bit words (a few tenths of a second);
    memory O(N) plus a bit table of at most 16 MiB.

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
    >>> round(sample_entropy(periodic), 3)  # 8 distinct templates, counted once each
    0.0
    """
    x = np.asarray(rr_ms, dtype=np.float64)
    return _sample_entropy_reason(x, m, r, _match_counts)[0]


def _sample_entropy_reference(
    rr_ms: FloatArray, m: int = SAMPEN_M, r: float | None = None
) -> float | None:
    """:func:`sample_entropy` counted by numpy brute force only, O(N²): for tests and checks."""
    x = np.asarray(rr_ms, dtype=np.float64)
    return _sample_entropy_reason(x, m, r, _reference_counts)[0]


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
                    f"{key}: undefined, needs at least {POINCARE_MIN_BEATS} RR intervals "
                    f"(got {x.size})",
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
        notes.append(reason if value is not None else _undefined("sampen", reason))
    return {key: out[key] for key in NONLINEAR_KEYS}
