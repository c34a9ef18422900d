"""Decimation of signals sampled faster than a detector needs, and the way back to their rate.

ECG amplifiers record at 2048 Hz (BioSemi's default) or 4-16 kHz; the detectors are validated at
up to 1000 Hz (MIT-BIH 100 resampled to 125-1000 Hz in the tests), and nothing in an R peak or a
pulse wave needs more. A faster signal is decimated by the smallest integer factor that brings it
to at most 1000 Hz, with scipy's polyphase FIR (``resample_poly``: a Kaiser-windowed low-pass at
the new Nyquist frequency, its delay compensated, so decimated sample ``k`` is original sample
``k * factor``). The beats found are mapped back to the original rate with their sub-sample
position kept: a decimated beat at ``p + offset`` is the original beat at ``(p + offset) * factor``
(the parabola through the decimated peak and its neighbours interpolates between original
samples). Unusable ranges are mapped outwards, so nothing unusable becomes usable.

The checks that need exact sample values (flat line, clipping, not-a-number) run on the original
signal before decimation: a low-pass turns a flat line or a rail into values that are no longer
exactly equal.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import scipy.signal

from vagus.signals._detection import BeatDetection, BoolArray, FloatArray, IntArray
from vagus.signals._quality import Quality

#: The fastest rate a detector runs at: the highest rate the detectors are validated at.
DETECT_MAX_FS_HZ: Final[float] = 1000.0


def decimation_factor(fs_hz: float, max_fs_hz: float = DETECT_MAX_FS_HZ) -> int:
    """The smallest integer factor that brings ``fs_hz`` to at most ``max_fs_hz`` (1 if it is).

    >>> decimation_factor(360.0), decimation_factor(2048.0), decimation_factor(4000.0)
    (1, 3, 4)
    """
    return max(1, math.ceil(fs_hz / max_fs_hz - 1e-9))


def decimate(
    x: FloatArray, finite: BoolArray, scale: float, factor: int, quality: Quality
) -> tuple[FloatArray, BoolArray, float, Quality]:
    """The signal decimated by ``factor`` with an anti-alias FIR, its finite mask, its largest
    absolute value, and the quality ranges found so far in decimated samples (widened outwards).

    Not-a-number samples are bridged by the last finite value before filtering (the filter would
    spread one NaN over its whole length) and are NaN again afterwards at the decimated samples
    that fall on one; they lie in a not-a-number range already.
    """
    if not finite.all():
        last = np.where(finite, np.arange(x.size), 0)
        np.maximum.accumulate(last, out=last)
        x = x[last]
        x[: np.argmax(finite)] = x[np.argmax(finite)]
    # Scaled to at most 1 before filtering, so that values near the float64 limit cannot overflow.
    size = scale if scale > 0.0 else 1.0
    y = np.asarray(scipy.signal.resample_poly(x / size, 1, factor), dtype=np.float64) * size
    y_finite = finite[::factor][: y.size].copy()
    y[~y_finite] = np.nan
    y_scale = float(np.max(np.abs(y), where=y_finite, initial=0.0))
    decimated = Quality(y.size, quality.fs_hz / factor)
    for reason, (starts, stops) in quality.by_reason.items():
        decimated.add(reason, starts // factor, -(-stops // factor))
    return y, y_finite, y_scale, decimated


def to_original_rate(
    detection: BeatDetection, factor: int, n_samples: int, fs_hz: float
) -> BeatDetection:
    """A detection on the decimated signal, in samples of the original one (module docstring)."""
    if factor == 1:
        return detection
    position = np.asarray(detection.peaks, dtype=np.float64)
    if detection.offsets.size:
        position = position + detection.offsets
    position *= factor
    peaks: IntArray = np.clip(np.rint(position), 0, n_samples - 1).astype(np.intp)
    offsets = np.clip(position - peaks, -0.5, 0.5) + 0.0
    unusable = [(a * factor, min(b * factor, n_samples)) for a, b in detection.unusable]
    return BeatDetection(peaks, fs_hz, unusable, detection.warnings, offsets)
