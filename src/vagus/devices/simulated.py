"""A simulated heart whose respiratory sinus arrhythmia follows the breath: a sensor with no strap.

:class:`SimulatedSensor` yields beats from a small physiological model, so that the live
measurement, the breathing pacer's effect on HRV and the artifact correction can all be shown
and tested without hardware (DESIGN.md habit 10). :func:`simulate_rr` gives the same beats as
arrays, at once, for offline use.

The model
---------
Instantaneous heart rate, in beats per minute, on a 20 Hz grid::

    hr(t) = mean_hr + DIRECT * x(t) + BARO * (resonator * (x + lf_noise))(t) + vlf(t)

- ``x(t) = lung(t) - 0.5`` is the breath: lung fill from 0 (empty) to 1 (full), from the
  injected ``breathing(t)`` (the pacer's :attr:`~vagus.program.pacer.PacerState.lung`) or, when
  there is none, from the model's own spontaneous breathing: about 15 breaths a minute with
  breath-to-breath irregularity of rate and depth.
- ``DIRECT``: vagal outflow to the sinus node is gated by the breath, so the heart speeds up as
  the lungs fill and slows as they empty (respiratory sinus arrhythmia; Hirsch & Bishop 1981).
- ``BARO``: the baroreflex loop resonates near 0.1 Hz (6 breaths a minute) because of its delay
  (DeBoer et al. 1987); breathing at that rate drives heart-rate oscillations several times
  larger than ordinary breathing does (Vaschillo et al. 2002; Lehrer & Gevirtz 2014). The loop is
  modelled as a second-order band-pass at 0.1 Hz, which also turns small random blood-pressure
  disturbances (``lf_noise``) into the LF (Mayer-wave) rhythm of a resting recording.
- ``vlf``: slow wander (an Ornstein-Uhlenbeck process, time constant 40 s).

Beats are placed by the integral pulse frequency modulation (IPFM) model (Bayly 1968; Mateo &
Laguna 2000): the heart rate is integrated over time and a beat fires each time the integral
reaches one beat, so RR intervals are consistent with the heart rate between them, rather than
sampled from it. A small jitter of each beat's threshold adds beat-to-beat noise.

With the default gains the peak-to-trough heart rate per breath is about 15 bpm at 6 breaths a
minute and about 5 bpm at 15, steady from breath to breath when paced and irregular when not; at
rest SDNN is about 43 ms, RMSSD 40 ms, LF 300-500 ms^2 and HF about 800 ms^2 (near healthy
adults' norms, Nunan et al. 2010; HRV biofeedback studies report oscillations of this size at
slow breathing, Song & Lehrer 2003). People with the conditions vagus is for often have smaller
oscillations; the shape of the response, not its size, is the point here.

Optional artifacts turn a fraction of the beats into what a chest strap gets wrong: a missed
beat (two intervals reported as one), an extra detection (one interval split in two) or an
ectopic beat (a premature beat and its compensatory pause), so the artifact correction of
:func:`vagus.hrv.correct_rr` (Lipponen & Tarvainen 2019) has real work to do.

Everything is deterministic for a seed: the same seed gives the same heart, and the breathing
changes only what the breathing drives (the noise does not depend on it).

References
----------
Bayly EJ (1968). Spectral analysis of pulse frequency modulation in the nervous systems. IEEE
Trans Biomed Eng 15(4):257-265.
Bristow-Johnson R. Cookbook formulae for audio EQ biquad filter coefficients (the band-pass).
DeBoer RW, Karemaker JM, Strackee J (1987). Hemodynamic fluctuations and baroreflex sensitivity
in humans: a beat-to-beat model. Am J Physiol 253(3):H680-H689.
Hirsch JA, Bishop B (1981). Respiratory sinus arrhythmia in humans: how breathing pattern
modulates heart rate. Am J Physiol 241(4):H620-H629.
Lehrer PM, Gevirtz R (2014). Heart rate variability biofeedback: how and why does it work?
Front Psychol 5:756.
Mateo J, Laguna P (2000). Improved heart rate variability signal analysis from the beat
occurrence times according to the IPFM model. IEEE Trans Biomed Eng 47(8):985-996.
Nunan D, Sandercock GRH, Brodie DA (2010). A quantitative systematic review of normal values
for short-term heart rate variability in healthy adults. Pacing Clin Electrophysiol
33(11):1407-1417.
Song HS, Lehrer PM (2003). The effects of specific respiratory rates on heart rate and heart rate
variability. Appl Psychophysiol Biofeedback 28(1):13-23.
Vaschillo E, Lehrer P, Rishe N, Konstantinov M (2002). Heart rate variability biofeedback as a
method for assessing baroreflex function: a preliminary study of resonance in the
cardiovascular system. Appl Psychophysiol Biofeedback 27(1):1-27.

Examples
--------
>>> sim = simulate_rr(300.0, breathing=sine_breathing(6.0), seed=0)
>>> round(60.0 * sim.rr_ms.size / float(sim.t_s[-1]), 1)  # mean heart rate over 5 minutes, bpm
64.6
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from vagus.devices._sensor import Beat, SensorInfo, SensorKind
from vagus.devices.replay import MS_PER_S, Clock, Sleep, _ScheduledSensor
from vagus.hrv._constants import MIN_RR_MS
from vagus.hrv._types import FloatArray

#: Lung fill 0 (empty) .. 1 (full) at ``t_s`` seconds since the stream began, or ``None`` when
#: nobody paces the breath at that moment (the model then breathes spontaneously).
Breathing = Callable[[float], float | None]
ArtifactKind = Literal["missed", "extra", "ectopic"]
#: The artifacts a chest strap produces, drawn with equal probability.
ARTIFACT_KINDS: Final[tuple[ArtifactKind, ...]] = ("missed", "extra", "ectopic")

# --- Model grid ----------------------------------------------------------------------------------
#: Step of the model: 20 Hz, ten times the fastest breathing and heart-rate modulation modelled.
MODEL_STEP_S: Final[float] = 0.05
#: Time the model runs before the stream starts, so filters and noise are in steady state
#: (about ten time constants of the 0.1 Hz resonator; 1.5 of the VLF wander).
WARMUP_S: Final[float] = 60.0
#: Random numbers are drawn in blocks (one row per step) for speed; the sequence is the same.
_NOISE_BLOCK_STEPS: Final[int] = 4096

# --- Heart rate -----------------------------------------------------------------------------------
#: Accepted range of the mean heart rate, bpm: resting rates of adults, with room for RSA.
MIN_MEAN_HR_BPM: Final[float] = 40.0
MAX_MEAN_HR_BPM: Final[float] = 150.0
#: Instantaneous heart rate is kept within these, bpm, so every interval is a human one.
MIN_HR_BPM: Final[float] = 30.0
MAX_HR_BPM: Final[float] = 200.0
#: Direct (vagal gating) response to one whole breath, lung empty to full, peak-to-trough bpm.
DIRECT_RSA_BPM: Final[float] = 4.0
#: Baroreflex resonance: centre frequency (Vaschillo et al. 2002), quality factor (about the
#: width of the resonance curve these studies describe: 0.25 Hz breathing is driven at 31 % of
#: the 0.1 Hz response), and the response at resonance to one whole breath, peak-to-trough bpm.
BAROREFLEX_RESONANCE_HZ: Final[float] = 0.1
BAROREFLEX_Q: Final[float] = 1.5
BAROREFLEX_RSA_BPM: Final[float] = 11.0
#: SD of the LF (Mayer-wave) rhythm that random blood-pressure disturbances excite in the
#: resonating baroreflex at rest, bpm: about 450 ms^2 of LF power at 65 bpm, near the mean of
#: healthy adults' short-term norms (LF 519 ms^2, HF 657 ms^2; Nunan et al. 2010).
LF_SD_BPM: Final[float] = 1.5
#: Very-low-frequency wander of the heart rate: SD in bpm and correlation time in s.
VLF_SD_BPM: Final[float] = 2.0
VLF_CORRELATION_S: Final[float] = 40.0
#: Beat-to-beat noise: SD of each beat's IPFM threshold, as a fraction of one beat (about 4 ms
#: of an 920 ms interval).
BEAT_JITTER_FRACTION: Final[float] = 0.004

# --- Spontaneous breathing -----------------------------------------------------------------------
#: Unpaced resting breathing: 15 breaths a minute (adults breathe 12-20 at rest), with rate and
#: depth varying from breath to breath (coefficients of variation; slow Ornstein-Uhlenbeck
#: processes with the correlation time below).
SPONTANEOUS_RATE_BPM: Final[float] = 15.0
SPONTANEOUS_RATE_CV: Final[float] = 0.15
SPONTANEOUS_DEPTH_CV: Final[float] = 0.25
SPONTANEOUS_CORRELATION_S: Final[float] = 8.0
SPONTANEOUS_RATE_RANGE_BPM: Final[tuple[float, float]] = (8.0, 30.0)
SPONTANEOUS_MIN_DEPTH: Final[float] = 0.3

# --- Artifacts -----------------------------------------------------------------------------------
#: Largest fraction of beats that may be made artifacts (above 20 % a recording is unusable).
MAX_ARTIFACT_FRACTION: Final[float] = 0.2
#: Where an extra (false) detection splits an interval, as a fraction of it.
EXTRA_SPLIT_RANGE: Final[tuple[float, float]] = (0.35, 0.65)
#: How early an ectopic beat comes, as a fraction of the interval it shortens (MIT-BIH 100's
#: atrial premature beats are about 20 % early).
ECTOPIC_PREMATURITY_RANGE: Final[tuple[float, float]] = (0.2, 0.35)


def _check_range(name: str, value: float, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be {low:g}-{high:g}{unit}, got {value:g}")
    return float(value)


def sine_breathing(rate_bpm: float) -> Breathing:
    """Even, sinusoidal breathing at ``rate_bpm`` breaths a minute, starting empty at ``t = 0``.

    For any rate (also outside the pacer's 3-12 breaths a minute, such as ordinary breathing at
    15); to follow the pacer itself pass its lung fill instead (see :class:`SimulatedSensor`).

    Parameters
    ----------
    rate_bpm : float
        Breaths per minute, 1-60.

    Returns
    -------
    Breathing
        ``lung(t_s) = (1 - cos(2 pi f t_s)) / 2`` with ``f = rate_bpm / 60`` Hz.

    >>> lung = sine_breathing(6.0)
    >>> [round(lung(t), 3) for t in (0.0, 2.5, 5.0, 7.5, 10.0)]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    rate_hz = _check_range("rate_bpm", rate_bpm, 1.0, 60.0, " breaths/min") / 60.0

    def lung(t_s: float) -> float:
        return (1.0 - math.cos(2.0 * math.pi * rate_hz * t_s)) / 2.0

    return lung


