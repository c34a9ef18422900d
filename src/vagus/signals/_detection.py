"""The result of a beat detector, and the checks every raw signal passes before detection.

Shared by :mod:`vagus.signals.ecg` and :mod:`vagus.signals.ppg`. Pure numpy; nothing here
touches the file system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from vagus.hrv import RrDataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Half-open sample ranges ``[start, stop)``.
Ranges = list[tuple[int, int]]


def _empty_offsets() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


@dataclass(frozen=True)
class BeatDetection:
    """Beats found in a raw ECG or PPG signal, and the stretches that could not be used.

    Attributes
    ----------
    peaks : numpy.ndarray of intp
        Sample index of each beat (R peak for ECG, systolic peak for PPG), strictly increasing.
    fs_hz : float
        Sampling rate of the signal the indices refer to, in Hz.
    unusable : list of (int, int)
        Half-open sample ranges ``[start, stop)`` judged unusable (not-a-number samples, flat
        line, clipping, noise), sorted and disjoint. No beat lies inside one.
    warnings : list of str
        What the reader should know: how much of the signal was unusable and why; for PPG, that
        pulse-rate variability is not heart-rate variability.
    offsets : numpy.ndarray of float64
        Sub-sample position of each beat relative to ``peaks``, in samples (within +-0.5), from a
        parabola through the peak sample and its two neighbours. It keeps beat times precise at
        low sampling rates (at 125-130 Hz one sample is 8 ms, as large as the beat-to-beat
        differences RMSSD measures). Empty means all zero.

    Examples
    --------
    >>> import numpy as np
    >>> d = BeatDetection(np.array([100, 350, 600, 2000, 2250]), 250.0, [(700, 1900)], [])
    >>> d.times_s
    array([0.4, 1.4, 2.4, 8. , 9. ])
    >>> d.rr_ms()  # the 5.6 s across the unusable range is left out
    array([1000., 1000., 1000.])
    """

    peaks: IntArray
    fs_hz: float
    unusable: Ranges
    warnings: list[str]
    offsets: FloatArray = field(default_factory=_empty_offsets, repr=False)

    @property
    def times_s(self) -> FloatArray:
        """Time of each beat from the first sample, in s (sub-sample precise)."""
        position = np.asarray(self.peaks, dtype=np.float64)
        if self.offsets.size:
            position = position + self.offsets
        return position / float(self.fs_hz)

    def rr_ms(self) -> FloatArray:
        """Intervals between consecutive beats in ms, leaving out every interval that spans an
        unusable range (so no invented beats and no 10-second 'intervals' across a gap).

        Returns
        -------
        numpy.ndarray of float64
            One value per pair of consecutive beats with no unusable sample between them, in ms.
        """
        times_ms = self.times_s * 1000.0
        if times_ms.size < 2:
            return np.zeros(0, dtype=np.float64)
        intervals = np.diff(times_ms)
        if not self.unusable:
            return intervals
        starts, stops = _range_arrays(self.unusable)
        peaks = np.asarray(self.peaks, dtype=np.intp)
        before, after = peaks[:-1], peaks[1:]
        # Ranges are sorted and disjoint, so their stops increase too: the last range that starts
        # before the later beat is the only candidate for reaching past the earlier one.
        last = np.searchsorted(starts, after, side="left") - 1
        spans = (last >= 0) & (stops[np.maximum(last, 0)] > before)
        return np.asarray(intervals[~spans], dtype=np.float64)


def _range_arrays(ranges: Ranges) -> tuple[IntArray, IntArray]:
    """Sorted, merged start and stop arrays of a list of half-open ranges."""
    if not ranges:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty.copy()
    array = np.asarray(ranges, dtype=np.intp).reshape(-1, 2)
    return merge_ranges(array[:, 0], array[:, 1])


def merge_ranges(starts: IntArray, stops: IntArray, min_gap: int = 0) -> tuple[IntArray, IntArray]:
    """Union of half-open ranges; ranges separated by fewer than ``min_gap`` samples are joined.

    >>> merge_ranges(np.array([10, 0, 30]), np.array([20, 5, 40]), min_gap=6)
    (array([ 0, 30]), array([20, 40]))
    """
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return starts.astype(np.intp), stops.astype(np.intp)
    order = np.argsort(starts, kind="stable")
    starts, stops = starts[order], np.maximum.accumulate(stops[order])
    # A new range begins where the gap after everything before it reaches min_gap (a gap of zero
    # means the ranges touch).
    new = np.ones(starts.size, dtype=bool)
    new[1:] = starts[1:] - stops[:-1] >= max(min_gap, 1)
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, starts.size - 1)
    return starts[first].astype(np.intp), stops[last].astype(np.intp)


def to_list(starts: IntArray, stops: IntArray) -> Ranges:
    """Range arrays as the public list of ``(start, stop)`` tuples of plain ints."""
    return [(int(a), int(b)) for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]


def inside(indices: IntArray, starts: IntArray, stops: IntArray) -> BoolArray:
    """Which sample indices fall inside one of the sorted, disjoint half-open ranges."""
    if starts.size == 0:
        return np.zeros(indices.shape, dtype=bool)
    last = np.searchsorted(starts, indices, side="right") - 1
    return np.asarray((last >= 0) & (indices < stops[np.maximum(last, 0)]), dtype=bool)


# --- input checks ---------------------------------------------------------------------------------

#: Shortest signal a detector accepts: the adaptive thresholds of both detectors learn from the
#: first 2 s (sleepecg's learning phase 1; Elgendi's 667 ms beat window), so 3 s is the least
#: that can hold an RR interval after learning.
MIN_SIGNAL_S: Final[float] = 3.0


def validate_signal(
    signal: npt.ArrayLike,
    fs_hz: float,
    *,
    what: str,
    fs_range_hz: tuple[float, float],
    source: str | None,
) -> tuple[FloatArray, float]:
    """A raw signal as a 1-D float64 array with a valid sampling rate, or RrDataError.

    NaN and infinite samples are allowed (they become unusable ranges), as long as some samples
    are finite. The array is not copied when it already is float64.
    """
    name = source or what
    low, high = fs_range_hz
    if isinstance(fs_hz, bool) or not isinstance(fs_hz, int | float | np.integer | np.floating):
        raise RrDataError(
            f"{name}: expected the sampling rate in Hz as a number, got {type(fs_hz).__name__}"
        )
    fs = float(fs_hz)
    if not math.isfinite(fs) or not low <= fs <= high:
        raise RrDataError(
            f"{name}: expected a sampling rate between {low:g} and {high:g} Hz for {what}, "
            f"got {fs_hz!r} Hz"
        )
    try:
        array = np.asarray(signal)
    except (TypeError, ValueError) as error:  # ragged nested lists
        raise RrDataError(f"{name}: expected a 1-D array of samples ({error})") from None
    if array.ndim != 1:
        raise RrDataError(
            f"{name}: expected a 1-D array of samples (one channel), got shape {array.shape}"
        )
    if array.dtype.kind not in "biuf":
        raise RrDataError(
            f"{name}: expected real numbers as samples, got values of type {array.dtype}"
        )
    samples = np.asarray(array, dtype=np.float64)
    shortest = math.ceil(MIN_SIGNAL_S * fs)
    if samples.size < shortest:
        raise RrDataError(
            f"{name}: expected at least {MIN_SIGNAL_S:g} s of signal ({shortest} samples at "
            f"{fs:g} Hz), got {samples.size} samples"
        )
    if not np.isfinite(samples).any():
        raise RrDataError(f"{name}: every sample is NaN or infinite; expected measured values")
    return samples, fs
