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

The quality checks before detection: not-a-number samples, a flat line (the same value for
>= 1 s; the pyphysio recording at 2048 Hz holds a value for at most 40 ms) and clipping (>= 100 ms
at the recording's own minimum or maximum: a saturated sensor; a smooth pulse passes its top in
well under that). A signal sampled above 1000 Hz is then decimated to at most 1000 Hz
(:mod:`vagus.signals._decimate`), and the pulses are mapped back to the original rate.

The signal-quality indices after detection, for motion, which the checks above cannot see:

- **skewness SQI** (Elgendi M. Optimal signal quality index for photoplethysmogram signals.
  Bioengineering 2016;3(4):21, https://doi.org/10.3390/bioengineering3040021; of the eight
  indices compared there, skewness best told excellent PPG from acceptable and unfit PPG): the
  skewness of the band-passed signal ``y`` over windows of 3 s, every 1 s. A pulse wave rises
  fast and falls slowly, so ``y`` has tall narrow tops and wide shallow troughs, a positive skew;
  motion adds waves of its own shape and pulls the skew to zero or below. Windows with a skew
  below 0 are unusable. The threshold is ours, from measurements: in clean finger PPG
  (pyphysio's recording, HeartPy's data.csv, systole's example) the middle 90 % of windows have
  a skew of 0.3-1.9, and the windows below 0 (3 % of pyphysio's, none of the others') lie in the
  motion at 61-72 s that the simultaneous ECG shows to be a steady rhythm. A signal skewed
  downwards in most windows is upside down (a raw light-intensity channel): it is turned
  upright before detection, with a warning.
- **template SQI** (Orphanidou C et al. Signal-quality indices for the electrocardiogram and
  photoplethysmogram. IEEE J Biomed Health Inform 2015;19(3):832-838): every pulse's systolic
  wave (``y`` within +-30 % of the median pulse interval around the peak) is compared by
  Pearson correlation with the typical pulse of its neighbourhood (300 pulses); below 0.86, the
  paper's threshold for PPG, the pulse is left out with a range around it.
- **missed pulses**: an interval longer than 166 % of the running median of 9 intervals (Pan &
  Tompkins' rule, as for ECG) holds a pulse that was not found; it is marked unusable.

Unusable stretches are widened by 300 ms (about half a pulse wave), usable stretches shorter
than 3 s between them are joined in (they hold at most a couple of intervals, and the filter and
the 667 ms beat window need room), and peaks within 300 ms of either end of the recording are
dropped (often a cut-off wave: at the end, the dicrotic wave of the last pulse). The warning
names every index that left something out and how much.

Measured (RMSSD through ``vagus.hrv.analyze``): 12 minutes of 20 Hz wrist PPG (e2epyppg's example,
Samsung Gear Sport) 195-198 ms before, 51 ms now with 27 % unusable (e2epyppg's own pipeline: 57-77
ms on its five clean minutes); 128 s of finger PPG with motion (HeartPy's data2.csv) 117-178 ms
before, 59 ms now with 41 % unusable; pyphysio's recording 35 ms before, 38 ms now against 33 ms
from its ECG, with the motion at 61-72 s and 112-116 s left out.

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
from vagus.signals._beats import MISSED, missed_beat_gaps, template_correlation
from vagus.signals._decimate import decimate, decimation_factor, to_original_rate
from vagus.signals._detection import (
    BeatDetection,
    BoolArray,
    FloatArray,
    IntArray,
    inside,
    merge_ranges,
    to_list,
    validate_signal,
)
from vagus.signals._quality import (
    basic_checks,
    long_runs,
    parabolic_offsets,
    runs,
    usable_segments,
)

#: Sampling rates accepted: 20 Hz keeps the 8 Hz band edge below the Nyquist frequency with
#: room to spare; wearables sample PPG at 25-64 Hz, laboratory systems at up to 2 kHz and more.
#: Above 1000 Hz the signal is decimated first (:mod:`vagus.signals._decimate`); 100 kHz is
#: beyond any PPG front end, a unit mistake.
PPG_FS_RANGE_HZ: Final[tuple[float, float]] = (20.0, 100_000.0)

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

#: Skewness SQI (Elgendi 2016, Bioengineering 3(4):21, "Optimal signal quality index for
#: photoplethysmogram signals": of eight indices, skewness best told excellent PPG from
#: acceptable and unfit). A pulse wave rises fast and falls slowly, so its band-passed signal has
#: tall narrow tops and wide shallow troughs: positive skew. Motion adds waves of its own shape
#: and pulls the skew towards zero or below. Computed over windows of 3 blocks of 1 s, hop 1 s.
SKEW_BLOCK_S: Final[float] = 1.0
SKEW_WINDOW_BLOCKS: Final[int] = 3
SKEW_MIN: Final[float] = 0.0
#: Template SQI (Orphanidou et al. 2015, IEEE J Biomed Health Inform 19(3):832-838): pulses that
#: correlate with the recording's typical pulse at less than 0.86 are unacceptable. The window
#: is the systolic wave, +-30 % of the median pulse interval around the peak.
PULSE_HALF_WINDOW_RR: Final[float] = 0.3
PULSE_MIN_CORRELATION: Final[float] = 0.86
TEMPLATE_PULSES: Final[int] = 300
SKEWED: Final[str] = "low skewness (motion; skewness SQI, Elgendi 2016)"
UNLIKE_PULSE: Final[str] = (
    "pulses unlike the recording's typical pulse (template SQI, Orphanidou et al. 2015)"
)

PRV_WARNING: Final[str] = Notice(
    "signals.prv",
    "PPG: these are pulse intervals, not heartbeats; HRV from PPG is pulse-rate variability, "
    "which at rest reads RMSSD and high-frequency power higher than ECG does (Schäfer & Vagedes "
    "2013, Int J Cardiol 166:15-29); use an ECG chest strap when exact values matter",
)


INVERTED_WARNING: Final[str] = Notice(
    "signals.ppg_inverted",
    "PPG: the signal was upside down (its pulse waves were skewed downwards in most of it, as "
    "in a raw light-intensity channel) and was turned upright before detection",
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
        Sampling rate in Hz, 20-100,000 (decimated to at most 1000 Hz above 1000 Hz; the
        result is in samples of the original rate).
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
        sample NaN, or a sampling rate outside 20-100,000 Hz.

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
    quality, finite, scale = basic_checks(x, fs, flat_min_s=FLAT_MIN_S, clip_min_s=CLIP_MIN_S)
    n_original, fs_original = x.size, fs
    factor = decimation_factor(fs)
    if factor > 1:
        x, finite, scale, quality = decimate(x, finite, scale, factor, quality)
        fs = quality.fs_hz
    starts, stops = quality.unusable(MARGIN_S, MIN_SEGMENT_S)

    found_peaks: list[IntArray] = []
    found_offsets: list[FloatArray] = []
    # scale is 0 only when every finite sample is 0: all flat, nothing to detect.
    segments = usable_segments(starts, stops, x.size) if scale > 0.0 else []
    filtered = np.full(x.size, np.nan)
    sos = scipy.signal.butter(FILTER_ORDER, BAND_HZ, btype="bandpass", fs=fs, output="sos")
    for low, high in segments:
        filtered[low:high] = scipy.signal.sosfiltfilt(sos, x[low:high] / scale)
    # A pulse wave is skewed upwards (see SKEW_MIN). A signal skewed downwards in most windows is
    # upside down (a raw light-intensity channel falls as blood volume rises): turned upright,
    # with a warning, rather than left for every window to fail the skewness SQI.
    skew = _window_skewness(filtered, fs)
    inverted = bool(np.count_nonzero(skew < 0.0) > np.count_nonzero(skew > 0.0))
    if inverted:
        filtered = -filtered
    for low, high in segments:
        peaks, offsets = _elgendi(filtered[low:high], fs)
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

    # Signal quality of what was detected: motion (skewness), pulse shape (template), and the
    # long intervals left, where a pulse is missing.
    quality.add(SKEWED, *_skewness_check(filtered, fs))
    unlike, half = _template_check(filtered, peaks)
    quality.add(UNLIKE_PULSE, peaks[unlike] - half, peaks[unlike] + half + 1)
    starts, stops = quality.unusable(MARGIN_S, MIN_SEGMENT_S)
    keep = ~unlike & ~inside(peaks, starts, stops)
    peaks, offsets = peaks[keep], offsets[keep]
    gap_starts, gap_stops = missed_beat_gaps(peaks, starts, stops)
    if gap_starts.size:
        quality.add(MISSED, gap_starts, gap_stops)
        starts, stops = merge_ranges(
            np.concatenate([starts, gap_starts]), np.concatenate([stops, gap_stops])
        )

    warnings = [*quality.warning(starts, stops, "PPG", MARGIN_S, MIN_SEGMENT_S), PRV_WARNING]
    if inverted:
        warnings.append(INVERTED_WARNING)
    if peaks.size == 0:
        warnings.append(
            Notice("signals.no_pulses", "PPG: no pulses were found in the usable signal")
        )
    detection = BeatDetection(peaks, fs, to_list(starts, stops), warnings, offsets)
    return to_original_rate(detection, factor, n_original, fs_original)


def _window_skewness(filtered: FloatArray, fs: float) -> FloatArray:
    """The skewness of the band-passed signal over windows of 3 blocks of 1 s, hop 1 block;
    NaN for windows that reach an unusable stretch (NaN in ``filtered``) or are silent.

    Vectorised over blocks: the sums of the signal and of its second and third powers per
    block, added up over the windows.
    """
    block = max(1, round(SKEW_BLOCK_S * fs))
    n_blocks = filtered.size // block
    if n_blocks < SKEW_WINDOW_BLOCKS:
        return np.zeros(0)
    y = filtered[: n_blocks * block].reshape(n_blocks, block)
    sums = np.stack([y.sum(axis=1), np.square(y).sum(axis=1), (y**3).sum(axis=1)])
    kernel = np.ones(SKEW_WINDOW_BLOCKS)
    s1, s2, s3 = (np.convolve(row, kernel, mode="valid") for row in sums)
    n = float(SKEW_WINDOW_BLOCKS * block)
    mean = s1 / n
    with np.errstate(all="ignore"):
        m2 = s2 / n - mean**2
        m3 = s3 / n - 3.0 * mean * s2 / n + 2.0 * mean**3
        skew = np.where(m2 > 0.0, m3 / m2**1.5, np.nan)
    return np.asarray(skew, dtype=np.float64)


def _skewness_check(filtered: FloatArray, fs: float) -> tuple[IntArray, IntArray]:
    """Windows whose skewness says motion (the skewness SQI above), as sample ranges. Windows
    that reach an unusable stretch are judged by that stretch alone."""
    skew = _window_skewness(filtered, fs)
    block = max(1, round(SKEW_BLOCK_S * fs))
    n_blocks = filtered.size // block
    with np.errstate(invalid="ignore"):
        motion = np.isfinite(skew) & (skew < SKEW_MIN)
    first, last = runs(motion)
    starts = first * block
    stops = (last - 1 + SKEW_WINDOW_BLOCKS) * block
    stops[stops >= n_blocks * block] = filtered.size  # the last window speaks for the tail
    return starts.astype(np.intp), stops.astype(np.intp)


def _template_check(filtered: FloatArray, peaks: IntArray) -> tuple[BoolArray, int]:
    """Which pulses fail the template SQI (above), and the half-width of the pulse window in
    samples; pulses whose window reaches an unusable stretch or either end fail too (a pulse cut
    off cannot be judged)."""
    unlike = np.zeros(peaks.size, dtype=bool)
    if peaks.size < 3:
        return unlike, 0
    half = max(2, round(PULSE_HALF_WINDOW_RR * float(np.median(np.diff(peaks)))))
    whole = (peaks >= half) & (peaks < filtered.size - half)
    windows = filtered[peaks[whole, None] + np.arange(-half, half + 1)]
    cut = ~np.isfinite(windows).all(axis=1)
    windows[cut] = 0.0
    correlation = template_correlation(
        windows, np.zeros(windows.shape[0], dtype=bool), PULSE_MIN_CORRELATION, TEMPLATE_PULSES
    )
    unlike[whole] = cut | (correlation < PULSE_MIN_CORRELATION)
    unlike[~whole] = True
    return unlike, half


def _elgendi(filtered: FloatArray, fs: float) -> tuple[IntArray, FloatArray]:
    """Systolic peaks of one usable stretch, band-passed already (steps 2-6 of the module
    docstring), and their offsets."""
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

    inner = (peaks > 0) & (peaks < filtered.size - 1)
    offsets = np.zeros(peaks.size)
    p = peaks[inner]
    offsets[inner] = parabolic_offsets(filtered[p - 1], filtered[p], filtered[p + 1])
    return peaks, offsets


__all__ = ["PPG_FS_RANGE_HZ", "PRV_WARNING", "detect_ppg_beats"]
