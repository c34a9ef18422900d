"""Systolic peaks from a raw photoplethysmogram (PPG), after Elgendi et al. 2013.

Elgendi M, Norton I, Brearley M, Abbott D, Schuurmans D. Systolic peak detection in
acceleration photoplethysmograms measured from emergency responders in tropical conditions.
PLoS ONE 2013;8(10):e76585. https://doi.org/10.1371/journal.pone.0076585

On each usable stretch (quality as for ECG, without the ECG-specific noise checks):

1. zero-phase second-order Butterworth band-pass, 0.5-8 Hz (the paper's filter), giving ``y``;
2. ``z = y**2`` where ``y > 0``, else 0 (the systolic waves, squared to stress them);
3. two centred moving averages of ``z``: ``MA_peak`` over W1 = 111 ms (a systolic peak) and
   ``MA_beat`` over W2 = 667 ms (a beat);
4. blocks of interest where ``MA_peak > MA_beat + alpha``, with the offset
   ``alpha = beta * mean(z)`` and beta = 0.02;
5. blocks shorter than W1 are dropped (the paper's second threshold);
6. the systolic peak is the maximum of ``y`` in each block; a parabola through it and its
   neighbours gives the sub-sample time (:attr:`BeatDetection.offsets`), which matters at the
   25-64 Hz that wearables sample PPG at.

The quality checks: not-a-number samples, a flat line (the same value for >= 1 s; the pyphysio
recording at 2048 Hz holds a value for at most 40 ms) and clipping (>= 100 ms at the recording's
own minimum or maximum: a saturated sensor; a smooth pulse passes its top in well under that).
Unusable stretches are widened by 300 ms (about half a pulse wave), usable stretches shorter
than 3 s between them are joined in (they hold at most a couple of intervals, and the filter and
the 667 ms beat window need room), and peaks within 300 ms of either end of the recording are
dropped (often a cut-off wave: at the end, the dicrotic wave of the last pulse).

Every result warns that PPG-derived HRV is pulse-rate variability: the pulse wave reaches the
finger or wrist after a transit time that itself varies with breathing and blood pressure, so at
rest PPG reads RMSSD and high-frequency power higher than ECG does (Schäfer & Vagedes 2013,
Int J Cardiol 166(1):15-29).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.ndimage
import scipy.signal

from vagus.hrv._notices import Notice
from vagus.signals._detection import (
    BeatDetection,
    FloatArray,
    IntArray,
    inside,
    to_list,
    validate_signal,
)
from vagus.signals._quality import basic_checks, long_runs, parabolic_offsets, usable_segments

#: Sampling rates accepted: 20 Hz keeps the 8 Hz band edge below the Nyquist frequency with
#: room to spare; wearables sample PPG at 25-64 Hz, laboratory systems at up to 2 kHz.
PPG_FS_RANGE_HZ: Final[tuple[float, float]] = (20.0, 2000.0)

#: Elgendi et al. 2013: band-pass, moving-average windows and offset factor.
BAND_HZ: Final[tuple[float, float]] = (0.5, 8.0)
FILTER_ORDER: Final[int] = 2
PEAK_WINDOW_S: Final[float] = 0.111
BEAT_WINDOW_S: Final[float] = 0.667
OFFSET_BETA: Final[float] = 0.02

FLAT_MIN_S: Final[float] = 1.0
CLIP_MIN_S: Final[float] = 0.1
MARGIN_S: Final[float] = 0.3
MIN_SEGMENT_S: Final[float] = 3.0

PRV_WARNING: Final[str] = Notice(
    "signals.prv",
    "PPG: these are pulse intervals, not heartbeats; HRV from PPG is pulse-rate variability, "
    "which at rest reads RMSSD and high-frequency power higher than ECG does (Schäfer & Vagedes "
    "2013, Int J Cardiol 166:15-29); use an ECG chest strap when exact values matter",
)


def detect_ppg_beats(
    ppg: npt.ArrayLike, fs_hz: float, *, source: str | None = None
) -> BeatDetection:
    """Find the systolic peaks of a raw PPG (Elgendi et al. 2013), leaving out bad stretches.

    Parameters
    ----------
    ppg : array_like
        One PPG channel, any unit, larger values for more blood volume (the usual orientation
        of BVP and PPG exports); NaN or infinite samples mark gaps.
    fs_hz : float
        Sampling rate in Hz, 20-2000.
    source : str, optional
        Name of the input (a file name) to start error messages with; default "PPG".

    Returns
    -------
    BeatDetection
        Systolic-peak sample indices with sub-sample offsets, the unusable ranges, and warnings
        (always including that PPG gives pulse-rate variability).

    Raises
    ------
    RrDataError
        When the input is not a usable PPG array: not 1-D, not numbers, shorter than 3 s, every
        sample NaN, or a sampling rate outside 20-2000 Hz.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 20, 1 / 25)  # 25 Hz, as many wrist devices
    >>> pulse = np.sin(2 * np.pi * 0.6 * t) ** 8  # 72 pulses a minute
    >>> beats = detect_ppg_beats(pulse, 25)
    >>> len(beats.peaks), bool(abs(np.median(beats.rr_ms()) - 1000 / 1.2) < 1.0)
    (24, True)
    """
    x, fs = validate_signal(ppg, fs_hz, what="PPG", fs_range_hz=PPG_FS_RANGE_HZ, source=source)
    quality, _, scale = basic_checks(x, fs, flat_min_s=FLAT_MIN_S, clip_min_s=CLIP_MIN_S)
    starts, stops = quality.unusable(MARGIN_S, MIN_SEGMENT_S)

    found_peaks: list[IntArray] = []
    found_offsets: list[FloatArray] = []
    # scale is 0 only when every finite sample is 0: all flat, nothing to detect.
    for low, high in usable_segments(starts, stops, x.size) if scale > 0.0 else []:
        peaks, offsets = _elgendi(x[low:high] / scale, fs)
        found_peaks.append(peaks + low)
        found_offsets.append(offsets)
    if found_peaks:
        peaks = np.concatenate(found_peaks).astype(np.intp)
        offsets = np.concatenate(found_offsets)
    else:
        peaks, offsets = np.zeros(0, dtype=np.intp), np.zeros(0)
    # A peak within a margin of either end of the recording may be a cut-off pulse wave (at the
    # end, often the dicrotic wave of the last pulse): the same margin as around gaps.
    edge = round(MARGIN_S * fs)
    keep = ~inside(peaks, starts, stops) & (peaks >= edge) & (peaks < x.size - edge)
    peaks, offsets = peaks[keep], offsets[keep]

    warnings = [*quality.warning(starts, stops, "PPG", MARGIN_S, MIN_SEGMENT_S), PRV_WARNING]
    if peaks.size == 0:
        warnings.append(
            Notice("signals.no_pulses", "PPG: no pulses were found in the usable signal")
        )
    return BeatDetection(peaks, fs, to_list(starts, stops), warnings, offsets)


def _elgendi(segment: FloatArray, fs: float) -> tuple[IntArray, FloatArray]:
    """Systolic peaks of one usable stretch (steps 1-6 of the module docstring)."""
    sos = scipy.signal.butter(FILTER_ORDER, BAND_HZ, btype="bandpass", fs=fs, output="sos")
    filtered = scipy.signal.sosfiltfilt(sos, segment)
    squared = np.square(np.maximum(filtered, 0.0))
    peak_width = max(1, round(PEAK_WINDOW_S * fs))
    beat_width = max(1, round(BEAT_WINDOW_S * fs))
    ma_peak = scipy.ndimage.uniform_filter1d(squared, peak_width, mode="nearest")
    ma_beat = scipy.ndimage.uniform_filter1d(squared, beat_width, mode="nearest")
    alpha = OFFSET_BETA * float(np.mean(squared))
    starts, stops = long_runs(ma_peak > ma_beat + alpha, peak_width)
    if starts.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0)

    # The maximum of the filtered signal in every block, without a loop over blocks: gather the
    # blocks' samples end to end, take each block's maximum with reduceat, and keep the first
    # sample of each block that reaches it.
    lengths = stops - starts
    block = np.repeat(np.arange(starts.size), lengths)
    first_of_block = np.cumsum(lengths) - lengths
    position = np.arange(int(lengths.sum())) - np.repeat(first_of_block - starts, lengths)
    values = filtered[position]
    block_max = np.maximum.reduceat(values, first_of_block)
    at_max = np.flatnonzero(values == block_max[block])
    _, first = np.unique(block[at_max], return_index=True)
    peaks = position[at_max[first]].astype(np.intp)

    inner = (peaks > 0) & (peaks < segment.size - 1)
    offsets = np.zeros(peaks.size)
    p = peaks[inner]
    offsets[inner] = parabolic_offsets(filtered[p - 1], filtered[p], filtered[p + 1])
    return peaks, offsets


__all__ = ["PPG_FS_RANGE_HZ", "PRV_WARNING", "detect_ppg_beats"]
