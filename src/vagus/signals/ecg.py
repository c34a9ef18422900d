"""R peaks from a raw single-lead ECG, with the stretches that cannot be trusted left out.

The pipeline, in order:

0. **Decimation**: a signal sampled above 1000 Hz (BioSemi's 2048 Hz, 4 kHz and more) is
   decimated with an anti-alias FIR to at most 1000 Hz after the flat-line, clipping and
   not-a-number checks, and the beats are mapped back to the original rate with their sub-sample
   position (:mod:`vagus.signals._decimate`). On MIT-BIH 100 resampled to 2048 and 4000 Hz every
   beat lies within 0.7 ms of its time at 360 Hz, and RMSSD within 0.1 %.

1. **Quality, before detection** (vectorised over samples):

   - not-a-number samples, a flat line (the same value for >= 0.5 s: MIT-BIH record 100 at
     5 uV resolution never holds a value for more than 22 ms), and clipping (>= 10 ms at the
     recording's own minimum or maximum: a real R peak passes its maximum in one or two samples);
   - noise: the kurtosis of the ECG in the detector's own band (5-30 Hz) over 2 s windows every
     1 s. Clean ECG is peaked: QRS complexes are brief and tall, so its kurtosis is high, and
     Li, Mark & Clifford (2008, Physiol Meas 29(1):15-32, "kSQI") call an ECG clean when its
     kurtosis exceeds 5; Gaussian noise has 3. We measured 13-17 on record 100, 10-15 on the
     pyphysio recording and 5.2-5.4 on simulated ECG at 180-200 bpm (QRS complexes then fill a
     larger share of each window), so a window below 4 is one where noise, not QRS complexes,
     carries the band's energy.

2. **Detection** with sleepecg's compiled detector (Pan & Tompkins 1985 with the modifications
   of sleepecg, BSD-3) over the whole signal, unusable stretches included (see ``_detect`` for
   why), in chunks of 10 min that overlap by 10 s: memory stays flat on a 24-hour recording and
   every chunk has left its 2 s learning phase before its beats are kept.

3. **Search-back** for beats the detector missed (Pan & Tompkins 1985, IEEE Trans Biomed Eng
   32(3):230-236): in every usable interval longer than 166 % of the usual one (the running
   median of 9 intervals), the strongest peak of the QRS feature (the squared slope of the 5-30 Hz
   band, integrated over 150 ms) at least 200 ms from both beats is a candidate when it reaches a
   tenth of the neighbouring beats' peaks of the same feature (Pan-Tompkins search back at half a
   threshold that is, with little noise, a quarter of the signal peaks). A candidate is kept only
   when its QRS correlates with the typical beat at 0.85 or more (step 4): a T wave or an ectopic
   beat is not a normal beat found late. On 5 minutes of MIT-BIH 208 (sleepecg's toy ECG) the
   search finds 27 candidates and keeps 1; the others are premature ventricular or fusion beats.

4. **Beat shape**: every beat's ECG from -100 to +100 ms (the QRS complex) is compared by
   Pearson correlation with the typical beat of its neighbourhood (300 beats, about 5 minutes).
   Orphanidou et al. (2015, IEEE J Biomed Health Inform 19(3):832-838) accept ECG whose beats
   correlate with their average beat at 0.66 or more. A beat below that is noise the detector
   took for a beat, or an ectopic beat of another shape (a premature ventricular beat), which
   normal-to-normal HRV leaves out anyway; either way it is dropped and marked unusable, so that
   no interval reaches over it. On record 100 every normal beat correlates at 0.89 or more, its
   one premature ventricular beat at 0.13; with 10 s of 0.4-0.6 mV noise added, the beats
   sleepecg finds in the noise include 0-21 false ones (6 trials x 3 levels), the beats kept
   none.

5. **Missed beats**: every usable interval still longer than 166 % of the usual one holds a beat
   that was not found or not kept. It is marked unusable (the range between its two beats,
   :mod:`vagus.signals._beats`), so the interval is left out and never merged with its
   neighbours into a 'normal' one. MIT-BIH 208's 5 minutes: 28 such intervals before (RMSSD
   from the reported intervals without artifact correction 280 ms), none after (74 ms).

6. **Refinement** to the R peak (done with step 4, at the rate detection ran at): the extreme
   sample of the dominant polarity within +-25 ms of the detector's mark, then a parabola
   through it and its neighbours for the sub-sample time (:attr:`BeatDetection.offsets`). The
   polarity is the one of the larger deflection, voted over all beats: an inverted lead (or a
   chest strap worn upside down) has deep S waves and small R waves, and taking the larger
   absolute value beat by beat would jump between R and S and add tens of ms of jitter to the
   intervals. One polarity for the recording keeps the fiducial point the same in every beat;
   an inverted recording is detected a second time upright, because sleepecg marks the top of
   the band-passed QRS.

Unusable stretches are widened by 100 ms (a QRS half-width plus the refinement window), and
apparently usable stretches shorter than 3 s between two unusable ones are joined in: noise
comes in bursts, and such an island holds at most a couple of intervals.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.ndimage
import scipy.signal
from sleepecg.heartbeats import detect_heartbeats

from vagus.hrv._notices import Notice
from vagus.signals._beats import (
    MISSED,
    long_intervals,
    missed_beat_gaps,
    template_correlation,
)
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
    Quality,
    basic_checks,
    parabolic_offsets,
    runs,
)

#: Sampling rates accepted. Below 100 Hz the QRS complex is too few samples for the 5-30 Hz
#: band-pass; above 1000 Hz (the highest rate validated: MIT-BIH 100 resampled to 125-1000 Hz in
#: the tests) the signal is decimated to at most 1000 Hz first (:mod:`vagus.signals._decimate`;
#: tested at 2048 and 4000 Hz). 100 kHz is beyond any ECG amplifier: a rate above it is a unit
#: mistake (a period, or kHz for Hz).
ECG_FS_RANGE_HZ: Final[tuple[float, float]] = (100.0, 100_000.0)

#: A flat line: the same value for this long (see the module docstring for the numbers).
FLAT_MIN_S: Final[float] = 0.5
#: Clipping: at the recording's minimum or maximum for this long.
CLIP_MIN_S: Final[float] = 0.01
#: Margin added on both sides of every unusable range: half a QRS complex (50 ms) plus the
#: refinement window (25 ms), rounded up.
MARGIN_S: Final[float] = 0.1
#: Usable stretches shorter than this between unusable ones are left out (module docstring).
MIN_SEGMENT_S: Final[float] = 3.0

#: sleepecg's band-pass (second-order Butterworth, 5-30 Hz); the noise check looks at the same
#: band, the one that decides what the detector sees.
DETECTOR_BAND_HZ: Final[tuple[float, float]] = (5.0, 30.0)
#: The noise statistic is computed at about this rate (see ``_noise_check``).
NOISE_RATE_HZ: Final[float] = 125.0
NOISE_BLOCK_S: Final[float] = 1.0
NOISE_WINDOW_BLOCKS: Final[int] = 2
#: Windows with a kurtosis below this are noise (Li et al. 2008 call > 5 clean; Gaussian is 3).
NOISE_KURTOSIS_MIN: Final[float] = 4.0

#: Half-width of the beat window compared with the template: the QRS complex.
SHAPE_HALF_WINDOW_S: Final[float] = 0.1
#: Orphanidou et al. 2015: ECG beats correlating with the average beat at less than this are not
#: acceptable.
SHAPE_MIN_CORRELATION: Final[float] = 0.66
#: The reason given for beats whose shape failed the template test.
UNLIKE: Final[str] = "beats unlike the recording's typical beat (noise, or ectopic beats)"
#: Beats per template (about 5 minutes at 60 bpm): local, so that slow changes of the QRS shape
#: with posture over a day do not count as noise.
TEMPLATE_BEATS: Final[int] = 300

#: Search-back (Pan & Tompkins 1985, IEEE Trans Biomed Eng 32(3):230-236): in an interval over
#: 166 % of the usual one (:data:`vagus.signals._beats.MISSED_BEAT_RR_RATIO`), search again at
#: half of a threshold that lies a quarter of the way from the noise peak level to the signal
#: peak level: with little noise, an eighth of the signal peaks. We take a tenth of the two
#: neighbouring beats' peaks of the same feature (the squared slope of the 5-30 Hz band,
#: integrated over 150 ms). Measured on 5 minutes of MIT-BIH 208 (sleepecg's toy ECG): the beats
#: the detector missed reach 0.11-0.50 of their neighbours.
SEARCH_BACK_THRESHOLD: Final[float] = 0.1
SEARCH_BACK_INTEGRATION_S: Final[float] = 0.15
#: A beat found by the search-back is kept only when it is a normal beat beyond doubt: its QRS
#: correlates with the typical beat at this much or more (record 100's normal beats: >= 0.89).
#: A lower threshold would let a T wave or a fusion beat through; a candidate that fails is left
#: out, and the interval it was in is marked as one with a missed beat.
SEARCH_BACK_MIN_CORRELATION: Final[float] = 0.85
#: Half-width of the window in which a beat is moved to the R peak.
REFINE_HALF_WINDOW_S: Final[float] = 0.025

#: Detection chunk and overlap (see the module docstring), and sleepecg's refractory period
#: (200 ms, Pan & Tompkins 1985), the least distance between two beats.
DETECT_CHUNK_S: Final[float] = 600.0
DETECT_OVERLAP_S: Final[float] = 10.0
REFRACTORY_S: Final[float] = 0.2

#: Samples filtered at a time in the noise check (bounds the memory of a 24-hour recording).
_NOISE_CHUNK_SAMPLES: Final[int] = 1 << 20


def detect_ecg_beats(
    ecg: npt.ArrayLike, fs_hz: float, *, source: str | None = None
) -> BeatDetection:
    """Find the R peaks of a raw single-lead ECG, leaving out what cannot be trusted.

    Parameters
    ----------
    ecg : array_like
        One ECG channel, any unit (mV, uV, ADC counts); NaN or infinite samples mark gaps.
    fs_hz : float
        Sampling rate in Hz, 100-100,000 (decimated to at most 1000 Hz above 1000 Hz; the
        result is in samples of the original rate).
    source : str, optional
        Name of the input (a file name) to start error messages with; default "ECG".

    Returns
    -------
    BeatDetection
        R-peak sample indices (refined to the peak of the dominant polarity, with sub-sample
        offsets), the unusable ranges and warnings. See the module docstring for the method.

    Raises
    ------
    RrDataError
        When the input is not a usable ECG array: not 1-D, not numbers, shorter than 3 s,
        every sample NaN, or a sampling rate outside 100-100,000 Hz.

    Examples
    --------
    Five minutes of MIT-BIH record 208 that ship with sleepecg, at 360 Hz. sleepecg alone
    finds 478 beats; the record has frequent premature ventricular beats, and the 41 of them
    it found are left out, each with a range that no interval spans; so are the 28 intervals in
    which the detector missed one (the search-back found one more normal beat):

    >>> from sleepecg import get_toy_ecg
    >>> ecg, fs = get_toy_ecg()
    >>> beats = detect_ecg_beats(ecg, fs)
    >>> len(beats.peaks), len(beats.unusable), beats.unusable[0]
    (438, 70, (15606, 15751))
    >>> beats.rr_ms().size  # 437 intervals, of which 69 reach across a left-out stretch
    368
    """
    x, fs = validate_signal(ecg, fs_hz, what="ECG", fs_range_hz=ECG_FS_RANGE_HZ, source=source)
    quality, finite, scale = basic_checks(x, fs, flat_min_s=FLAT_MIN_S, clip_min_s=CLIP_MIN_S)
    n_original, fs_original = x.size, fs
    factor = decimation_factor(fs)
    if factor > 1:
        x, finite, scale, quality = decimate(x, finite, scale, factor, quality)
        fs = quality.fs_hz
    if scale > 0.0:
        _noise_check(x, finite, fs, scale, quality)
    starts, stops = quality.unusable(MARGIN_S, MIN_SEGMENT_S)

    # scale is 0 only when every finite sample is 0: all flat, nothing to detect.
    beats = _detect(x, fs, scale, starts, stops) if scale > 0.0 else np.zeros(0, dtype=np.intp)
    windows, beats = _beat_windows(x, fs, scale or 1.0, beats)
    if beats.size and _dominant_polarity(windows) < 0:
        # sleepecg marks the top of the band-passed QRS, which in an inverted lead is not the
        # main deflection (on record 100 upside down: 28 ms early). Detect again on the signal
        # turned the right way up, so that every mark and every refinement is on it.
        scale = -scale
        windows, beats = _beat_windows(x, fs, scale, _detect(x, fs, scale, starts, stops))
    # Step 3: search the long gaps for beats the detector missed; what it finds must look like
    # the recording's typical beat more closely than what the detector found itself.
    found = _search_back(x, fs, scale, beats, starts, stops)
    searched = np.zeros(beats.size, dtype=bool)
    if found.size:
        beats = np.union1d(beats, found).astype(np.intp)
        windows, beats = _beat_windows(x, fs, scale, beats)
        searched = np.isin(beats, found)
    peaks, offsets, shape_ok, shape_starts, shape_stops = _shape_and_refine(
        fs, beats, windows, searched
    )
    if shape_starts.size:
        quality.add(UNLIKE, shape_starts, shape_stops)
        starts, stops = quality.unusable(
            MARGIN_S, MIN_SEGMENT_S, after_detection=frozenset({UNLIKE})
        )
    keep = shape_ok & ~inside(peaks, starts, stops)
    peaks, offsets = peaks[keep], offsets[keep]
    # Step 5: the long intervals left are where a beat is missing: marked, never reported.
    gap_starts, gap_stops = missed_beat_gaps(peaks, starts, stops)
    if gap_starts.size:
        quality.add(MISSED, gap_starts, gap_stops)
        starts, stops = merge_ranges(
            np.concatenate([starts, gap_starts]), np.concatenate([stops, gap_stops])
        )

    warnings = quality.warning(starts, stops, "ECG", MARGIN_S, MIN_SEGMENT_S)
    if peaks.size == 0:
        warnings.append(Notice("signals.no_beats", "ECG: no beats were found in the usable signal"))
    detection = BeatDetection(peaks, fs, to_list(starts, stops), warnings, offsets)
    return to_original_rate(detection, factor, n_original, fs_original)


def _noise_check(
    x: FloatArray, finite: BoolArray, fs: float, scale: float, quality: Quality
) -> None:
    """Windows whose kurtosis in the detector's band says noise (see the module docstring).

    The statistic is computed at about 125 Hz: the signal is averaged over groups of
    ``factor = floor(fs / 125)`` samples first (a boxcar, which also keeps what lies above the
    new Nyquist frequency from folding back at full strength). The 5-30 Hz band fits below
    62.5 Hz, a QRS complex still spans 10 samples, and a day at 1 kHz costs no more than at
    125 Hz. Measured on record 100: the window kurtosis at 125, 250 and 1000 Hz agree.
    """
    factor = max(1, math.floor(fs / NOISE_RATE_HZ))
    rate = fs / factor
    block = max(1, round(NOISE_BLOCK_S * rate))  # decimated samples per block
    n_blocks = x.size // (block * factor)
    if n_blocks < NOISE_WINDOW_BLOCKS:
        return
    sos = scipy.signal.butter(2, DETECTOR_BAND_HZ, btype="bandpass", fs=rate, output="sos")
    # Start the filter in its steady state for the first value, so that an offset in the signal
    # does not ring through the first window.
    state = scipy.signal.sosfilt_zi(sos) * (float(x[np.argmax(finite)]) / scale)
    power2 = np.empty(n_blocks)
    power4 = np.empty(n_blocks)
    step = max(1, _NOISE_CHUNK_SAMPLES // (block * factor))
    for b0 in range(0, n_blocks, step):
        b1 = min(n_blocks, b0 + step)
        raw = x[b0 * block * factor : b1 * block * factor]
        usable = finite[b0 * block * factor : b1 * block * factor]
        if not usable.all():
            raw = np.where(usable, raw, 0.0)  # those samples are unusable already
        # Strided sums (numpy reduces a short inner axis, reshape(-1, factor).mean, slowly),
        # scaled before adding so that values near the float64 limit cannot overflow.
        chunk = raw[::factor] / scale
        for shift in range(1, factor):
            chunk += raw[shift::factor] / scale
        chunk /= factor
        band, state = scipy.signal.sosfilt(sos, chunk, zi=state)
        squared = np.square(band).reshape(b1 - b0, block)
        power2[b0:b1] = squared.sum(axis=1)
        power4[b0:b1] = np.einsum("ij,ij->i", squared, squared)
    # Moments over windows of NOISE_WINDOW_BLOCKS blocks, hop one block. The band-pass removes the
    # mean, so the moments about zero are the central moments.
    kernel = np.full(NOISE_WINDOW_BLOCKS, 1.0 / (NOISE_WINDOW_BLOCKS * block))
    m2 = np.convolve(power2, kernel, mode="valid")
    m4 = np.convolve(power4, kernel, mode="valid")
    with np.errstate(all="ignore"):
        kurtosis = m4 / np.square(m2)
    # Silent windows (m2 == 0) are flat, not noise; and windows that reach into a range found
    # already (a flat line rings down in the band-pass) are judged by that range alone.
    samples_per_block = block * factor
    judged = np.zeros(n_blocks + 1, dtype=np.intp)
    for starts, stops in quality.by_reason.values():
        np.add.at(judged, np.minimum(starts // samples_per_block, n_blocks), 1)
        np.add.at(judged, np.minimum(-(-stops // samples_per_block), n_blocks), -1)
    known = np.cumsum(judged[:-1]) > 0
    known_window = np.convolve(known, np.ones(NOISE_WINDOW_BLOCKS), mode="valid") > 0
    noisy = (m2 > 0.0) & np.isfinite(kurtosis) & (kurtosis < NOISE_KURTOSIS_MIN) & ~known_window
    first_window, last_window = runs(noisy)
    if first_window.size == 0:
        return
    starts = first_window * samples_per_block
    stops = (last_window - 1 + NOISE_WINDOW_BLOCKS) * samples_per_block
    stops[stops >= n_blocks * samples_per_block] = x.size  # the last window speaks for the tail
    quality.add("noise", starts, stops)


def _detect(x: FloatArray, fs: float, scale: float, starts: IntArray, stops: IntArray) -> IntArray:
    """sleepecg's beats over the whole signal, in chunks (module docstring, step 2).

    The detector runs through the unusable ranges too (their beats are dropped afterwards):
    sleepecg learns its thresholds from the first 2 s it is given, and a stretch that begins
    right after a noise burst, where the noise check may have caught only the worst of it,
    is a poor place to learn. Run through, its adaptive thresholds recover within a few beats
    (on record 100 with a 10 s burst of 0.6 mV noise: no false beat after the burst; started
    in the burst's tail: 140 false beats in the next 10 minutes). Not-a-number samples are
    replaced by the last finite value (a flat line to the detector); chunks that lie wholly in
    one unusable range, or are flat, are skipped.
    """
    chunk = max(1, round(DETECT_CHUNK_S * fs))
    overlap = round(DETECT_OVERLAP_S * fs)
    found: list[IntArray] = []
    for core in range(0, x.size, chunk):
        core_stop = min(core + chunk, x.size)
        covering = np.searchsorted(starts, core, side="right") - 1
        if covering >= 0 and stops[covering] >= core_stop:
            continue
        low, high = max(0, core - overlap), min(x.size, core_stop + overlap)
        # Scaled to at most 1 in magnitude (sleepecg squares a derivative, which must not
        # overflow for signals in raw ADC units of any size); a negative scale turns an
        # inverted lead upright.
        part = x[low:high] / scale
        finite = np.isfinite(part)
        if not finite.all():
            if not finite.any():
                continue
            last = np.where(finite, np.arange(part.size), 0)
            np.maximum.accumulate(last, out=last)
            part = part[last]
            part[: np.argmax(finite)] = part[np.argmax(finite)]
        if part.max() == part.min():
            continue
        beats = detect_heartbeats(part, fs) + low
        found.append(beats[(beats >= core) & (beats < core_stop)].astype(np.intp))
    if not found:
        return np.zeros(0, dtype=np.intp)
    beats = np.concatenate(found)
    # A beat on a chunk boundary can be found by both chunks a sample or two apart.
    keep = np.ones(beats.size, dtype=bool)
    keep[1:] = np.diff(beats) >= REFRACTORY_S * fs
    return beats[keep]


def _search_back(
    x: FloatArray, fs: float, scale: float, beats: IntArray, starts: IntArray, stops: IntArray
) -> IntArray:
    """Candidate beats in the long intervals (module docstring, step 3): in each, the strongest
    peak of the QRS feature at least 200 ms from both beats, if it reaches
    :data:`SEARCH_BACK_THRESHOLD` of theirs. A loop over the long intervals only: they are few
    where the detector works, and each needs the feature over its own stretch alone."""
    long = long_intervals(beats, starts, stops)
    if long.size == 0:
        return np.zeros(0, dtype=np.intp)
    sos = scipy.signal.butter(2, DETECTOR_BAND_HZ, btype="bandpass", fs=fs, output="sos")
    refractory = round(REFRACTORY_S * fs)
    pad = round(0.5 * fs)
    near = max(1, round(0.075 * fs))
    integrate = max(1, round(SEARCH_BACK_INTEGRATION_S * fs))
    found: list[int] = []
    for i in long.tolist():
        a, c = int(beats[i]), int(beats[i + 1])
        low, high = max(0, a - pad), min(x.size, c + pad)
        part = np.nan_to_num(x[low:high] / scale)
        band = scipy.signal.sosfiltfilt(sos, part)
        feature = scipy.ndimage.uniform_filter1d(np.square(np.gradient(band)), integrate)
        a0, c0 = a - low, c - low
        level = 0.5 * (
            float(feature[max(0, a0 - near) : a0 + near + 1].max())
            + float(feature[max(0, c0 - near) : c0 + near + 1].max())
        )
        lo, hi = a0 + refractory, c0 - refractory
        if hi <= lo or level <= 0.0:
            continue
        k = lo + int(np.argmax(feature[lo:hi]))
        if feature[k] < SEARCH_BACK_THRESHOLD * level:
            continue
        # Mark the top of the band-passed QRS, as sleepecg does for the beats it finds.
        w0, w1 = max(lo, k - near), min(hi, k + near + 1)
        found.append(low + w0 + int(np.argmax(band[w0:w1])))
    return np.asarray(found, dtype=np.intp)


def _beat_windows(
    x: FloatArray, fs: float, scale: float, beats: IntArray
) -> tuple[FloatArray, IntArray]:
    """The ECG from -100 to +100 ms around every beat, divided by ``scale`` and with the baseline
    (the straight line through the window's two ends) removed; and the beats that have a full
    window (those too close to either end of the signal are dropped: their QRS is cut off).
    Windows reaching a not-a-number sample are all zero."""
    half = max(2, round(SHAPE_HALF_WINDOW_S * fs))
    beats = beats[(beats >= half) & (beats < x.size - half)]
    windows = x[beats[:, None] + np.arange(-half, half + 1)] / scale
    windows[~np.isfinite(windows).all(axis=1)] = 0.0
    ramp = np.linspace(0.0, 1.0, windows.shape[1])
    windows -= windows[:, :1] + (windows[:, -1:] - windows[:, :1]) * ramp
    return windows, beats


def _dominant_polarity(windows: FloatArray) -> float:
    """+1 when the larger deflection from the baseline points up in most beats, else -1."""
    return 1.0 if float(np.median(windows.max(axis=1) + windows.min(axis=1))) >= 0.0 else -1.0


def _shape_and_refine(
    fs: float, beats: IntArray, windows: FloatArray, searched: BoolArray
) -> tuple[IntArray, FloatArray, BoolArray, IntArray, IntArray]:
    """Refined peaks, sub-sample offsets, which beats have a QRS shape, and the ranges of those
    that do not (module docstring, steps 4 and 6). ``windows`` come from :func:`_beat_windows`
    with the dominant deflection pointing up; ``searched`` marks the beats the search-back
    found, which need :data:`SEARCH_BACK_MIN_CORRELATION` and get no range when they fail (the
    gap they were sought in is marked instead)."""
    empty = np.zeros(0, dtype=np.intp)
    if beats.size == 0:
        return empty, np.zeros(0), np.zeros(0, dtype=bool), empty, empty.copy()
    half = windows.shape[1] // 2
    refine = min(half - 1, max(1, round(REFINE_HALF_WINDOW_S * fs)))
    column = half - refine + np.argmax(windows[:, half - refine : half + refine + 1], axis=1)
    rows = np.arange(beats.size)
    offsets = parabolic_offsets(
        windows[rows, column - 1], windows[rows, column], windows[rows, column + 1]
    )
    peaks = (beats - half + column).astype(np.intp)

    silent = ~np.any(windows, axis=1)  # reached a not-a-number sample, or a flat line
    least = np.where(searched, SEARCH_BACK_MIN_CORRELATION, SHAPE_MIN_CORRELATION)
    shape_ok = ~silent & (
        template_correlation(windows, searched, SHAPE_MIN_CORRELATION, TEMPLATE_BEATS) >= least
    )
    bad = beats[~shape_ok & ~searched]
    return peaks, offsets, shape_ok, bad - half, bad + half + 1


__all__ = ["ECG_FS_RANGE_HZ", "detect_ecg_beats"]
