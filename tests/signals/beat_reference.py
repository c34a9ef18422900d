"""Reference data types and EC57 beat matching for the signal tests (imported by conftest.py
and the test modules; the name is unique so that pytest's rootdir imports cannot clash)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.signal

from vagus.signals._detection import FloatArray, IntArray


@dataclass(frozen=True)
class Record:
    ecg: FloatArray  # mV
    fs_hz: float
    beats: IntArray  # reference beat samples
    symbols: tuple[str, ...]

    def resampled(self, fs_hz: float) -> FloatArray:
        """The ECG resampled to ``fs_hz`` with scipy's polyphase filter."""
        ratio = Fraction(int(fs_hz), int(self.fs_hz))
        if ratio == 1:
            return self.ecg
        return np.asarray(
            scipy.signal.resample_poly(self.ecg, ratio.numerator, ratio.denominator),
            dtype=np.float64,
        )

    @property
    def beat_times_s(self) -> FloatArray:
        return self.beats / self.fs_hz


@dataclass(frozen=True)
class EcgPpg:
    ecg: FloatArray
    ppg: FloatArray
    fs_hz: float


def match(reference_s: FloatArray, detected_s: FloatArray, tolerance_s: float = 0.15) -> IntArray:
    """One-to-one matching of beat times as in ANSI/AAMI EC57 (150 ms window).

    Returns, for every reference beat, the index of its matched detection or -1. A pair matches
    when each is the other's nearest and they lie within the tolerance, so no detection counts
    twice.
    """
    if detected_s.size == 0 or reference_s.size == 0:
        return np.full(reference_s.size, -1, dtype=np.intp)
    nearest_detection = _nearest(detected_s, reference_s)
    nearest_reference = _nearest(reference_s, detected_s)
    mutual = nearest_reference[nearest_detection] == np.arange(reference_s.size)
    close = np.abs(detected_s[nearest_detection] - reference_s) <= tolerance_s
    return np.where(mutual & close, nearest_detection, -1).astype(np.intp)


def _nearest(sorted_times: FloatArray, queries: FloatArray) -> IntArray:
    right = np.clip(np.searchsorted(sorted_times, queries), 1, max(sorted_times.size - 1, 1))
    left = right - 1
    if sorted_times.size == 1:
        return np.zeros(queries.size, dtype=np.intp)
    pick_left = np.abs(queries - sorted_times[left]) <= np.abs(sorted_times[right] - queries)
    return np.where(pick_left, left, right).astype(np.intp)
