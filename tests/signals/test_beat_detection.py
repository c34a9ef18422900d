"""BeatDetection (intervals across unusable ranges), input validation, and random input.

Random input: whatever finite signal arrives at a valid rate, both detectors return a
BeatDetection whose invariants hold, or raise RrDataError; never anything else, and never a
RuntimeWarning from our code (pyproject.toml turns those into errors).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vagus.hrv import RrDataError
from vagus.signals import BeatDetection, detect_ecg_beats, detect_ppg_beats
from vagus.signals._detection import FloatArray, merge_ranges
from vagus.signals._quality import parabolic_offsets, runs

# --- BeatDetection -------------------------------------------------------------------------------


def detection(
    peaks: list[int], unusable: list[tuple[int, int]], fs: float = 100.0
) -> BeatDetection:
    return BeatDetection(np.asarray(peaks, dtype=np.intp), fs, unusable, [])


def test_rr_ms_without_unusable_ranges() -> None:
    assert detection([0, 80, 180], []).rr_ms().tolist() == [800.0, 1000.0]
    assert detection([5], []).rr_ms().size == 0
    assert detection([], []).rr_ms().size == 0


@pytest.mark.parametrize(
    ("unusable", "expected"),
    [
        ([(270, 300)], [800.0, 1000.0, 800.0]),  # after the last beat: nothing spans it
        ([(100, 150)], [800.0, 800.0]),  # between the 2nd and 3rd beat
        ([(80, 81)], [800.0, 800.0]),  # holding a beat: the interval after it
        ([(79, 80)], [1000.0, 800.0]),  # ending at a beat: the interval before it
        ([(0, 5), (85, 90)], [800.0]),
        ([(85, 90), (0, 5)], [800.0]),  # unsorted input
        ([(20, 30), (40, 50), (240, 250)], [1000.0]),
        ([(10, 300)], []),
    ],
)
def test_rr_ms_leaves_out_intervals_that_span_unusable_ranges(
    unusable: list[tuple[int, int]], expected: list[float]
) -> None:
    beats = detection([0, 80, 180, 260], unusable)
    assert beats.rr_ms().tolist() == expected


def test_times_include_sub_sample_offsets() -> None:
    beats = BeatDetection(np.array([10, 20]), 10.0, [], [], np.array([0.25, -0.5]))
    assert beats.times_s.tolist() == [1.025, 1.95]
    assert beats.rr_ms().tolist() == pytest.approx([925.0])


def test_merge_ranges_matches_a_plain_mask() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        starts = rng.integers(0, 200, 8)
        stops = starts + rng.integers(0, 20, 8)
        gap = int(rng.integers(0, 10))
        merged_starts, merged_stops = merge_ranges(starts, stops, gap)
        mask = np.zeros(230, dtype=bool)
        for a, b in zip(starts, stops, strict=True):
            mask[a:b] = True
        plain_starts, plain_stops = runs(mask)
        # joining gaps shorter than `gap` by hand
        keep = np.ones(plain_starts.size, dtype=bool)
        keep[1:] = plain_starts[1:] - plain_stops[:-1] >= max(gap, 1)
        first = np.flatnonzero(keep)
        last = np.append(first[1:] - 1, plain_starts.size - 1)
        assert merged_starts.tolist() == plain_starts[first].tolist()
        assert merged_stops.tolist() == plain_stops[last].tolist()


def test_runs_dense_and_sparse_paths_agree() -> None:
    rng = np.random.default_rng(1)
    for density in (0.01, 0.5, 0.99):
        mask = rng.random(5000) < density
        starts, stops = runs(mask)
        rebuilt = np.zeros_like(mask)
        for a, b in zip(starts, stops, strict=True):
            rebuilt[a:b] = True
        assert np.array_equal(rebuilt, mask)
        assert np.all(starts[1:] > stops[:-1])  # maximal runs


def test_parabolic_offsets_recover_the_vertex_of_a_parabola() -> None:
    vertex = np.linspace(-0.5, 0.5, 21)
    y = [-((k - vertex) ** 2) for k in (-1.0, 0.0, 1.0)]
    assert parabolic_offsets(*y) == pytest.approx(vertex, abs=1e-12)


# --- input validation ----------------------------------------------------------------------------

DETECTORS = [(detect_ecg_beats, 250.0, "ECG"), (detect_ppg_beats, 50.0, "PPG")]


@pytest.mark.parametrize(("detect", "fs", "what"), DETECTORS)
@pytest.mark.parametrize(
    ("signal", "message"),
    [
        (np.zeros((2, 1000)), "1-D array"),
        (np.float64(1.0), "1-D array"),
        (np.array(["a"] * 1000), "real numbers"),
        (np.ones(1000, dtype=complex), "real numbers"),
        ([[1.0, 2.0], [3.0]], "1-D array"),
        (np.full(1000, np.nan), "NaN or infinite"),
        (np.full(1000, np.inf), "NaN or infinite"),
        (np.zeros(5), "at least 3 s"),
        (np.zeros(0), "at least 3 s"),
    ],
)
def test_bad_signals_are_refused_with_one_clear_message(
    detect: Any, fs: float, what: str, signal: Any, message: str
) -> None:
    with pytest.raises(RrDataError, match=message) as error:
        detect(signal, fs)
    assert str(error.value).startswith(what)
    with pytest.raises(RrDataError, match=r"^recording\.edf: "):
        detect(signal, fs, source="recording.edf")


@pytest.mark.parametrize(("detect", "fs", "what"), DETECTORS)
@pytest.mark.parametrize("bad_fs", [0.0, -250.0, float("nan"), float("inf"), 200_000.0, 1.0])
def test_bad_sampling_rates_are_refused(detect: Any, fs: float, what: str, bad_fs: float) -> None:
    with pytest.raises(RrDataError, match="sampling rate between"):
        detect(np.zeros(100_000), bad_fs)


@pytest.mark.parametrize(("detect", "fs", "what"), DETECTORS)
@pytest.mark.parametrize("bad_fs", ["250", None, True])
def test_sampling_rate_must_be_a_number(detect: Any, fs: float, what: str, bad_fs: Any) -> None:
    with pytest.raises(RrDataError, match="sampling rate in Hz as a number"):
        detect(np.zeros(100_000), bad_fs)


def test_ecg_sampling_rate_bounds() -> None:
    """100 Hz up to 100 kHz; above 1000 Hz the signal is decimated (test_ecg_beats.py)."""
    x = np.sin(np.linspace(0, 20 * np.pi, 400_000))
    for fs in (100.0, 2000.0, np.float32(250.0), 360, 2048, 100_000):
        assert isinstance(detect_ecg_beats(x, fs), BeatDetection)
    for fs in (99.9, 100_000.5):
        with pytest.raises(RrDataError, match="between 100 and 100000 Hz"):
            detect_ecg_beats(x, fs)


@pytest.mark.parametrize(("detect", "fs", "what"), DETECTORS)
def test_nan_inside_a_signal_is_an_unusable_range_not_an_error(
    detect: Any, fs: float, what: str
) -> None:
    t = np.arange(0, 30, 1 / fs)
    signal = np.sin(2 * np.pi * 1.1 * t) ** 16
    signal[int(10 * fs) : int(12 * fs)] = np.nan
    beats = detect(signal, fs)
    assert any(start <= 10 * fs and 12 * fs <= stop for start, stop in beats.unusable)
    assert any("not-a-number" in warning for warning in beats.warnings)


# --- random input --------------------------------------------------------------------------------


def check_invariants(beats: BeatDetection, n: int) -> None:
    peaks = beats.peaks
    assert peaks.dtype == np.intp
    assert np.all(np.diff(peaks) > 0)
    assert peaks.size == 0 or (peaks[0] >= 0 and peaks[-1] < n)
    assert beats.offsets.size in (0, peaks.size)
    assert np.all(np.abs(beats.offsets) <= 0.5)
    previous_stop = -1
    for start, stop in beats.unusable:
        assert isinstance(start, int)
        assert isinstance(stop, int)
        assert previous_stop < start < stop <= n or (start == 0 and previous_stop == -1 < stop)
        assert not np.any((peaks >= start) & (peaks < stop))
        previous_stop = stop
    rr = beats.rr_ms()
    assert rr.size <= max(peaks.size - 1, 0)
    assert np.all(np.isfinite(rr))
    assert np.all(rr > 0)
    assert all(isinstance(warning, str) for warning in beats.warnings)


def run_both(signal: FloatArray, ecg_fs: float, ppg_fs: float) -> None:
    for detect, fs in ((detect_ecg_beats, ecg_fs), (detect_ppg_beats, ppg_fs)):
        try:
            beats = detect(signal, fs)
        except RrDataError:
            continue
        check_invariants(beats, signal.size)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    signal=hnp.arrays(
        np.float64,
        st.integers(0, 1200),
        elements=st.floats(allow_nan=False, allow_infinity=False, width=64),
    ),
    ecg_fs=st.floats(100.0, 400.0),
    ppg_fs=st.floats(20.0, 400.0),
)
def test_any_finite_values(signal: FloatArray, ecg_fs: float, ppg_fs: float) -> None:
    """Any float64 values at all, from subnormal to 1e308, of any length."""
    run_both(signal, ecg_fs, ppg_fs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    signal=hnp.arrays(
        np.float64,
        st.integers(300, 1200),
        elements=st.floats(width=64),  # NaN and infinities too: gaps, not errors
    ),
    ecg_fs=st.floats(100.0, 400.0),
    ppg_fs=st.floats(20.0, 400.0),
)
def test_any_values_with_gaps(signal: FloatArray, ecg_fs: float, ppg_fs: float) -> None:
    run_both(signal, ecg_fs, ppg_fs)


@st.composite
def shaped_signals(draw: st.DrawFn) -> tuple[FloatArray, float, float]:
    """Longer signals with structure (spike trains, sines, steps, noise, held values, gaps), at
    any magnitude, so that the detectors find beats and every code path runs."""
    fs = draw(st.floats(100.0, 1000.0))
    n = draw(st.integers(int(3 * fs), int(20 * fs)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = np.arange(n) / fs
    kind = draw(st.sampled_from(["spikes", "sine", "steps", "noise", "mixed"]))
    if kind == "spikes":
        rate = draw(st.floats(0.3, 4.0))
        signal = np.exp(-(((t * rate) % 1.0 - 0.5) ** 2) / 1e-4) + 0.01 * rng.normal(size=n)
    elif kind == "sine":
        signal = np.sin(2 * np.pi * draw(st.floats(0.1, 60.0)) * t)
    elif kind == "steps":
        signal = np.repeat(rng.normal(size=n // 50 + 1), 50)[:n]
    elif kind == "noise":
        signal = rng.standard_cauchy(n)
    else:
        signal = np.exp(-(((t * 1.2) % 1.0 - 0.5) ** 2) / 1e-4) + 0.3 * rng.normal(size=n)
    signal = signal * 10.0 ** draw(st.integers(-300, 300)) + draw(st.floats(-1e3, 1e3))
    signal[~np.isfinite(signal)] = 0.0
    for _ in range(draw(st.integers(0, 3))):  # held values and gaps
        a = draw(st.integers(0, n - 1))
        b = min(n, a + draw(st.integers(1, int(2 * fs))))
        signal[a:b] = draw(st.sampled_from([np.nan, signal[a], signal.max(), signal.min()]))
    return signal, fs, fs / draw(st.sampled_from([1.0, 2.0, 5.0]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=shaped_signals())
def test_shaped_signals(case: tuple[FloatArray, float, float]) -> None:
    signal, ecg_fs, ppg_fs = case
    run_both(signal, ecg_fs, max(ppg_fs, 20.0))


def test_spike_trains_of_any_magnitude_give_the_same_beats() -> None:
    """The shaped strategy's spike train at 1e-300 and 1e300: the detectors work on the signal
    scaled to at most 1, so nothing underflows or overflows and the beats are the same."""
    fs = 250.0
    t = np.arange(0, 20, 1 / fs)
    spikes = np.exp(-(((t * 1.2) % 1.0 - 0.5) ** 2) / 1e-4)
    spikes += 0.01 * np.random.default_rng(0).normal(size=t.size)
    for detect in (detect_ecg_beats, detect_ppg_beats):
        found = [detect(spikes * magnitude, fs).peaks for magnitude in (1e-300, 1.0, 1e300)]
        assert found[1].size == 24
        assert all(np.array_equal(f, found[1]) for f in found)
