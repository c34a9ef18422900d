"""Systolic-peak detection (Elgendi et al. 2013) against simultaneous ECG, on synthetic pulses
with known beat times, and the quality checks.

Reference recording: pyphysio's 120 s of simultaneous ECG and blood-volume pulse (see
conftest.py), decimated from 2048 to 1024 Hz. Every bound says what was measured when it was set.
"""

from __future__ import annotations

import numpy as np
import pytest
from beat_reference import EcgPpg

from vagus.hrv import RrDataError, analyze
from vagus.signals import BeatDetection, detect_ecg_beats, detect_ppg_beats
from vagus.signals._detection import FloatArray, IntArray
from vagus.signals.ppg import PRV_WARNING

#: Pulse transit time window: each PPG peak follows its R peak by the time the pulse wave takes
#: to reach the sensor (measured here: median 363 ms).
TRANSIT_S = (0.15, 0.60)


def match_to_r_peaks(ecg: BeatDetection, ppg: BeatDetection) -> IntArray:
    """For every R peak, the index of the first PPG peak within the transit window after it, or
    -1; no PPG peak is used twice."""
    r, p = ecg.times_s, ppg.times_s
    first_after = np.searchsorted(p, r + TRANSIT_S[0])
    candidate = np.minimum(first_after, p.size - 1)
    delay = p[candidate] - r
    ok = (first_after < p.size) & (delay >= TRANSIT_S[0]) & (delay <= TRANSIT_S[1])
    ok[1:] &= candidate[1:] != candidate[:-1]
    return np.where(ok, candidate, -1).astype(np.intp)


def rmssd(rr_ms: FloatArray) -> float:
    value = analyze(rr_ms).indices["rmssd"]
    assert value is not None
    return value


def test_ppg_intervals_follow_ecg_intervals(pyphysio_ecg_ppg: EcgPpg) -> None:
    """Measured: 135 of 139 R peaks have their pulse (97.1 %; the rest fall in motion artefacts
    at 62-71 s and 114 s), transit time 363 ms, mean absolute difference between matched PPG and
    ECG intervals 8.6 ms (median 3.4 ms), RMSSD 35.3 ms from PPG against 32.7 ms from ECG
    (ratio 1.08; both through vagus.hrv.analyze with artifact correction, which corrects 8.6 %
    of the PPG intervals and none of the ECG ones)."""
    data = pyphysio_ecg_ppg
    ecg = detect_ecg_beats(data.ecg, data.fs_hz)
    ppg = detect_ppg_beats(data.ppg, data.fs_hz)
    assert ecg.peaks.size == 139  # 70 bpm for 120 s; pyphysio's own tests count the same

    matched = match_to_r_peaks(ecg, ppg)
    assert np.mean(matched >= 0) >= 0.95
    transit_s = ppg.times_s[matched[matched >= 0]] - ecg.times_s[matched >= 0]
    assert 0.30 < float(np.median(transit_s)) < 0.42

    pairs = (matched[:-1] >= 0) & (matched[1:] == matched[:-1] + 1)
    ecg_rr = np.diff(ecg.times_s)[pairs] * 1000.0
    ppg_rr = (ppg.times_s[matched[1:][pairs]] - ppg.times_s[matched[:-1][pairs]]) * 1000.0
    assert pairs.sum() >= 125
    assert float(np.mean(np.abs(ppg_rr - ecg_rr))) < 15.0

    ratio = rmssd(ppg.rr_ms()) / rmssd(ecg.rr_ms())
    assert 0.8 <= ratio <= 1.4
    assert PRV_WARNING in ppg.warnings


# --- synthetic pulses with known beat times ------------------------------------------------------