@dataclass(frozen=True)
class _SinusBeat:
    t_s: float  # stream time of the beat, s
    hr_bpm: float  # model heart rate when it fired, bpm


class _Heart:
    """The model of the module docstring, stepped on a fixed grid; one instance per stream."""

    def __init__(self, *, breathing: Breathing | None, mean_hr_bpm: float, seed: int) -> None:
        self._breathing = breathing
        self._mean_hr_bpm = mean_hr_bpm
        model_seq, beat_seq, self.artifact_seq = np.random.SeedSequence(seed).spawn(3)
        self._noise_rng = np.random.default_rng(model_seq)
        self._beat_rng = np.random.default_rng(beat_seq)
        self._noise: list[list[float]] = []
        self._row = 0
        dt = MODEL_STEP_S
        # Band-pass biquad, 0 dB at the centre (Bristow-Johnson's cookbook: the bilinear
        # transform of H(s) = (w0/Q) s / (s^2 + (w0/Q) s + w0^2), prewarped at w0).
        w0 = 2.0 * math.pi * BAROREFLEX_RESONANCE_HZ * dt
        alpha = math.sin(w0) / (2.0 * BAROREFLEX_Q)
        a0 = 1.0 + alpha
        self._b0, self._b2 = alpha / a0, -alpha / a0
        self._a1, self._a2 = -2.0 * math.cos(w0) / a0, (1.0 - alpha) / a0
        self._s1 = self._s2 = 0.0
        # White noise of SD d per step drives the band-pass to an output variance of
        # d^2 * dt * w0 / (2 Q) (its noise bandwidth), so this d gives an LF rhythm of LF_SD_BPM.
        noise_gain = math.sqrt(dt * 2.0 * math.pi * BAROREFLEX_RESONANCE_HZ / (2.0 * BAROREFLEX_Q))
        self._lf_drive = LF_SD_BPM / BAROREFLEX_RSA_BPM / noise_gain
        # AR(1) coefficients: the exact discretisation of the Ornstein-Uhlenbeck processes.
        vlf_a = math.exp(-dt / VLF_CORRELATION_S)
        breath_a = math.exp(-dt / SPONTANEOUS_CORRELATION_S)
        self._vlf_a, self._vlf_innovation = vlf_a, VLF_SD_BPM * math.sqrt(1.0 - vlf_a**2)
        self._breath_a, self._breath_innovation = breath_a, math.sqrt(1.0 - breath_a**2)
        # Start the noise processes in their stationary distribution.
        first = self._noise_row()
        self._vlf, self._rate_z, self._depth_z = VLF_SD_BPM * first[0], first[1], first[2]
        self._breath_phase = 0.0
        self._hr_bpm = mean_hr_bpm  # the rate during the last step, bpm
        self._step = 0
        self._origin_s = 0.0  # model time of the stream's t = 0
        self._integral = 0.0  # beats accumulated since the last beat (IPFM)
        self._threshold = self._next_threshold()

    def _noise_row(self) -> list[float]:
        """Four standard normal numbers for one step: VLF, breath rate, breath depth, LF."""
        if self._row == len(self._noise):
            self._noise = self._noise_rng.standard_normal((_NOISE_BLOCK_STEPS, 4)).tolist()
            self._row = 0
        row = self._noise[self._row]
        self._row += 1
        return row

    def _next_threshold(self) -> float:
        jitter = BEAT_JITTER_FRACTION * float(self._beat_rng.standard_normal())
        return 1.0 + min(max(jitter, -0.05), 0.05)

    def _spontaneous_x(self, rate_noise: float, depth_noise: float) -> float:
        low, high = SPONTANEOUS_RATE_RANGE_BPM
        rate_bpm = SPONTANEOUS_RATE_BPM * (1.0 + SPONTANEOUS_RATE_CV * self._rate_z)
        rate_bpm = min(max(rate_bpm, low), high)
        self._breath_phase = (
            self._breath_phase + 2.0 * math.pi * rate_bpm / 60.0 * MODEL_STEP_S
        ) % (2.0 * math.pi)
        depth = max(1.0 + SPONTANEOUS_DEPTH_CV * self._depth_z, SPONTANEOUS_MIN_DEPTH)
        self._rate_z = self._breath_a * self._rate_z + self._breath_innovation * rate_noise
        self._depth_z = self._breath_a * self._depth_z + self._breath_innovation * depth_noise
        return -0.5 * depth * math.cos(self._breath_phase)  # starts empty, like the pacer

    def _breath_x(self, t_s: float | None, spontaneous_x: float) -> float:
        if t_s is None or self._breathing is None:
            return spontaneous_x
        lung = self._breathing(t_s)
        if lung is None:
            return spontaneous_x
        if not (math.isfinite(lung) and 0.0 <= lung <= 1.0):
            raise ValueError(f"breathing({t_s:.3f}) must be a lung fill 0..1 or None, got {lung}")
        return lung - 0.5

    def _advance(self, stream: bool) -> float | None:
        """One model step; the beat's model time if one fired during it, else None."""
        vlf_noise, rate_noise, depth_noise, lf_noise = self._noise_row()
        start_s = self._step * MODEL_STEP_S
        # The spontaneous breath always runs (and draws its noise), so that pacing the breath
        # changes nothing but the breath: the same seed keeps the same noise.
        spontaneous_x = self._spontaneous_x(rate_noise, depth_noise)
        x = self._breath_x(start_s - self._origin_s if stream else None, spontaneous_x)
        u = x + self._lf_drive * lf_noise
        y = self._b0 * u + self._s1  # direct form II transposed
        self._s1 = -self._a1 * y + self._s2
        self._s2 = self._b2 * u - self._a2 * y
        hr = self._mean_hr_bpm + DIRECT_RSA_BPM * x + BAROREFLEX_RSA_BPM * y + self._vlf
        hr = min(max(hr, MIN_HR_BPM), MAX_HR_BPM)
        self._vlf = self._vlf_a * self._vlf + self._vlf_innovation * vlf_noise
        self._hr_bpm = hr
        self._step += 1
        gain = hr / 60.0 * MODEL_STEP_S  # beats during this step (the rate is held over it)
        if self._integral + gain < self._threshold:
            self._integral += gain
            return None
        # IPFM: the beat fires where the integral reaches the threshold, found by linear
        # interpolation within the step; the surplus carries over to the next beat. A step
        # (50 ms) is shorter than any interval (300 ms at 200 bpm), so one beat at most.
        fraction = (self._threshold - self._integral) / gain
        self._integral = self._integral + gain - self._threshold
        self._threshold = self._next_threshold()
        return start_s + fraction * MODEL_STEP_S

    def beats(self) -> Iterator[_SinusBeat]:
        """The heart's own (sinus) beats after the stream's start, forever."""
        warmup_steps = round(WARMUP_S / MODEL_STEP_S)
        while self._step < warmup_steps:
            self._advance(stream=False)
        fired: float | None = None
        while fired is None:
            fired = self._advance(stream=False)
        self._origin_s = fired  # the stream starts on a beat, as a strap's first interval does
        while True:
            fired = self._advance(stream=True)
            if fired is not None:
                yield _SinusBeat(t_s=fired - self._origin_s, hr_bpm=self._hr_bpm)


