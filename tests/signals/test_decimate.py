"""Decimation above 1000 Hz and the way back to the original rate (vagus.signals._decimate), on
synthetic signals with known beat times; MIT-BIH 100 at 2048 and 4000 Hz is in test_ecg_beats.py
and the pyphysio recording at 2048 Hz in test_ppg_beats.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from vagus.signals import BeatDetection, detect_ecg_beats, detect_ppg_beats
from vagus.signals._decimate import decimate, decimation_factor, to_original_rate
from vagus.signals._quality import basic_checks


@pytest.mark.parametrize(
    ("fs_hz", "factor"),
    [(100.0, 1), (1000.0, 1), (1000.5, 2), (2048.0, 3), (4000.0, 4), (16384.0, 17)],
)
def test_the_smallest_factor_that_reaches_1000_hz(fs_hz: float, factor: int) -> None:
    assert decimation_factor(fs_hz) == factor
    assert fs_hz / factor <= 1000.0


def test_beats_and_ranges_map_back_to_the_original_rate() -> None:
    decimated = BeatDetection(
        np.array([10, 20, 30]), 500.0, [(0, 5), (40, 50)], [], np.array([0.25, -0.5, 0.0])
    )
    back = to_original_rate(decimated, 4, 199, 2000.0)
    assert back.fs_hz == 2000.0
    assert np.allclose(back.times_s, decimated.times_s)
    assert np.all(np.abs(back.offsets) <= 0.5)
    assert back.unusable == [(0, 20), (160, 199)]  # outwards, and clipped to the signal


def test_quality_ranges_survive_decimation_outwards() -> None:
    """A flat line found at the original rate covers at least the same time after decimation,
    and not-a-number samples do not spread through the filter."""
    fs = 4000.0
    x = np.sin(np.arange(40_000) / fs * 2 * np.pi * 1.2)
    x[10_001:14_003] = x[10_001]
    x[20_000:20_010] = np.nan
    quality, finite, scale = basic_checks(x, fs, flat_min_s=0.5, clip_min_s=0.01)
    y, y_finite, y_scale, decimated = decimate(x, finite, scale, 4, quality)
    assert y.size == 10_000
    assert decimated.fs_hz == 1000.0
    (starts, stops) = decimated.by_reason["flat line"]
    assert starts[0] * 4 <= 10_001
    assert stops[0] * 4 >= 14_003
    assert np.count_nonzero(~np.isfinite(y)) == np.count_nonzero(~y_finite) <= 3
    assert 0.9 < y_scale <= 1.01


def pulses(fs_hz: float, width_s: float) -> np.ndarray:
    """Gaussian pulses of the given width at known times (0.8-0.9 s apart) for 27 s."""
    times = np.cumsum(np.random.default_rng(5).uniform(0.8, 0.9, 30)) + 0.5
    t = np.arange(0.0, float(times[-1]) + 1.0, 1.0 / fs_hz)
    return np.asarray(np.exp(-0.5 * ((t[:, None] - times) / width_s) ** 2).sum(axis=1))


@pytest.mark.parametrize("fs_hz", [2048, 4000, 10_000])
@pytest.mark.parametrize(
    ("detect", "width_s"), [(detect_ecg_beats, 0.012), (detect_ppg_beats, 0.08)]
)
def test_fast_signals_give_the_beats_of_the_same_signal_at_500_hz(
    fs_hz: int, detect: Any, width_s: float
) -> None:
    """The same pulses (a QRS-like spike of 12 ms for ECG, a smooth 80 ms wave for PPG) sampled
    at 500 Hz and at a high rate: the same beats, within 0.05 ms. Measured: within 0.004 ms for
    ECG and 0.0003 ms for PPG (the PPG's first and last pulses sit 0.9 and 1.2 ms from their true
    times at every rate: the edges of the zero-phase band-pass)."""
    slow = detect(pulses(500.0, width_s), 500.0)
    fast = detect(pulses(fs_hz, width_s), fs_hz)
    assert fast.fs_hz == fs_hz
    assert fast.peaks.size == slow.peaks.size == 30
    assert np.max(np.abs(fast.times_s - slow.times_s)) < 5e-5
