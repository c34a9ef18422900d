"""Beat-by-beat HRV for a live sensor: heart rate, rolling RMSSD, RSA per breath, coherence.

:class:`StreamingHrv` takes one RR interval at a time (plain numbers: this module knows nothing
of sensors) and returns an :class:`Update` at once. Everything here is causal: a value reported
at a beat depends only on that beat and the beats before it.

What the live faces show (issue 12)
-----------------------------------
The numbers of ``vagus measure`` and of the web player are not this engine's rolling values:
they are the batch analysis (``vagus.hrv.analyze``, the call the recording is saved with) of
every beat so far, from 30 s of beats on, and the coherence ratio of :func:`coherence_ratio`
on that analysis' corrected NN series (``vagus.app.live.LiveAnalysis``), so what is shown is
what is saved and follows the batch artifact correction. This engine gives each beat's own
heart rate at once (the live chart's line) and the RSA per breath (the resonance assessment);
its rolling RMSSD and coherence remain for callers that need an O(1) value per beat.

What is computed, and from what
-------------------------------
Heart rate
    ``60000 / RR`` of the last accepted beat: the instantaneous rate, not an average, because
    the breath-by-breath swing (RSA) is what a slow-breathing exercise trains and an average
    would flatten it.
Rolling RMSSD and ln RMSSD
    Over the accepted beats of the last ``window_s`` seconds (60 s by default). RMSSD is the
    time-domain index that holds up best in short recordings: in 3,387 adults its agreement
    with 4-5 min recordings was already r = 0.85 from 10 s, and 0.99 from 120 s (Munoz et al.
    2015, PLoS One 10(9):e0138921); 60 s is the usual ultra-short compromise between a steady
    value and one that follows an exercise within a minute. A successive difference is taken
    only between two accepted beats that follow each other directly: never across a gap, a
    rejected beat or a taken-back beat. O(1) amortised per beat: a deque of squared
    differences with running sums.
RSA per breath
    The caller passes the pacer's cycle number with each beat (``breath_cycle``, from
    ``vagus.program.pacer.phase_at(...).cycle``). When the number changes, the breath that just
    ended gets its amplitude: the highest minus the lowest instantaneous heart rate of its
    accepted beats. This is the peak-to-trough (peak-valley) measure of respiratory sinus
    arrhythmia (Grossman, van Beek & Wientjes 1990, Psychophysiology 27(6):702-714), in the
    form that resonance-breathing biofeedback reads it, max minus min heart rate within each
    breath (Lehrer, Vaschillo & Vaschillo 2000, Appl Psychophysiol Biofeedback 25(3):177-191).
Coherence ratio
    HeartMath's published description (McCraty, Atkinson, Tomasino & Bradley 2009, "The
    coherent heart", Integral Review 5(2):10-115, first published as HeartMath Research Center
    publication 06-022 in 2006): the spectrum of the last
    64 s of RR, updated every 5 s; the highest peak in 0.04-0.26 Hz; the power in a 0.030 Hz
    window centred on it (peak power); the coherence ratio is peak power / (total power - peak
    power). HeartMath's own coherence *score* is proprietary (they say so) and is not this
    number; ours follows the published description only, see :func:`coherence_ratio`.

Online artifact rejection (Lipponen & Tarvainen 2019, made causal)
-----------------------------------------------------------------
The batch correction (``vagus.hrv.correct_rr``) follows Lipponen JA, Tarvainen MP (2019), J Med
Eng Technol 43(3):173-181, with centred windows: each beat is judged against 45 beats before
*and after* it, and a long or short beat is told from a fast but real change by the next two
beats. A live display cannot wait, so each beat is judged at once, against the beats before it
only, with the paper's quantities and constants:

- ``dRR`` is the difference from the previous beat (kept or not, as in the paper) in units of
  ``Th1 = 5.2 * QD(|dRR|)``, the quartile deviation over the **91 preceding** beats. 91 as in
  the paper: the quartiles of as many values are as stable as the batch ones, about 75 s is too
  long for a burst of artifacts to move them (a quartile ignores up to 25 % outliers) and short
  enough to follow a new rhythm within a minute or so.
- ``mRR`` is the deviation from the median of the **11 preceding** beats (the paper's median
  window, trailing instead of centred), negative values doubled, in units of
  ``Th2 = 5.2 * QD(|mRR|)`` over the 91 preceding beats. Rejected beats stay in these windows,
  as in the paper (median and quartiles are robust to them), so the filter follows a real
  change of heart rate and cannot lock itself out.
- The decisions, at beat ``k`` (the exact rules are in ``StreamingHrv._judge``): a beat is
  ``"short"``/``"long"``/``"missed"`` when ``|mRR| > 3`` (missed: its half is within ``Th2`` of
  the median); the previous beat is a spike, and is taken back, when ``dRR(k - 1)`` and
  ``dRR(k)`` both exceed ``Th1`` with opposite signs (the paper's long/short test, with ``S22``
  read from ``dRR(k)`` only); a short-long pair in the paper's ectopic region of the
  ``(dRR, S12)`` plane (``c1 = 0.13``, ``c2 = 0.17``) whose second beat does not come back to
  within ``Th1`` of the level before the pair is a premature beat and its compensatory pause
  (``"ectopic"``, both go); two intervals that add up to the median within ``Th2`` after a short
  one are the halves of an interval split by a false detection (``"extra"``, both go).
- The batch method's magnitude floors (``vagus.hrv.correct_rr``, issue 12) apply on top: a
  short beat or a part of a split interval must lie 30 % below the median of the 11 beats
  before it, a long or missed one 50 % above it, and a spike must be one of these or the
  premature half of a premature-compensatory pair (10 % below that median, the pause at least
  30 % of it longer). Such a pair is also taken out when it stays within ``Th1`` of a rhythm
  that swings widely. Sharp sinus-arrhythmia peaks pass: on the artifact-free NSR hour 7 of
  4,684 beats are left out (15 without the floors).
- Values outside 200-3000 ms are not heartbeats and are rejected as ``"range"`` always, even
  with ``reject_artifacts=False``.

What causality costs:

- No look-ahead. An artifact is often seen only at the beat after it: a missed beat or an
  ectopic beat too close to the median for ``|mRR| > 3`` (``Th2`` is wide: 3 Th2 is 500-900 ms
  in the NSR recording the tests use) is known to be one when the next beat jumps back. It is
  then taken back: its successive difference leaves the RMSSD sums, its sample the coherence
  window, its heart rate the breath's RSA, and ``Update.retracted_previous`` says so. The
  ``Update`` already returned for it is not changed: its heart rate showed the spike.
- To keep such a spike out of RMSSD even for that one beat, a successive difference that ends
  in a beat whose ``|dRR|`` exceeds ``Th1`` waits for the next beat's verdict before it is
  counted: RMSSD lags by one beat exactly where a value is in doubt.
- Without the next two beats, the premature-compensatory pattern is judged against the
  median before it, not the line between the beats around the pair, and a spike's neighbour
  must come back to the level to be kept.
- Thresholds lag: they describe the last 75 s, not the surrounding 75 s.
- Nothing but the range check runs until the median and both threshold windows hold 11 values
  (about 12 beats), the batch method's minimum (``MIN_DETECTION_BEATS``).
- Rejected beats are not corrected (interpolated) as in the batch method: they are left out.
  RMSSD then averages fewer differences, and the coherence spectrum interpolates over the hole.

Examples
--------
>>> stream = StreamingHrv()
>>> for i in range(120):
...     update = stream.add(1000.0 + (20.0 if i % 2 else 0.0))
>>> update.heart_rate_bpm, round(update.rmssd_ms, 6), update.accepted, update.n_beats
(58.8235294117647, 20.0, True, 120)
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import deque
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np

from vagus.hrv._artifacts import (
    ECTOPIC_C1,
    ECTOPIC_C2,
    ECTOPIC_PREMATURE_FRACTION,
    ECTOPIC_SWING_FRACTION,
    LONG_FLOOR_FRACTION,
    MEDIAN_WINDOW_BEATS,
    MIN_DETECTION_BEATS,
    MRR_LIMIT,
    MRR_NEGATIVE_WEIGHT,
    SHORT_FLOOR_FRACTION,
    THRESHOLD_ALPHA,
    THRESHOLD_WINDOW_BEATS,
)
from vagus.hrv._constants import HF_BAND_HZ, MAX_RR_MS, MIN_RR_MS, VLF_BAND_HZ
from vagus.hrv._frequency import MIN_POWER_MS2, SPECTRUM_STEP_HZ
from vagus.hrv._time import MS_PER_MINUTE
from vagus.hrv._types import FloatArray

__all__ = [
    "COHERENCE_BAND_HZ",
    "COHERENCE_PEAK_WIDTH_HZ",
    "COHERENCE_RESAMPLE_HZ",
    "COHERENCE_TOTAL_BAND_HZ",
    "REJECT_REASONS",
    "Coherence",
    "RejectReason",
    "StreamingHrv",
    "Update",
    "coherence_ratio",
]

RejectReason = Literal["range", "missed", "extra", "ectopic", "long", "short"]
#: Why a beat was rejected: out of the physiological range, or one of the kinds of
#: Lipponen & Tarvainen (2019).
REJECT_REASONS: Final[tuple[RejectReason, ...]] = (
    "range",
    "missed",
    "extra",
    "ectopic",
    "long",
    "short",
)

# --- Coherence, McCraty et al. 2009 ---------------------------------------------------------------
#: Where the coherence peak is searched: 0.04-0.26 Hz, McCraty et al.'s coherence range (2.4 to
#: 15.6 cycles per minute; slow breathing at 6 per minute puts its peak at 0.1 Hz).
COHERENCE_BAND_HZ: Final[tuple[float, float]] = (0.04, 0.26)
#: Width of the window, centred on the peak, whose power is the peak power (McCraty et al. 2009).
COHERENCE_PEAK_WIDTH_HZ: Final[float] = 0.030
#: Total power is taken over the Task Force's total-power band, 0.0033-0.40 Hz (VLF + LF + HF), the
#: batch engine's ``total_power``. Above 0.4 Hz an RR series holds no physiology: at 60-75 bpm the
#: beats sample it at 1-1.25 Hz, so content there is mostly aliasing and interpolation residue,
#: and counting it would lower the ratio for reasons unrelated to the heart. Below 0.0033 Hz a
#: 64 s window has nothing but the leakage of its (removed) trend.
COHERENCE_TOTAL_BAND_HZ: Final[tuple[float, float]] = (VLF_BAND_HZ[0], HF_BAND_HZ[1])
#: The RR series is interpolated at 2 Hz, one sample every 500 ms: HeartMath's published
#: sampling (128 samples in the 64 s window). Nyquist 1 Hz is well above the 0.4 Hz band.
COHERENCE_RESAMPLE_HZ: Final[float] = 2.0
#: The longest stretch without an accepted beat that the interpolation may bridge: half a breath at
#: 6 breaths per minute, the rhythm the ratio is about. A straight line over a longer hole would
#: draw the breath's rise or fall instead of measuring it, so such a window gives no ratio.
COHERENCE_MAX_HOLE_S: Final[float] = 5.0
#: The shortest coherence window: one period of the lowest frequency of the coherence band.
MIN_COHERENCE_WINDOW_S: Final[float] = 1.0 / COHERENCE_BAND_HZ[0]

#: Squared differences removed from the running RMSSD sums before they are summed afresh. Adding
#: and removing floats leaves a round-off that grows with the number of updates; summing the deque
#: again after as many removals as it holds keeps the cost O(1) amortised and the sums exact to a
#: few ulp (the tests compare with the batch RMSSD at 1e-9).
_RESUM_AFTER_MIN: Final[int] = 64
_MS_PER_S: Final[float] = 1000.0


# --- The spectrum behind the coherence ratio ------------------------------------------------------


class Coherence(NamedTuple):
    """A coherence ratio and the frequency of the peak it was measured at."""

    ratio: float
    peak_hz: float


def _trapezoid_weights(freqs_hz: FloatArray, band_hz: tuple[float, float]) -> FloatArray:
    """Weights ``w`` with ``w @ psd`` = the batch engine's ``band_power(freqs_hz, psd, band_hz)``.

    ``band_power`` integrates the straight lines between grid points from exactly ``lo`` to
    exactly ``hi``. That integral is linear in the PSD: over the part ``[a, b]`` of a grid
    interval ``[f_j, f_j+1]`` that lies in the band, a straight line integrates to ``(b - a)``
    times its value at the midpoint, which splits between ``psd[j]`` and ``psd[j + 1]``. Done
    once, the integral costs one dot product per update (tested against ``band_power``).
    """
    f = np.asarray(freqs_hz, dtype=np.float64)
    weights = np.zeros(f.size)
    a = np.maximum(f[:-1], band_hz[0])
    b = np.minimum(f[1:], band_hz[1])
    inside = np.flatnonzero(b > a)
    width = b[inside] - a[inside]
    u = ((a[inside] + b[inside]) / 2.0 - f[inside]) / (f[inside + 1] - f[inside])
    np.add.at(weights, inside, width * (1.0 - u))
    np.add.at(weights, inside + 1, width * u)
    return weights


class _CoherenceSpectrum:
    """The spectrum behind the coherence ratio, with everything that does not change precomputed.

    A periodogram of one 64 s window: the RR series linearly interpolated at 2 Hz, linearly
    detrended, Hann-windowed, zero-padded to a 1 mHz grid. Only the bins up to 0.40 Hz are
    used, so instead of a 2000-point FFT the DFT is computed on those 402 bins alone, as two
    matrix-vector products with the window folded into the matrices (the same numbers to
    rounding; the tests compare with ``scipy.signal.periodogram``).
    """

    def __init__(self, window_s: float) -> None:
        fs = COHERENCE_RESAMPLE_HZ
        self.n = n = round(window_s * fs)
        self.span_s = (n - 1) / fs
        self.offsets_s = np.arange(n, dtype=np.float64) / fs - self.span_s
        # Periodic Hann, scipy.signal.periodogram's "hann" (written out: numpy only).
        window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
        # Linear detrending by least squares, the basis centred so that slope and mean are
        # independent (what scipy.signal.detrend(type="linear") computes).
        self.ramp = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
        self.ramp_norm = float(np.dot(self.ramp, self.ramp))
        # Zero-padded to SPECTRUM_STEP_HZ (1 mHz), the batch engine's grid: the band edges 0.04,
        # 0.26 and 0.40 Hz fall on grid points, the peak is located to 1 mHz and the 0.030 Hz
        # peak window spans 30 steps. The window's own resolution is 1/64 s = 15.6 mHz, so
        # unpadded the peak window would hold two bins. Padding interpolates; it adds no power.
        nfft = max(round(fs / SPECTRUM_STEP_HZ), n)
        step = fs / nfft
        # Bins 0 .. 0.40 Hz and one more (the upper end of the total band is a grid point).
        n_bins = math.floor(COHERENCE_TOTAL_BAND_HZ[1] / step + 1e-9) + 2
        self.freqs = np.arange(n_bins, dtype=np.float64) * step
        # (k m) mod nfft keeps the phases exact, as an FFT's twiddle factors are.
        phase = (2.0 * np.pi / nfft) * (np.outer(np.arange(n_bins), np.arange(n)) % nfft)
        self.cos_w = np.cos(phase) * window
        self.sin_w = np.sin(phase) * window
        # One-sided density in ms^2/Hz, as the batch spectra: |X|^2 / (fs sum(w^2)), doubled
        # except at DC (Nyquist, 1 Hz, is not among these bins).
        self.scale = np.full(n_bins, 2.0 / (fs * float(np.sum(window**2))))
        self.scale[0] /= 2.0
        lo, hi = COHERENCE_BAND_HZ
        # Grid points of the peak band (closed); the 1e-9 absorbs the rounding of k * step.
        band = np.flatnonzero((self.freqs >= lo - 1e-9) & (self.freqs <= hi + 1e-9))
        self.band_lo, self.band_hi = int(band[0]), int(band[-1]) + 1
        self.total_weights = _trapezoid_weights(self.freqs, COHERENCE_TOTAL_BAND_HZ)
        # The peak is a grid point, so the weights of its window are the same around every peak:
        # computed once on offsets -k..k steps (0.040 Hz lies more than k steps above 0 Hz).
        half = COHERENCE_PEAK_WIDTH_HZ / 2.0
        self.k = math.ceil(half / step - 1e-9)
        offsets = np.arange(-self.k, self.k + 1, dtype=np.float64) * step
        self.peak_weights = _trapezoid_weights(offsets, (-half, half))

    def psd(self, t_s: FloatArray, rr_ms: FloatArray, end_s: float) -> FloatArray:
        """Periodogram (ms^2/Hz on ``self.freqs``) of the window of RR ending at ``end_s``."""
        x = np.interp(end_s + self.offsets_s, t_s, rr_ms)
        x -= np.mean(x)
        x -= self.ramp * (float(np.dot(self.ramp, x)) / self.ramp_norm)
        re = self.cos_w @ x
        im = self.sin_w @ x
        psd: FloatArray = (re * re + im * im) * self.scale
        return psd

    def ratio(self, t_s: FloatArray, rr_ms: FloatArray, end_s: float) -> Coherence | None:
        """The coherence ratio of the window ending at ``end_s``; None when it has no power."""
        psd = self.psd(t_s, rr_ms, end_s)
        lo, hi = self.band_lo, self.band_hi
        inner = psd[lo:hi]
        # The highest local maximum in the band (a grid point above its left neighbour and not
        # below its right one; the neighbours may lie outside the band). A band in which the
        # spectrum only rises or falls has no peak of its own: its highest point is taken.
        is_peak = (inner > psd[lo - 1 : hi - 1]) & (inner >= psd[lo + 1 : hi + 1])
        candidates = np.where(is_peak, inner, -np.inf) if is_peak.any() else inner
        at = lo + int(np.argmax(candidates))
        peak = float(np.dot(self.peak_weights, psd[at - self.k : at + self.k + 1]))
        total = float(np.dot(self.total_weights, psd))
        rest = total - peak
        if not (total >= MIN_POWER_MS2 and rest > 0.0):
            return None  # no variability (constant RR): the ratio is undefined
        return Coherence(ratio=peak / rest, peak_hz=float(self.freqs[at]))


@functools.lru_cache(maxsize=8)
def _spectrum_for(window_s: float) -> _CoherenceSpectrum:
    """The precomputed spectrum of a window length, made once: building it (two 402 x 128
    matrices) costs more than using it, and a live display asks every 5 s."""
    return _CoherenceSpectrum(window_s)


def _window_usable(t_s: FloatArray, start_s: float, end_s: float) -> bool:
    """Beats cover ``[start_s, end_s]`` with no hole longer than COHERENCE_MAX_HOLE_S."""
    if t_s.size == 0 or t_s[0] > start_s:
        return False
    first = max(int(np.searchsorted(t_s, start_s, side="right")) - 1, 0)
    inside = t_s[first:]
    if end_s - float(inside[-1]) > COHERENCE_MAX_HOLE_S:
        return False
    return inside.size < 2 or float(np.max(np.diff(inside))) <= COHERENCE_MAX_HOLE_S


def coherence_ratio(
    t_s: FloatArray, rr_ms: FloatArray, *, end_s: float | None = None, window_s: float = 64.0
) -> Coherence | None:
    """Coherence ratio of an RR series over the window ending at ``end_s`` (McCraty et al. 2009).

    The published method of HeartMath (McCraty, Atkinson, Tomasino & Bradley 2009; McCraty et
    al. 2006), which HeartMath computes every 5 s over the last 64 s: the power spectrum of the
    RR series; the highest peak in 0.04-0.26 Hz; its power in a 0.030 Hz window centred on it;
    ratio = peak power / (total power - peak power). HeartMath's own coherence score is
    proprietary and is not this number.

    Our choices where the description leaves them open:

    - the RR value of each beat sits at the beat's time (Kubios' convention, as the batch
      engine); the series is interpolated linearly at 2 Hz on ``end_s - window_s + 0.5 s`` ..
      ``end_s`` (HeartMath's published 500 ms sampling), linearly detrended, Hann-windowed and
      zero-padded to a 1 mHz grid (a periodogram in ms^2/Hz, the batch engine's units);
    - the peak is the highest local maximum of the spectrum on grid points in 0.04-0.26 Hz
      (the highest point when the band has no local maximum), to 1 mHz;
    - powers are trapezoid integrals with the band edges interpolated (as the batch engine's
      ``band_power``); total power is taken over 0.0033-0.40 Hz
      (:data:`COHERENCE_TOTAL_BAND_HZ`, why is said there).

    Parameters
    ----------
    t_s : numpy.ndarray
        Time of each beat in s, strictly increasing (for a plain RR list, its cumulative sum
        divided by 1000).
    rr_ms : numpy.ndarray
        The RR interval ending at each beat in ms, artifact-free (rejected beats left out).
    end_s : float, optional
        End of the window in s; the last beat's time by default.
    window_s : float
        Window length in s, default 64 (HeartMath); at least 25 s (one period of 0.04 Hz).

    Returns
    -------
    Coherence or None
        ``ratio`` (dimensionless, >= 0) and ``peak_hz``. None when the beats do not cover the
        window, when they leave a hole longer than 5 s in it (:data:`COHERENCE_MAX_HOLE_S`),
        or when the series has no variability.

    Raises
    ------
    ValueError
        When the arrays differ in length, or ``window_s`` is below 25 s or not finite.

    Examples
    --------
    Breathing at 6 per minute: the RR series swings at 0.1 Hz and nearly all power sits in the
    peak.

    >>> rr = 900.0 + 60.0 * np.sin(2 * np.pi * 0.1 * 0.9 * np.arange(100))
    >>> c = coherence_ratio(np.cumsum(rr) / 1000.0, rr)
    >>> c.peak_hz, c.ratio > 5
    (0.1, True)
    """
    t = np.asarray(t_s, dtype=np.float64)
    rr = np.asarray(rr_ms, dtype=np.float64)
    if t.shape != rr.shape or t.ndim != 1:
        raise ValueError(
            f"t_s and rr_ms: expected two 1-D arrays of the same length, got {t.shape} and "
            f"{rr.shape}"
        )
    if not (math.isfinite(window_s) and window_s >= MIN_COHERENCE_WINDOW_S):
        raise ValueError(
            f"window_s: expected a window of at least {MIN_COHERENCE_WINDOW_S:g} s, "
            f"got {window_s!r}"
        )
    if t.size == 0:
        return None
    end = float(t[-1]) if end_s is None else float(end_s)
    spectrum = _spectrum_for(float(window_s))
    if not _window_usable(t, end - spectrum.span_s, end):
        return None
    return spectrum.ratio(t, rr, end)


# --- The stream -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """What the stream knows right after one beat.

    Attributes
    ----------
    t_s : float
        Time of this beat on the stream's timeline in s: the ``t_s`` the caller passed, else the
        sum of every RR interval so far (accepted and rejected).
    rr_ms : float
        This beat's RR interval in ms, as received.
    accepted : bool
        False when the beat was rejected (see ``reason``).
    reason : str or None
        Why it was rejected: one of :data:`REJECT_REASONS`; None when accepted.
    retracted_previous : bool
        True when this beat showed the previous, accepted beat to be an artifact (a spike, the
        first beat of a premature pair, or the first half of a split interval): that beat was
        taken back out of RMSSD, coherence and RSA and counted as rejected.
    heart_rate_bpm : float or None
        Instantaneous heart rate, ``60000 / RR`` of the last accepted beat, in beats per minute.
    rmssd_ms : float or None
        RMSSD in ms of the successive differences between accepted beats in the last
        ``window_s`` seconds (both beats of a difference inside the window; a difference in
        doubt waits one beat, see the module docstring); None without one.
    ln_rmssd : float or None
        Natural logarithm of ``rmssd_ms`` (ms); None when RMSSD is None or 0.
    rsa_bpm : float or None
        RSA amplitude of the last completed breath, max minus min instantaneous heart rate of
        its accepted beats, in beats per minute; None before the first completed breath and
        for a breath with fewer than 2 accepted beats, a gap, or whose start was not seen.
    coherence : float or None
        The latest coherence ratio (dimensionless); see :func:`coherence_ratio`.
    coherence_peak_hz : float or None
        Frequency of the peak of the latest coherence ratio, Hz.
    coherence_t_s : float or None
        End of the window of the latest coherence ratio (the time of the beat at which it was
        computed), s; None while there is none.
    n_beats : int
        Beats received so far, this one included (accepted and rejected).
    n_rejected : int
        Beats rejected so far, taken-back beats included.
    """

    t_s: float
    rr_ms: float
    accepted: bool
    reason: RejectReason | None
    retracted_previous: bool
    heart_rate_bpm: float | None
    rmssd_ms: float | None
    ln_rmssd: float | None
    rsa_bpm: float | None
    coherence: float | None
    coherence_peak_hz: float | None
    coherence_t_s: float | None
    n_beats: int
    n_rejected: int


class _SortedWindow:
    """The last ``size`` values, kept in arrival order and sorted: O(log n) search, O(n) memmove.

    For n = 91 the memmove is a few hundred bytes, far below the cost of one numpy call.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.order: deque[float] = deque()
        self.sorted: list[float] = []

    def __len__(self) -> int:
        return len(self.order)

    def push(self, value: float) -> None:
        if len(self.order) == self.size:
            old = self.order.popleft()
            del self.sorted[bisect.bisect_left(self.sorted, old)]
        self.order.append(value)
        bisect.insort(self.sorted, value)

    def quantile(self, q: float) -> float:
        """Linear interpolation between order statistics, as ``numpy.quantile`` by default."""
        values = self.sorted
        h = (len(values) - 1) * q
        lo = int(h)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (h - lo)

    def threshold(self) -> float:
        """``alpha`` times the quartile deviation (Q3 - Q1) / 2 (Lipponen & Tarvainen 2019)."""
        return THRESHOLD_ALPHA * (self.quantile(0.75) - self.quantile(0.25)) / 2.0


class _BeatBuffer:
    """Beat times and RR values in two arrays, oldest first, read as contiguous views.

    Appending, dropping the oldest and taking back the newest are O(1) amortised: the live part
    ``[lo, hi)`` moves right as beats come and is copied back to the start when it reaches the
    end (and the arrays doubled when it fills them), so the spectrum reads the arrays in place.
    """

    def __init__(self, capacity: int = 512) -> None:
        self.t = np.empty(capacity)
        self.rr = np.empty(capacity)
        self.lo = 0
        self.hi = 0

    def append(self, t_s: float, rr_ms: float) -> None:
        if self.hi == self.t.size:
            size = self.hi - self.lo
            capacity = self.t.size * 2 if size > self.t.size // 2 else self.t.size
            for name in ("t", "rr"):
                old = getattr(self, name)
                new = np.empty(capacity) if capacity != old.size else old
                new[:size] = old[self.lo : self.hi]
                setattr(self, name, new)
            self.lo, self.hi = 0, size
        self.t[self.hi] = t_s
        self.rr[self.hi] = rr_ms
        self.hi += 1

    def pop(self) -> None:
        if self.hi > self.lo:
            self.hi -= 1

    def last_t(self) -> float | None:
        return float(self.t[self.hi - 1]) if self.hi > self.lo else None

    def drop_before(self, start_s: float) -> None:
        """Drop the oldest beats while the second oldest is at or before ``start_s``."""
        while self.hi - self.lo >= 2 and self.t[self.lo + 1] <= start_s:
            self.lo += 1

    def times(self) -> FloatArray:
        return self.t[self.lo : self.hi]

    def values(self) -> FloatArray:
        return self.rr[self.lo : self.hi]


def _check_positive(name: str, value: float, minimum: float = 0.0) -> float:
    number = float(value)
    if not (math.isfinite(number) and number > minimum):
        raise ValueError(
            f"{name}: expected a finite number of seconds > {minimum:g}, got {value!r}"
        )
    return number


class StreamingHrv:
    """Beat-by-beat HRV: feed RR intervals with :meth:`add`, read the :class:`Update` it returns.

    See the module docstring for what each value means, the papers behind it and what judging
    each beat without look-ahead costs.

    Parameters
    ----------
    window_s : float
        Length of the rolling RMSSD window in s (default 60).
    coherence_window_s : float
        Length of the coherence window in s (default 64, HeartMath's), at least 25.
    coherence_every_s : float
        The coherence ratio is recomputed at the first beat at or after each multiple of this
        many seconds on the stream's timeline (default 5, HeartMath's).
    reject_artifacts : bool
        Judge each beat by the causal Lipponen & Tarvainen rules (default True). The range check
        (200-3000 ms) applies either way.

    Raises
    ------
    ValueError
        For a window or interval that is not a positive finite number of seconds.

    Notes
    -----
    Cost per beat is O(1) amortised: running sums for RMSSD, sorted windows of fixed size for
    the thresholds, a buffer of the last ``coherence_window_s`` of beats; the spectrum (a DFT of
    128 samples on 402 bins) runs once per ``coherence_every_s``. Measured on a 1-hour series
    (benchmarks/streaming.py): about 25 us per beat, 100-150 us at a coherence update. Not
    thread-safe: one stream per sensor.

    Examples
    --------
    >>> stream = StreamingHrv()
    >>> stream.add(1000.0).rmssd_ms is None  # one beat has no successive difference
    True
    >>> update = stream.add(1050.0, breath_cycle=0)
    >>> update.t_s, update.heart_rate_bpm, update.rmssd_ms
    (2.05, 57.142857142857146, 50.0)
    >>> stream.add(900.0, gap_before=True).rmssd_ms  # no difference across the gap
    50.0
    """

    def __init__(
        self,
        *,
        window_s: float = 60.0,
        coherence_window_s: float = 64.0,
        coherence_every_s: float = 5.0,
        reject_artifacts: bool = True,
    ) -> None:
        self.window_s = _check_positive("window_s", window_s)
        self.coherence_window_s = _check_positive(
            "coherence_window_s", coherence_window_s, MIN_COHERENCE_WINDOW_S - 1e-12
        )
        self.coherence_every_s = _check_positive("coherence_every_s", coherence_every_s)
        self.reject_artifacts = bool(reject_artifacts)
        self._spectrum = _CoherenceSpectrum(self.coherence_window_s)

        # Timeline and counts.
        # The timeline is summed in ms: RR intervals in whole ms (as sensors send them) then add
        # up exactly, and a beat that lies exactly 60 s back is in or out of the window as in
        # the batch arithmetic (np.cumsum of the same intervals), not by a rounding.
        self._t_ms = 0.0
        self._t_s = 0.0
        self._n_beats = 0
        self._n_rejected = 0
        self._last: Update | None = None

        # Artifact rejection: the previous beat's RR (None after a gap), its dRR in threshold
        # units when measured between two kept beats, whether it was kept and why it was not.
        self._median = _SortedWindow(MEDIAN_WINDOW_BEATS)
        self._abs_drr = _SortedWindow(THRESHOLD_WINDOW_BEATS)
        self._abs_mrr = _SortedWindow(THRESHOLD_WINDOW_BEATS)
        self._prev_rr: float | None = None
        self._prev_t_ms = 0.0
        self._prev_d: float | None = None
        self._prev_accepted = False
        self._prev_reason: RejectReason | None = None
        self._prev_outlier = False
        # The previous beat's RR relative to the median before it, minus 1 (the floors').
        self._prev_rel: float | None = None
        self._prev_median: float | None = None
        # The level a beat must come back to: the last kept beat's RR and the one before it
        # (both None after a gap).
        self._level: float | None = None
        self._level_before: float | None = None

        # RMSSD: squared successive differences with the time of their first beat (ms), and one
        # difference waiting for the next beat's verdict (see the module docstring).
        self._diffs: deque[tuple[float, float]] = deque()
        self._sum_sq = 0.0
        self._removed = 0
        self._prev_has_diff = False  # the newest entry of _diffs ends at the previous beat
        self._pending: tuple[float, float] | None = None

        # Heart rate: RR of the last two accepted beats (the one before serves a take-back).
        self._hr_rr: float | None = None
        self._hr_rr_before: float | None = None

        # RSA: the open breath's number, its heart rates, whether its start was seen and
        # whether a gap fell into it; the last completed breath's amplitude.
        self._cycle: int | None = None
        self._cycle_hr: list[float] = []
        self._cycle_whole = False
        self._prev_in_cycle = False  # the previous beat's heart rate is the last of _cycle_hr
        self._rsa: float | None = None

        # Coherence: accepted beats (time, RR) back to one at or before the window start; the
        # end of the latest hole longer than COHERENCE_MAX_HOLE_S between accepted beats; the
        # latest gap of unknown length (a gap_before without t_s).
        self._beats = _BeatBuffer()
        self._hole_end_s = -math.inf
        self._unmeasured_gap_s = -math.inf
        self._next_coherence_s: float | None = None
        self._coherence: Coherence | None = None
        self._coherence_t: float | None = None

    # --- public -----------------------------------------------------------------------------------

    def add(
        self,
        rr_ms: float,
        *,
        t_s: float | None = None,
        gap_before: bool = False,
        breath_cycle: int | None = None,
    ) -> Update:
        """Take one beat and return what is known after it.

        Parameters
        ----------
        rr_ms : float
            The RR interval ending at this beat, in ms (finite, > 0). Values outside 200-3000 ms
            are rejected as ``"range"``, not raised: a sensor can send them.
        t_s : float, optional
            Time of this beat in s on the sensor's timeline (``vagus.devices.Beat.t_s``),
            after the previous beat's. When given, the length of a gap is known and the
            coherence spectrum can bridge it (up to 5 s); pass it for every beat or for none.
            By default the previous beat's time plus ``rr_ms``.
        gap_before : bool
            Data was lost just before this beat: no successive difference is taken across it,
            the open breath gets no RSA, and without ``t_s`` the coherence window that contains
            it gives no ratio (its length is unknown).
        breath_cycle : int, optional
            The breathing pacer's cycle number at this beat (>= 0). A change of number ends the
            breath, whose RSA amplitude is then reported. None: no pacer (an open breath is
            dropped).

        Returns
        -------
        Update
            The values after this beat.

        Raises
        ------
        ValueError
            For an ``rr_ms`` that is not a finite number > 0, a ``t_s`` not after the previous
            beat's, or a negative ``breath_cycle``.
        """
        rr = float(rr_ms)
        if not (math.isfinite(rr) and rr > 0.0):
            raise ValueError(f"rr_ms: expected a finite RR interval > 0 ms, got {rr_ms!r}")
        if t_s is None:
            now_ms = self._t_ms + rr
            now = now_ms / _MS_PER_S
        else:
            now = float(t_s)
            if not (math.isfinite(now) and (self._n_beats == 0 or now > self._t_s)):
                raise ValueError(
                    f"t_s: expected a finite time after the previous beat's {self._t_s!r} s, "
                    f"got {t_s!r}"
                )
            now_ms = now * _MS_PER_S
        if breath_cycle is not None and breath_cycle < 0:
            raise ValueError(f"breath_cycle: expected a cycle number >= 0, got {breath_cycle!r}")
        contiguous = self._n_beats > 0 and not gap_before
        if gap_before and t_s is None:
            self._unmeasured_gap_s = now
        self._t_s = now
        self._t_ms = now_ms
        self._n_beats += 1

        if not contiguous:
            self._level = self._level_before = None
        reason, retract, doubtful = self._judge(rr, contiguous)
        if retract:
            self._retract_previous()
        elif self._pending is not None:
            self._commit(*self._pending)  # the previous beat was kept: its difference counts
        self._pending = None
        accepted = reason is None
        if not accepted:
            self._n_rejected += 1

        # RMSSD: a difference only between directly successive kept beats.
        self._prev_has_diff = False
        if accepted and contiguous and self._prev_accepted and self._prev_rr is not None:
            diff = rr - self._prev_rr
            if doubtful:
                self._pending = (self._prev_t_ms, diff * diff)
            else:
                self._commit(self._prev_t_ms, diff * diff)
                self._prev_has_diff = True
        self._evict_diffs(now_ms)

        if accepted:
            self._hr_rr_before, self._hr_rr = self._hr_rr, rr
            self._level_before, self._level = self._level, rr
            last = self._beats.last_t()
            if last is not None and now - last > COHERENCE_MAX_HOLE_S:
                self._hole_end_s = now
            self._beats.append(now, rr)
        self._update_breath(breath_cycle, rr if accepted else None, gap_before)
        self._update_coherence(now)

        self._prev_rr = rr
        self._prev_accepted = accepted
        self._prev_t_ms = now_ms
        self._last = self._make_update(now, rr, reason, retract)
        return self._last

    def snapshot(self) -> Update | None:
        """The :class:`Update` of the latest beat (nothing changes between beats); None before
        the first beat.

        >>> StreamingHrv().snapshot() is None
        True
        """
        return self._last

    # --- artifact rejection -----------------------------------------------------------------------

    def _judge(self, rr: float, contiguous: bool) -> tuple[RejectReason | None, bool, bool]:
        """Judge beat ``k`` by the beats before it (Lipponen & Tarvainen 2019, made causal).

        Returns the reason to reject it (None: keep it), whether to take back beat ``k - 1``,
        and whether ``k`` is in doubt (``|d(k)| > 1``: the next beat may show it to be a spike).

        With ``d`` = dRR / Th1 and ``m`` = mRR / Th2, ``halves`` meaning that beats ``k - 1`` and
        ``k`` add up to the median within Th2, and "comes back" meaning that ``k`` lies within
        Th1 of the last kept beat before the suspect one, the rules in the order tried:

        1. Beat ``k - 1`` was kept and its ``d`` was measured from a kept beat:

           a. ``d(k - 1) < -1`` and ``halves``: an extra detection split one interval.
              ``k - 1`` is taken back, ``k`` is ``"extra"``.
           b. ``|d(k - 1)| > 1`` and ``|d(k)| > 1`` with opposite signs: ``k - 1`` was a spike
              (the paper's long/short beat, ``S22`` read from ``d(k)`` only) and is taken back;
              ``k`` is ``"ectopic"`` unless it comes back.
           c. ``d(k) > 1`` and ``d(k - 1) < -c1 d(k) - c2`` (the paper's ectopic region, ``S12``
              read from the beat before only) and ``k`` does not come back: a premature beat
              and its compensatory pause. ``k - 1`` is taken back, ``k`` is ``"ectopic"``.
              Only the short-long order: in the long-short order the region also holds every
              sharp peak of sinus arrhythmia followed by a steep fall, which rule b covers.

        2. Beat ``k - 1`` was an outlier: rejected as short or long by rule 3, as a spike's
           neighbour that did not come back by rule b, or below 200 ms. ``"extra"`` when
           ``halves`` (after a short one), else ``"ectopic"`` when ``k`` does not come back
           either (the first beat of a pair seen as a spike, then its compensatory pause).
           A beat rejected by rule 2 or c is no outlier in this sense, so rule 2 never forms a
           chain: a real change of rhythm cannot lock the filter out.

        3. ``m > 3``: ``"missed"`` when half of ``k`` lies within Th2 of the median, else
           ``"long"``; ``m < -3``: ``"short"`` (the paper's tests on mRR alone).

        Each rule also needs the batch method's magnitude floors (module docstring): rule a one
        part 30 % below the median, rule b a spike that is far (30 % below or 50 % above) or
        the premature half of a premature-compensatory pair (then ``k`` goes with it), rule c
        that pair, which also counts on its own when it stays within ``Th1``; rule 3 the same
        30 % and 50 %.

        The median and threshold windows take beat ``k`` afterwards, rejected or not.
        """
        if not MIN_RR_MS <= rr <= MAX_RR_MS:
            self._prev_d = None
            self._prev_reason = "range"
            self._prev_outlier = False
            # Kept for the floors: a part of a split interval below 200 ms is far below them.
            median_now = self._median.quantile(0.5) if len(self._median) else None
            self._prev_rel = rr / median_now - 1.0 if median_now else None
            self._prev_median = median_now
            return "range", False, False
        prev = self._prev_rr if contiguous else None
        after_range = self._prev_reason == "range"
        drr = rr - prev if prev is not None and not after_range else None
        median = self._median.quantile(0.5) if len(self._median) else None
        mrr = rr - median if median is not None else None
        if mrr is not None and mrr < 0.0:
            mrr *= MRR_NEGATIVE_WEIGHT

        reason: RejectReason | None = None
        retract = False
        pair = False
        d: float | None = None
        ready = (
            self.reject_artifacts
            and len(self._median) >= MEDIAN_WINDOW_BEATS
            and len(self._abs_drr) >= MIN_DETECTION_BEATS
            and len(self._abs_mrr) >= MIN_DETECTION_BEATS
        )
        rel = rr / median - 1.0 if median else None
        prev_rel = self._prev_rel if prev is not None else None
        if ready and median is not None and mrr is not None and rel is not None:
            th1 = self._abs_drr.threshold()
            th2 = self._abs_mrr.threshold()
            # A zero threshold (the middle half of the window all equal) leaves the normalised
            # value undefined: it never flags, as in the batch method.
            d = drr / th1 if drr is not None and th1 > 0.0 else None
            m = mrr / th2 if th2 > 0.0 else 0.0
            prev_d = self._prev_d
            halves = prev is not None and abs(prev + rr - median) < th2

            def comes_back(level: float | None) -> bool:
                return level is None or abs(rr - level) <= th1

            # The batch method's magnitude floors (``vagus.hrv.correct_rr``, issue 12): a flag
            # also needs the beat to be far from sinus rhythm in a share of the local median,
            # so the sharp peaks of sinus arrhythmia pass. The premature-compensatory pattern
            # is judged against the median of the 11 beats before the premature one (the batch
            # method uses the line between the beats around the pair; the one after the pair
            # is not known yet).
            split = min(rel, prev_rel if prev_rel is not None else rel) <= -SHORT_FLOOR_FRACTION
            far_prev = prev_rel is not None and (
                prev_rel >= LONG_FLOOR_FRACTION or prev_rel <= -SHORT_FLOOR_FRACTION
            )
            ref = self._prev_median if prev_rel is not None and self._prev_median else median
            premature = (
                prev is not None
                and prev_rel is not None
                and prev_rel <= -ECTOPIC_PREMATURE_FRACTION
                and (rr - prev) / ref >= ECTOPIC_SWING_FRACTION
            )

            if self._prev_accepted and prev_d is not None and d is not None:
                if prev_d < -1.0 and halves and split:
                    reason, retract = "extra", True
                elif (
                    abs(prev_d) > 1.0
                    and abs(d) > 1.0
                    and (prev_d > 0.0) != (d > 0.0)
                    and (far_prev or premature)
                ):
                    retract = True
                    # The pause of a premature-compensatory pattern goes with it (as in the
                    # batch method, which corrects the pair), even when it lands near the level.
                    if premature:
                        reason, pair = "ectopic", True  # a pair: no outlier for rule 2
                    elif not comes_back(self._level_before):
                        reason = "ectopic"
                elif (d > 1.0 and prev_d < -ECTOPIC_C1 * d - ECTOPIC_C2 and premature) or (
                    premature and rr > ref and prev_rel is not None and prev_rel < 0.0
                ):
                    # The paper's ectopic region, or the whole premature-compensatory pattern
                    # on its own (a premature beat within Th1 of a wide-swinging rhythm).
                    reason, retract = "ectopic", True
                    pair = True
            elif prev is not None and (self._prev_outlier or (after_range and prev < MIN_RR_MS)):
                if self._prev_reason != "long" and halves and split:
                    reason = "extra"
                elif not after_range and not comes_back(self._level):
                    reason = "ectopic"
            if reason is None:
                if m > MRR_LIMIT and rel >= LONG_FLOOR_FRACTION:
                    reason = "missed" if abs(rr / 2.0 - median) < th2 else "long"
                elif m < -MRR_LIMIT and rel <= -SHORT_FLOOR_FRACTION:
                    reason = "short"

        self._median.push(rr)
        if drr is not None:
            self._abs_drr.push(abs(drr))
        if mrr is not None:
            self._abs_mrr.push(abs(mrr))
        # This beat's d is evidence for the next beat only if measured between two kept beats.
        kept_pair = self._prev_accepted and not retract and reason is None
        self._prev_d = d if kept_pair else None
        self._prev_reason = reason
        self._prev_rel = rel
        self._prev_median = median
        # An outlier: rejected for its own value (rule 3) or as a spike's neighbour that did
        # not come back (rule 1b). Not after rules 1c and 2: that would allow a chain.
        self._prev_outlier = reason in ("short", "long") or (
            reason == "ectopic" and retract and not pair
        )
        doubtful = reason is None and d is not None and abs(d) > 1.0
        return reason, retract, doubtful

    def _retract_previous(self) -> None:
        """Take the previous (kept) beat back out of every rolling value."""
        self._n_rejected += 1
        if self._pending is not None:
            self._pending = None  # its difference was never counted
        elif self._prev_has_diff and self._diffs:
            _, sq = self._diffs.pop()
            self._sum_sq -= sq
            self._removed += 1
        self._prev_has_diff = False
        self._hr_rr, self._hr_rr_before = self._hr_rr_before, None
        self._level, self._level_before = self._level_before, None
        # A hole this beat closed is still recorded: it now ends at a later beat (or is open),
        # which the next accepted beat records in turn.
        self._beats.pop()
        if self._prev_in_cycle and self._cycle_hr:
            self._cycle_hr.pop()
        self._prev_accepted = False

    # --- RMSSD ------------------------------------------------------------------------------------

    def _commit(self, t_first_ms: float, sq: float) -> None:
        self._diffs.append((t_first_ms, sq))
        self._sum_sq += sq

    def _evict_diffs(self, now_ms: float) -> None:
        start = now_ms - self.window_s * _MS_PER_S
        diffs = self._diffs
        while diffs and diffs[0][0] <= start:
            self._sum_sq -= diffs.popleft()[1]
            self._removed += 1
        if self._removed >= max(len(diffs), _RESUM_AFTER_MIN):
            self._sum_sq = math.fsum(sq for _, sq in diffs)
            self._removed = 0

    def _rmssd(self) -> float | None:
        if not self._diffs:
            return None
        return math.sqrt(max(self._sum_sq, 0.0) / len(self._diffs))

    # --- RSA --------------------------------------------------------------------------------------

    def _update_breath(self, cycle: int | None, rr: float | None, gap_before: bool) -> None:
        if cycle != self._cycle:
            if self._cycle is not None and cycle is not None:
                # The open breath has ended (a breath interrupted by cycle None is dropped).
                whole = self._cycle_whole and len(self._cycle_hr) >= 2
                self._rsa = max(self._cycle_hr) - min(self._cycle_hr) if whole else None
            # A breath counts only when its start was seen: it follows another breath of the
            # same stream, or it is the pacer's first (cycle 0).
            self._cycle_whole = cycle is not None and (self._cycle is not None or cycle == 0)
            self._cycle = cycle
            self._cycle_hr = []
        elif gap_before:
            self._cycle_whole = False  # beats of this breath were lost: its peak may be missing
        self._prev_in_cycle = cycle is not None and rr is not None
        if self._prev_in_cycle and rr is not None:
            self._cycle_hr.append(MS_PER_MINUTE / rr)

    # --- coherence --------------------------------------------------------------------------------

    def _update_coherence(self, now: float) -> None:
        every = self.coherence_every_s
        # Keep one accepted beat at or before the window start: the left end of the interpolation.
        self._beats.drop_before(now - self.coherence_window_s)
        if self._next_coherence_s is None:
            self._next_coherence_s = (math.floor(now / every) + 1) * every
            return
        if now < self._next_coherence_s:
            return
        self._next_coherence_s = (math.floor(now / every) + 1) * every
        self._coherence_t = now
        self._coherence = None
        start = now - self._spectrum.span_s
        t, rr = self._beats.times(), self._beats.values()
        # The window must be covered, without a hole over COHERENCE_MAX_HOLE_S (the beat after
        # the latest one lies past the window start: it is in the window) and without a gap
        # of unknown length since one window ago.
        if (
            t.size == 0
            or t[0] > start
            or now - t[-1] > COHERENCE_MAX_HOLE_S
            or self._hole_end_s > start
            or self._unmeasured_gap_s > now - self.coherence_window_s
        ):
            return
        self._coherence = self._spectrum.ratio(t, rr, now)

    # --- output -----------------------------------------------------------------------------------

    def _make_update(
        self, now: float, rr: float, reason: RejectReason | None, retract: bool
    ) -> Update:
        rmssd = self._rmssd()
        coherence = self._coherence
        return Update(
            t_s=now,
            rr_ms=rr,
            accepted=reason is None,
            reason=reason,
            retracted_previous=retract,
            heart_rate_bpm=MS_PER_MINUTE / self._hr_rr if self._hr_rr is not None else None,
            rmssd_ms=rmssd,
            ln_rmssd=math.log(rmssd) if rmssd is not None and rmssd > 0.0 else None,
            rsa_bpm=self._rsa,
            coherence=coherence.ratio if coherence is not None else None,
            coherence_peak_hz=coherence.peak_hz if coherence is not None else None,
            coherence_t_s=self._coherence_t if coherence is not None else None,
            n_beats=self._n_beats,
            n_rejected=self._n_rejected,
        )