@dataclass(frozen=True)
class _Reported:
    t_s: float
    hr_bpm: float
    artifact: ArtifactKind | None


def _with_artifacts(
    sinus: Iterator[_SinusBeat], fraction: float, seq: np.random.SeedSequence
) -> Iterator[_Reported]:
    """The beats a strap reports: the sinus beats with ``fraction`` of them made artifacts.

    After an artifact the next beat is always reported as it is, so that each artifact stands
    alone as in the patterns of Lipponen & Tarvainen 2019; to keep the rate at ``fraction`` of
    all sinus beats, each eligible beat is hit with probability ``fraction / (1 - fraction)``.
    """
    rng = np.random.default_rng(seq)
    p_eligible = fraction / (1.0 - fraction)
    previous_s = 0.0  # the sinus beat before (the stream starts on one, at t = 0)
    eligible = True
    pending_missed = False
    for beat in sinus:
        rr_s = beat.t_s - previous_s
        kind: ArtifactKind | None = None
        if eligible and fraction > 0.0 and rng.random() < p_eligible:
            kind = ARTIFACT_KINDS[int(rng.integers(len(ARTIFACT_KINDS)))]
            share = float(rng.random())
            if kind == "extra" and rr_s * MS_PER_S < 2.0 * MIN_RR_MS:
                kind = "missed"  # split, it would give intervals no heart makes
        eligible = kind is None
        if kind == "missed":
            pending_missed = True  # not reported: the next interval spans two
        elif kind == "extra":
            low, high = EXTRA_SPLIT_RANGE
            split_s = previous_s + (low + (high - low) * share) * rr_s
            yield _Reported(split_s, beat.hr_bpm, "extra")
            yield _Reported(beat.t_s, beat.hr_bpm, None)
        elif kind == "ectopic":
            # A premature beat; the sinus beat it pre-empts falls in the refractory period and
            # is not conducted, so the next interval is the compensatory pause.
            low, high = ECTOPIC_PREMATURITY_RANGE
            early_s = beat.t_s - (low + (high - low) * share) * rr_s
            yield _Reported(early_s, beat.hr_bpm, "ectopic")
        else:
            yield _Reported(beat.t_s, beat.hr_bpm, "missed" if pending_missed else None)
            pending_missed = False
        previous_s = beat.t_s


