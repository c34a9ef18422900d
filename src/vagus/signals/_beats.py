"""Beat-level checks shared by the ECG and PPG detectors: the typical beat, and the intervals in
which a beat is missing.

Pure numpy/scipy; loops run over groups of beats, never over samples or single beats.
"""

from __future__ import annotations

import itertools
from typing import Final

import numpy as np
import scipy.ndimage

from vagus.signals._detection import BoolArray, FloatArray, IntArray, inside, merge_ranges

#: Pan & Tompkins (1985, IEEE Trans Biomed Eng 32(3):230-236, "RR interval limits"): an interval
#: longer than 166 % of the usual one has a beat missing in it. The usual interval here is the
#: running median of 9 usable intervals (robust to the long interval itself and to a neighbour).
MISSED_BEAT_RR_RATIO: Final[float] = 1.66
USUAL_RR_INTERVALS: Final[int] = 9
#: Rounds of :func:`missed_beat_gaps` (see there).
MISSED_BEAT_ROUNDS: Final[int] = 5
#: The reason given for intervals in which a beat is missing.
MISSED: Final[str] = "intervals with a missed beat (about twice the usual length)"


def valid_intervals(
    beats: IntArray, starts: IntArray, stops: IntArray
) -> tuple[IntArray, IntArray]:
    """Indices ``i`` of the intervals ``beats[i] -> beats[i + 1]`` that are usable (neither beat in
    an unusable range, no range between them), and their lengths in samples.

    >>> valid_intervals(np.array([0, 10, 20, 45, 55]), np.array([25]), np.array([30]))
    (array([0, 1, 3]), array([10, 10, 10]))
    """
    if beats.size < 2:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty.copy()
    usable = ~inside(beats, starts, stops)
    before, after = beats[:-1], beats[1:]
    ok = usable[:-1] & usable[1:]
    if starts.size:
        last = np.searchsorted(starts, after, side="left") - 1
        ok &= ~((last >= 0) & (stops[np.maximum(last, 0)] > before))
    index = np.flatnonzero(ok).astype(np.intp)
    return index, (after - before)[index].astype(np.intp)


def long_intervals(beats: IntArray, starts: IntArray, stops: IntArray) -> IntArray:
    """Indices ``i`` of the usable intervals ``beats[i] -> beats[i + 1]`` longer than
    :data:`MISSED_BEAT_RR_RATIO` times the running median of the usable intervals around them.

    >>> beats = np.cumsum([0] + [100] * 6 + [200] + [100] * 6)
    >>> none = np.zeros(0, dtype=np.intp)
    >>> long_intervals(beats, none, none)
    array([6])
    """
    index, lengths = valid_intervals(beats, starts, stops)
    if index.size < 3:
        return np.zeros(0, dtype=np.intp)
    usual = scipy.ndimage.median_filter(
        lengths.astype(np.float64), USUAL_RR_INTERVALS, mode="mirror"
    )
    return np.asarray(index[lengths > MISSED_BEAT_RR_RATIO * usual], dtype=np.intp)


def missed_beat_gaps(
    peaks: IntArray, starts: IntArray, stops: IntArray
) -> tuple[IntArray, IntArray]:
    """The ranges strictly between the two beats of every long interval: from two samples after
    the first beat to one before the second, so that no beat falls inside one, also after the
    ranges are scaled back to a faster original rate (:mod:`vagus.signals._decimate`).

    Repeated until none is left (at most a few rounds): with the long intervals out of the
    running median, the usual interval is shorter, and a long interval that sat among others
    (several missed beats close together) stands out in the next round.
    """
    gap_starts = np.zeros(0, dtype=np.intp)
    gap_stops = gap_starts.copy()
    for _ in range(MISSED_BEAT_ROUNDS):
        long = long_intervals(peaks, starts, stops)
        long = long[peaks[long + 1] - peaks[long] > 3]
        if long.size == 0:
            break
        new_starts, new_stops = peaks[long] + 2, peaks[long + 1] - 1
        gap_starts = np.concatenate([gap_starts, new_starts])
        gap_stops = np.concatenate([gap_stops, new_stops])
        starts, stops = merge_ranges(
            np.concatenate([starts, new_starts]), np.concatenate([stops, new_stops])
        )
    return merge_ranges(gap_starts, gap_stops)


def template_correlation(
    windows: FloatArray, searched: BoolArray, least: float, group_beats: int
) -> FloatArray:
    """Pearson correlation of every beat window with the typical window of its group of beats.

    The windows are normalised to unit length, so every beat weighs the same and a tall
    artefact cannot take over the template. The template is averaged twice: over all beats of
    the group, then over those that correlate with that first average at ``least`` or more, so
    that false beats in a noise burst (which the detector aligns on noise peaks, and which
    therefore do not cancel out) cannot drag the template away from the real beats. Beats marked
    ``searched`` (found by a search-back) are compared with the template but not part of it.
    Groups hold about ``group_beats`` consecutive beats.
    """
    centred = windows - windows.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1)
    centred /= np.where(norms > 0.0, norms, 1.0)[:, None]
    n_groups = max(1, windows.shape[0] // group_beats)
    bounds = np.linspace(0, windows.shape[0], n_groups + 1).astype(np.intp).tolist()
    correlation = np.zeros(windows.shape[0])
    for low, high in itertools.pairwise(bounds):  # a loop over groups, not beats
        group = centred[low:high]
        own = ~searched[low:high]
        first = _correlate(group, group[own].sum(axis=0))
        typical = ((first >= least) & own).astype(np.float64)
        correlation[low:high] = _correlate(group, typical @ group)
    return correlation


def _correlate(unit_rows: FloatArray, template: FloatArray) -> FloatArray:
    """Pearson correlation of centred unit-length rows with a template (0 for a zero template)."""
    template = template - template.mean()
    size = float(np.linalg.norm(template))
    if size == 0.0:
        return np.zeros(unit_rows.shape[0])
    return np.asarray(unit_rows @ (template / size), dtype=np.float64)