def synthetic_ppg(fs_hz: float, duration_s: float = 120.0) -> tuple[FloatArray, FloatArray]:
    """A pulse wave (systolic wave, and a dicrotic wave 320 ms later) at known times: 70 bpm
    with a 0.25 Hz breathing rhythm of +-50 ms and 10 ms jitter, on 0.1 Hz baseline wander with
    1 % noise. Returns the signal and the systolic peak times in s."""
    rng = np.random.default_rng(3)
    beats = [0.5]
    while beats[-1] < duration_s - 1.0:
        last = beats[-1]
        beats.append(last + 0.85 + 0.05 * np.sin(2 * np.pi * 0.25 * last) + rng.normal(0, 0.01))
    times = np.asarray(beats)
    t = np.arange(0.0, duration_s, 1.0 / fs_hz)
    lag = t[:, None] - times[None, :]
    wave = np.exp(-0.5 * (lag / 0.07) ** 2) + 0.35 * np.exp(-0.5 * ((lag - 0.32) / 0.09) ** 2)
    signal = wave.sum(axis=1) + 0.3 * np.sin(2 * np.pi * 0.1 * t) + rng.normal(0, 0.01, t.size)
    return signal, times


@pytest.mark.parametrize("fs_hz", [20, 25, 50, 100])
def test_synthetic_pulses_are_all_found_at_their_times(fs_hz: int) -> None:
    """Measured: all 141 pulses at every rate; interval error (mean absolute) 1.4, 1.1, 0.9 and
    0.7 ms at 20, 25, 50 and 100 Hz, against 13, 13, 6.1 and 3.2 ms from whole samples."""
    signal, truth = synthetic_ppg(fs_hz)
    beats = detect_ppg_beats(signal, fs_hz)
    assert beats.peaks.size == truth.size
    assert beats.unusable == []
    true_rr = np.diff(truth) * 1000.0
    error_ms = np.abs(beats.rr_ms() - true_rr)
    assert float(np.mean(error_ms)) < 2.0
    whole = np.diff(beats.peaks / fs_hz) * 1000.0
    assert float(np.mean(np.abs(whole - true_rr))) > 2 * float(np.mean(error_ms))


# --- quality -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("flat", "flat line"),
        ("nan", "not-a-number"),
        ("saturated", "clipping"),
        ("clipped", "clipping"),
    ],
)
def test_bad_stretches_are_unusable_without_pulses_or_intervals(kind: str, reason: str) -> None:
    fs_hz = 50
    signal, _ = synthetic_ppg(fs_hz)
    a, b = 40 * fs_hz, 50 * fs_hz
    if kind == "flat":  # finger off the sensor: the last value held
        signal[a:b] = signal[a]
    elif kind == "nan":
        signal[a:b] = np.nan
    elif kind == "saturated":  # the photodiode at its upper rail
        signal[a:b] = signal.max()
    else:  # gain too high: every pulse top cut at the rails
        high, low = signal.max(), signal.min()
        signal[a:b] = np.clip((signal[a:b] - np.median(signal)) * 4, low, high)
    beats = detect_ppg_beats(signal, fs_hz)

    covered = np.zeros(signal.size, dtype=bool)
    for start, stop in beats.unusable:
        covered[start:stop] = True
    assert covered[a:b].mean() >= 0.9
    assert not np.any((beats.peaks >= a) & (beats.peaks < b))
    assert beats.rr_ms().max() < 1200.0  # the longest true interval is 0.91 s
    assert any(reason in warning for warning in beats.warnings)


def test_every_ppg_result_carries_the_prv_caveat() -> None:
    flat = detect_ppg_beats(np.ones(500), 50)
    assert flat.peaks.size == 0
    assert PRV_WARNING in flat.warnings
    assert "pulse-rate variability" in PRV_WARNING


@pytest.mark.parametrize(
    ("fs_hz", "ok"), [(19.9, False), (20, True), (2000, True), (2000.1, False)]
)
def test_ppg_sampling_rate_bounds(fs_hz: float, ok: bool) -> None:
    signal = np.sin(np.linspace(0, 30 * np.pi, int(10 * fs_hz)))
    if ok:
        assert isinstance(detect_ppg_beats(signal, fs_hz), BeatDetection)
    else:
        with pytest.raises(RrDataError, match="between 20 and 2000 Hz"):
            detect_ppg_beats(signal, fs_hz)