def _check_model(
    breathing: Breathing | None, mean_hr_bpm: float, seed: int, artifacts: float
) -> tuple[float, int, float]:
    if breathing is not None and not callable(breathing):
        raise ValueError(
            f"breathing must be a function of time (s) -> lung fill 0..1, got {breathing!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    mean = _check_range("mean_hr_bpm", mean_hr_bpm, MIN_MEAN_HR_BPM, MAX_MEAN_HR_BPM, " bpm")
    fraction = _check_range("artifacts", artifacts, 0.0, MAX_ARTIFACT_FRACTION, " (a fraction)")
    return mean, seed, fraction


def _reported_beats(
    breathing: Breathing | None, mean_hr_bpm: float, seed: int, artifacts: float
) -> Iterator[_Reported]:
    heart = _Heart(breathing=breathing, mean_hr_bpm=mean_hr_bpm, seed=seed)
    return _with_artifacts(heart.beats(), artifacts, heart.artifact_seq)


@dataclass(frozen=True, eq=False)
class SimulatedRr:
    """Beats from :func:`simulate_rr`, with what each one is.

    Attributes
    ----------
    t_s : numpy.ndarray
        Beat times in s since the start, increasing.
    rr_ms : numpy.ndarray
        The interval that ends with each beat, in ms (``rr_ms[0]`` starts at ``t = 0``).
    hr_bpm : numpy.ndarray
        The model's heart rate when each beat fired, bpm.
    artifact : tuple of (ArtifactKind or None)
        ``"missed"`` on the interval that spans a beat not reported, ``"extra"`` on the first of
        the two intervals a false detection makes, ``"ectopic"`` on the premature beat's short
        interval (the next one is its compensatory pause); ``None`` for normal beats.
    """

    t_s: FloatArray
    rr_ms: FloatArray
    hr_bpm: FloatArray
    artifact: tuple[ArtifactKind | None, ...]

    def artifact_count(self, kind: ArtifactKind | None = None) -> int:
        """How many artifacts there are (of one kind, or of all)."""
        return sum(1 for a in self.artifact if a is not None and (kind is None or a == kind))


def simulate_rr(
    duration_s: float,
    *,
    breathing: Breathing | None = None,
    mean_hr_bpm: float = 65.0,
    seed: int = 0,
    artifacts: float = 0.0,
) -> SimulatedRr:
    """The beats :class:`SimulatedSensor` yields in its first ``duration_s`` seconds, at once.

    Parameters
    ----------
    duration_s : float
        Seconds of beats, > 0; beats with ``t_s <= duration_s`` are returned.
    breathing, mean_hr_bpm, seed, artifacts
        As for :class:`SimulatedSensor`.

    Returns
    -------
    SimulatedRr
        The beats, and which ones are artifacts.

    Raises
    ------
    ValueError
        For a parameter outside its range (the message names it).

    >>> sim = simulate_rr(60.0, artifacts=0.1, seed=0)
    >>> sim.rr_ms.size, sim.artifact_count(), sim.artifact[:3]
    (68, 5, (None, 'ectopic', None))
    """
    duration = _check_range("duration_s", duration_s, 0.0, math.inf, " s")
    mean, seed, fraction = _check_model(breathing, mean_hr_bpm, seed, artifacts)
    times: list[float] = []
    rates: list[float] = []
    kinds: list[ArtifactKind | None] = []
    for beat in _reported_beats(breathing, mean, seed, fraction):
        if beat.t_s > duration:
            break
        times.append(beat.t_s)
        rates.append(beat.hr_bpm)
        kinds.append(beat.artifact)
    t_s = np.array(times, dtype=np.float64)
    rr_ms = np.diff(t_s, prepend=0.0) * MS_PER_S
    return SimulatedRr(t_s, rr_ms, np.array(rates, dtype=np.float64), tuple(kinds))


class SimulatedSensor(_ScheduledSensor):
    """Synthetic beats from a model heart whose RSA follows the breath (see the module docstring).

    Parameters
    ----------
    breathing : callable, optional
        ``breathing(t_s) -> lung fill 0..1, or None``, with ``t_s`` seconds since the sensor
        was entered (the beats' own timeline). Pass the breathing pacer's lung fill, for
        example ``lambda t: phase_at(pattern, t).lung``, or ``None`` (return or pass) where
        nobody paces the breath: the model then breathes on its own at about 15 breaths a
        minute, irregularly. It is called every 50 ms of simulated time, up to one beat ahead of
        the beat being yielded, so it must be cheap and may read live state (a paused session).
    mean_hr_bpm : float
        Mean heart rate, 40-150 bpm.
    seed : int
        Seed (>= 0): the same seed gives the same beats.
    artifacts : float
        Fraction of the heart's beats made into strap artifacts, 0-0.2, shared equally by missed,
        extra and ectopic beats.
    speed : float
        Time runs ``speed`` times faster than real time (> 0).
    sleep, clock
        Injected for tests: ``await sleep(seconds)`` and a monotonic clock in seconds.

    Raises
    ------
    ValueError
        For a parameter outside its range (the message names it).

    Notes
    -----
    Beats have ``hr_bpm`` (the model's heart rate, rounded to a whole bpm as straps report it)
    and never ``gap_before``. Entering again restarts the same heart from its beginning.

    Examples
    --------
    >>> import asyncio
    >>> async def first_three(sensor: SimulatedSensor) -> list[Beat]:
    ...     beats = []
    ...     async with sensor:
    ...         async for beat in sensor.beats():
    ...             beats.append(beat)
    ...             if len(beats) == 3:
    ...                 break
    ...     return beats
    >>> beats = asyncio.run(first_three(SimulatedSensor(seed=7, speed=1e6)))
    >>> [b.t_s for b in beats] == simulate_rr(3.0, seed=7).t_s[:3].tolist()
    True
    >>> beats[0].hr_bpm == round(beats[0].hr_bpm)
    True
    """

    KIND: Final[SensorKind] = "simulated"

    def __init__(
        self,
        *,
        breathing: Breathing | None = None,
        mean_hr_bpm: float = 65.0,
        seed: int = 0,
        artifacts: float = 0.0,
        speed: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(speed=speed, sleep=sleep, clock=clock)
        self._breathing = breathing
        self._mean_hr_bpm, self._seed, self._artifacts = _check_model(
            breathing, mean_hr_bpm, seed, artifacts
        )
        paced = "paced" if breathing is not None else "spontaneous breathing"
        self._info = SensorInfo(
            kind=self.KIND,
            name=f"simulated: {self._mean_hr_bpm:g} bpm, {paced}, seed {self._seed}",
        )

    @property
    def info(self) -> SensorInfo:
        """``kind="simulated"``; the name says the mean heart rate, breathing and seed."""
        return self._info

    def _schedule(self) -> Iterator[Beat]:
        previous_s = 0.0
        for beat in _reported_beats(
            self._breathing, self._mean_hr_bpm, self._seed, self._artifacts
        ):
            yield Beat(
                t_s=beat.t_s,
                rr_ms=(beat.t_s - previous_s) * MS_PER_S,
                hr_bpm=float(round(beat.hr_bpm)),
            )
            previous_s = beat.t_s
