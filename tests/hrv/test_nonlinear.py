"""Nonlinear indices against NeuroKit2, independent plain computations and known answers."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import neurokit2 as nk
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from neurokit2.hrv.hrv_nonlinear import _hrv_nonlinear_poincare

import vagus.hrv._nonlinear as nl
from vagus.hrv._constants import DFA_ALPHA1_BEATS, DFA_ALPHA2_BEATS, SAMPEN_R_FACTOR
from vagus.hrv._nonlinear import (
    NONLINEAR_KEYS,
    SAMPEN_EXACT_MAX_PAIRS,
    _match_counts_exact,
    _match_counts_reference,
    _sample_entropy_reference,
    dfa_alpha,
    dfa_fluctuation,
    nonlinear_domain,
    poincare,
    sample_entropy,
)
from vagus.hrv._types import FloatArray

# The same formulas as NeuroKit2 (see the module docstring): agreement to rounding error.
REL_NK = 1e-9


def day_like(n: int, seed: int) -> FloatArray:
    """RR in ms with what a 24-hour recording has: a day/night swing, a random-walk drift,
    respiratory sinus arrhythmia and beat-to-beat noise, quantised to 1 ms (ties)."""
    rng = np.random.default_rng(seed)
    beat = np.arange(n)
    swing = 120.0 * np.sin(2 * np.pi * beat / max(n, 1))
    drift = np.cumsum(rng.normal(0.0, 0.5, n))
    rsa = 25.0 * np.sin(2 * np.pi * beat / 4.3)
    return np.round(850.0 + swing + drift + rsa + rng.normal(0.0, 20.0, n))


def pink_noise(n: int, seed: int) -> FloatArray:
    """1/f noise by spectral shaping of white noise, as RR in ms."""
    rng = np.random.default_rng(seed)
    size = 1 << int(math.ceil(math.log2(n)) + 1)
    spectrum = np.fft.rfft(rng.normal(size=size))
    freq = np.fft.rfftfreq(size)
    spectrum[0] = 0.0
    spectrum[1:] /= np.sqrt(freq[1:])
    signal = np.fft.irfft(spectrum, size)[:n]
    return 800.0 + 30.0 * signal / np.std(signal)


# --- Poincaré ------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["nn_short", "nn_long"])
def test_poincare_agrees_with_neurokit2(which: str, request: pytest.FixtureRequest) -> None:
    nn = request.getfixturevalue(which)
    ours = poincare(nn)
    theirs = _hrv_nonlinear_poincare(nn, out={})
    # Same formulas (sample SD of the rotated plot): relative 1e-9.
    for key, nk_key in [("sd1", "SD1"), ("sd2", "SD2"), ("sd1_sd2", "SD1SD2")]:
        assert ours[key] == pytest.approx(float(theirs[nk_key]), rel=REL_NK), key
    assert ours["poincare_area"] == pytest.approx(float(theirs["S"]), rel=REL_NK)


@pytest.mark.filterwarnings("ignore")
def test_public_hrv_nonlinear_agrees_on_the_5_minute_series(nn_short: FloatArray) -> None:
    nn = nn_short
    # NeuroKit2's public entry point takes R-peak sample numbers: RR at 1000 Hz, exact for the
    # integer-ms series. Its RR come back as diff(peaks) / 1000 * 1000 (rounding at 1e-16).
    peaks = np.concatenate([[0], np.cumsum(nn)]).astype(np.int64)
    theirs = nk.hrv_nonlinear(peaks, sampling_rate=1000).iloc[0]
    ours = nonlinear_domain(nn)
    # Relative 1e-9 for every index computed the same way. DFA alpha1 is not compared here:
    # hrv_nonlinear uses 50 % overlapping boxes of 4-11 beats by design (see the DFA tests).
    for key, nk_key in [
        ("sd1", "HRV_SD1"),
        ("sd2", "HRV_SD2"),
        ("sd1_sd2", "HRV_SD1SD2"),
        ("poincare_area", "HRV_S"),
        ("sampen", "HRV_SampEn"),
    ]:
        assert ours[key] == pytest.approx(float(theirs[nk_key]), rel=REL_NK), key


def test_poincare_by_hand() -> None:
    # x = 800, 810, 790. Differences -10, 20; SD1 = SD([-10, 20] / sqrt 2, n-1)
    # = |(-10) - 20| / sqrt 2 / sqrt 2 = 15. Sums 1610, 1600; SD2 = 10 / 2 = 5.
    out = poincare(np.array([800.0, 810.0, 790.0]))
    # Exact up to rounding: relative 1e-12.
    assert out["sd1"] == pytest.approx(15.0, rel=1e-12)
    assert out["sd2"] == pytest.approx(5.0, rel=1e-12)
    assert out["sd1_sd2"] == pytest.approx(3.0, rel=1e-12)
    assert out["poincare_area"] == pytest.approx(75.0 * math.pi, rel=1e-12)


def test_poincare_ratio_undefined_when_sd2_is_zero() -> None:
    # Alternating 800, 900: every x_n + x_n+1 = 1700, so SD2 = 0 (exactly, not 1e-13 noise).
    out = poincare(np.tile([800.0, 900.0], 50))
    assert out["sd2"] == 0.0
    assert out["sd1_sd2"] is None
    assert out["poincare_area"] == 0.0
    # SD1 = SD of +-100 / sqrt 2: 70.7 ms (71.1 with the n-1 of 99 differences), 1 %.
    assert out["sd1"] == pytest.approx(100.0 / math.sqrt(2), rel=0.01)


# --- DFA -----------------------------------------------------------------------------------------
def box_residuals(x: FloatArray, n: int) -> FloatArray:
    """Residuals of a np.polyfit line per box of n beats, one row per box."""
    profile = np.cumsum(x - np.mean(x))
    beats = np.arange(n)
    rows = []
    for start in range(0, (len(x) // n) * n, n):
        box = profile[start : start + n]
        rows.append(box - np.polyval(np.polyfit(beats, box, 1), beats))
    return np.array(rows)


def dfa_plain(x: FloatArray, sizes: range) -> FloatArray:
    """F(n) box by box with np.polyfit: independent of the vectorised closed form."""
    return np.array([math.sqrt(float(np.mean(box_residuals(x, n) ** 2))) for n in sizes])


def continuous_series() -> list[tuple[str, FloatArray]]:
    rng = np.random.default_rng(11)
    return [
        ("white", rng.normal(800.0, 50.0, 3000)),
        ("random walk", 800.0 + np.cumsum(rng.normal(0.0, 5.0, 3000))),
        ("pink", pink_noise(3000, 3)),
    ]


@pytest.mark.parametrize(("min_box", "max_box"), [DFA_ALPHA1_BEATS, DFA_ALPHA2_BEATS])
@pytest.mark.parametrize("case", range(4))
def test_dfa_agrees_with_neurokit2_non_overlapping(
    case: int, min_box: int, max_box: int, nn_long: FloatArray
) -> None:
    # nk.fractal_dfa(overlap=False) does what Peng 1995 does (profile = cumsum(x - mean), boxes
    # from the start, linear fit per box, RMS over boxes, slope of log F on log n), except that
    # it drops boxes whose residual variance is ~0. On continuous values no box is exactly
    # linear, so the two agree: relative 1e-9 for F(n) and for alpha. The real series, recorded
    # at 128 Hz, is de-quantised by a uniform +-3.9 ms (half a sample) dither, with a seed for
    # which no box falls under NK's threshold (checked; see the next two tests for the series
    # as recorded).
    if case < 3:
        x = continuous_series()[case][1]
    else:
        x = nn_long + np.random.default_rng(0).uniform(-3.9, 3.9, nn_long.size)
    scale = np.arange(min_box, max_box + 1)
    for n in scale:  # the premise: NK drops no box here
        variances = np.var(box_residuals(x, int(n)), axis=1)
        assert variances.min() > 1e-8 * variances.max()
    alpha, info = nk.fractal_dfa(x, scale=scale, overlap=False)
    np.testing.assert_allclose(
        dfa_fluctuation(x, scale), info["Fluctuations"][:, 0], rtol=REL_NK, atol=0
    )
    assert dfa_alpha(x, min_box, max_box) == pytest.approx(float(alpha), rel=REL_NK)


@pytest.mark.parametrize("which", ["nn_short", "nn_long"])
def test_dfa_matches_plain_loop_on_recorded_series(
    which: str, request: pytest.FixtureRequest
) -> None:
    nn = request.getfixturevalue(which)
    sizes = range(DFA_ALPHA1_BEATS[0], DFA_ALPHA2_BEATS[1] + 1)
    plain = dfa_plain(nn, sizes)
    # Closed form vs polyfit per box: relative 1e-9 for F(n), and for alpha.
    np.testing.assert_allclose(dfa_fluctuation(nn, np.array(sizes)), plain, rtol=REL_NK, atol=0)
    for low, high in (DFA_ALPHA1_BEATS, DFA_ALPHA2_BEATS):
        part = plain[low - sizes.start : high - sizes.start + 1]
        expected = np.polyfit(np.log(np.arange(low, high + 1)), np.log(part), 1)[0]
        assert dfa_alpha(nn, low, high) == pytest.approx(expected, rel=REL_NK)


def test_dfa_differs_from_neurokit2_only_where_it_drops_boxes(nn_long: FloatArray) -> None:
    # The recording is quantised to 1/128 s, so four equal RR in a row happen: those boxes have
    # zero residual. Peng's F(n) keeps them; NeuroKit2 drops them (var < 1e-8 max var), which
    # raises its F(4) and F(5). At every other box size the two agree to relative 1e-9.
    scale = np.arange(4, 17)
    _, info = nk.fractal_dfa(nn_long, scale=scale, overlap=False)
    theirs = info["Fluctuations"][:, 0]
    ours = dfa_fluctuation(nn_long, scale)
    dropped = []
    for k, n in enumerate(scale):
        # The profile is a line over a box exactly when the RR inside it (all but the first,
        # whose increment leads into the box) are equal.
        starts = range(0, (nn_long.size // n) * n, n)
        if any(np.ptp(nn_long[s + 1 : s + n]) == 0 for s in starts):
            dropped.append(int(n))
            assert theirs[k] > ours[k]
        else:
            assert ours[k] == pytest.approx(theirs[k], rel=REL_NK)
    assert dropped == [4, 5]


@pytest.mark.parametrize("seed", range(4))
def test_dfa_known_answers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 10_000
    white = rng.normal(800.0, 50.0, n)
    walk = 800.0 + np.cumsum(rng.normal(0.0, 5.0, n))
    pink = pink_noise(n, seed)
    # White noise: 0.5 +- 0.1 over 4-16 beats. Measured 0.583-0.589: linear detrending in
    # boxes this short biases alpha up (Kantelhardt et al. 2001, Physica A 295:441-454; NK
    # gives the same). Over 16-64 beats the bias is gone: 0.5 +- 0.05 (measured 0.506-0.524).
    assert dfa_alpha(white, *DFA_ALPHA1_BEATS) == pytest.approx(0.5, abs=0.1)
    assert dfa_alpha(white, *DFA_ALPHA2_BEATS) == pytest.approx(0.5, abs=0.05)
    # Random walk: 1.5 +- 0.1 on both ranges (measured 1.47-1.53).
    assert dfa_alpha(walk, *DFA_ALPHA1_BEATS) == pytest.approx(1.5, abs=0.1)
    assert dfa_alpha(walk, *DFA_ALPHA2_BEATS) == pytest.approx(1.5, abs=0.1)
    # 1/f noise: 1.0 +- 0.1 (measured 0.93-1.04).
    assert dfa_alpha(pink, *DFA_ALPHA1_BEATS) == pytest.approx(1.0, abs=0.1)
    assert dfa_alpha(pink, *DFA_ALPHA2_BEATS) == pytest.approx(1.0, abs=0.1)


def test_dfa_short_and_degenerate_input() -> None:
    assert dfa_alpha(np.array([]), 4, 16) is None
    assert dfa_alpha(np.full(15, 800.0), 4, 16) is None  # no full box of 16 beats
    assert dfa_alpha(np.random.default_rng(0).normal(800, 50, 16), 4, 16) is not None
    # A constant series has F(n) = 0: log F is undefined, so is alpha.
    assert dfa_alpha(np.full(500, 812.3), 4, 16) is None
    f = dfa_fluctuation(np.arange(10.0), np.array([4, 8, 11]))
    assert np.all(np.isfinite(f[:2]))
    assert np.isnan(f[2])  # no full box of 11 beats in 10: NaN
    with pytest.raises(ValueError, match="box"):
        dfa_alpha(np.ones(100), 2, 16)
    with pytest.raises(ValueError, match="box"):
        dfa_alpha(np.ones(100), 16, 16)
    with pytest.raises(ValueError, match="box_sizes"):
        dfa_fluctuation(np.ones(100), np.array([2, 4]))


# --- Sample entropy ------------------------------------------------------------------------------
def test_sample_entropy_by_hand() -> None:
    # x = 800 820 810 800 820 810 800 820 790 810, m = 2, r = 5 ms. Values differ by 0 or by
    # at least 10 ms, so "within r" means "equal". N - m = 8 templates, i = 0..7.
    # Length 2: (800,820) at i = 0, 3, 6 -> 3 pairs; (820,810) at 1, 4 -> 1; (810,800) at
    #   2, 5 -> 1; (820,790) at 7 alone. B = 5.
    # Length 3: (800,820,810) at 0, 3 -> 1 (i = 6 is (800,820,790)); (820,810,800) at 1, 4
    #   -> 1; (810,800,820) at 2, 5 -> 1. A = 3.
    # SampEn = -ln(3/5) = ln(5/3) = 0.5108.
    x = np.array([800.0, 820.0, 810.0, 800.0, 820.0, 810.0, 800.0, 820.0, 790.0, 810.0])
    assert _match_counts_reference(x, 5.0, 2) == (3, 5)
    assert _match_counts_exact(x, 5.0, 2) == (3, 5)
    # Exact up to rounding of one log: relative 1e-12.
    assert sample_entropy(x, m=2, r=5.0) == pytest.approx(math.log(5 / 3), rel=1e-12)
    # With r = 10 the 10-ms neighbours match too; inclusive: |d| = r counts (see below).
    assert _match_counts_reference(x, 10.0, 2) == _match_counts_exact(x, 10.0, 2)


def test_tolerance_is_inclusive_like_neurokit2() -> None:
    # Richman & Moorman count vectors "within r"; NeuroKit2 (scikit-learn's query_radius)
    # counts distance <= r, PhysioNet's sampen.c counts < r. We use <=. Integer RR with an
    # integer r put many distances exactly at r: here 8 ms steps with r = 8.
    rng = np.random.default_rng(2)
    x = 800.0 + 8.0 * rng.integers(0, 6, 400)
    diffs = np.abs(x[:, None] - x[None, :])
    assert np.count_nonzero(diffs == 8.0) > 1000  # the boundary is exercised
    a, b = _match_counts_reference(x, 8.0, 2)
    strict_a, strict_b = _match_counts_reference(x, 8.0 - 1e-9, 2)
    assert (a, b) != (strict_a, strict_b)
    assert _match_counts_exact(x, 8.0, 2) == (a, b)
    theirs, _ = nk.entropy_sample(x, dimension=2, tolerance=8.0)
    # Same counts, so the same value: relative 1e-9.
    assert sample_entropy(x, m=2, r=8.0) == pytest.approx(float(theirs), rel=REL_NK)


@pytest.mark.parametrize("which", ["nn_short", "nn_long"])
def test_sample_entropy_agrees_with_neurokit2(which: str, request: pytest.FixtureRequest) -> None:
    nn = request.getfixturevalue(which)
    # NeuroKit2's convention is Richman & Moorman's: N-m templates for both lengths (the last
    # m-template is dropped), self-matches excluded (count - 1), Chebyshev distance <= r.
    # Its ratio of mean match fractions equals A/B, so the values agree: relative 1e-9.
    r = SAMPEN_R_FACTOR * np.std(nn, ddof=1)
    theirs, _ = nk.entropy_sample(nn, dimension=2, tolerance=r)
    assert sample_entropy(nn) == pytest.approx(float(theirs), rel=REL_NK)


def count_cases() -> list[tuple[str, FloatArray, float, int]]:
    rng = np.random.default_rng(4)
    cases: list[tuple[str, FloatArray, float, int]] = []
    for m in (1, 2, 3):
        white = rng.normal(800.0, 50.0, 1500)
        cases.append((f"white m={m}", white, 0.2 * float(np.std(white, ddof=1)), m))
        day = day_like(3000, m)
        cases.append((f"day-like m={m}", day, 0.2 * float(np.std(day, ddof=1)), m))
        cases.append((f"day-like wide r m={m}", day, 1.5 * float(np.std(day, ddof=1)), m))
    ties = 800.0 + 8.0 * rng.integers(0, 4, 1200)  # four values only: ties everywhere
    for r in (0.0, 8.0, 16.0, 7.999999999999):
        cases.append((f"ties r={r}", ties, r, 2))
    cases.append(("tiny", np.array([800.0, 801.0, 800.0, 801.0]), 1.0, 2))
    return cases


@pytest.mark.parametrize(
    ("x", "r", "m"), [c[1:] for c in count_cases()], ids=[c[0] for c in count_cases()]
)
def test_fast_count_equals_reference(x: FloatArray, r: float, m: int) -> None:
    # Exact: the same integer counts A and B.
    assert _match_counts_exact(x, r, m) == _match_counts_reference(x, r, m)


@pytest.mark.parametrize(
    ("x", "r", "m"), [c[1:] for c in count_cases()], ids=[c[0] for c in count_cases()]
)
@pytest.mark.parametrize("path", ["bitset", "windows", "bitset, byte popcount", "bitset, chunks"])
def test_both_exact_counts_equal_reference(
    x: FloatArray, r: float, m: int, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bit-parallel count and the window count over distinct templates, each forced.
    if path == "windows":
        monkeypatch.setattr(nl, "_BITSET_MAX_WORDS", 0)
    else:
        monkeypatch.setattr(nl, "_BITSET_ALWAYS_WORDS", 1 << 62)
    if path == "bitset, byte popcount":  # numpy 1.26 has no bitwise_count
        monkeypatch.setattr(nl, "_BITWISE_COUNT", None)
    if path == "bitset, chunks":  # tables of 2 words of positions, blocks of 64 templates
        monkeypatch.setattr(nl, "_BITSET_MAX_WORDS", 3 * (x.size + 1))
        monkeypatch.setattr(nl, "_BITSET_BLOCK_WORDS", 64)
        assert nl._bitset_words(x.size, x.size - m, m)[0] == min(2, (x.size - m + 63) // 64)
    assert _match_counts_exact(x, r, m) == _match_counts_reference(x, r, m)


@pytest.mark.parametrize("m", [63, 64, 65, 130])
def test_bitset_count_shifts_by_whole_words(m: int) -> None:
    # Templates longer than 64 beats shift the bit rows by whole words (and a remainder).
    x = (800.0 + 4.0 * np.random.default_rng(m).integers(0, 2, 400)).astype(np.float64)
    assert _match_counts_exact(x, 4.0, m) == _match_counts_reference(x, 4.0, m)
    assert _match_counts_exact(x, 0.0, m) == _match_counts_reference(x, 0.0, m)


@pytest.mark.parametrize("which", ["nn_short", "nn_long"])
def test_fast_count_equals_reference_on_recorded_series(
    which: str, request: pytest.FixtureRequest
) -> None:
    nn = request.getfixturevalue(which)  # integer ms at 1/128 s resolution: many ties
    for factor in (0.1, 0.2, 0.5):
        r = factor * float(np.std(nn, ddof=1))
        assert _match_counts_exact(nn, r, 2) == _match_counts_reference(nn, r, 2)


def test_exact_count_on_a_long_series() -> None:
    x = day_like(8000, 9)
    # The public function (numpy count) equals the brute force: bit for bit.
    assert sample_entropy(x) == _sample_entropy_reference(x)


@settings(max_examples=150, deadline=None)
@given(
    values=hnp.arrays(np.int64, st.integers(0, 120), elements=st.integers(0, 6)),
    r=st.sampled_from([0.0, 1.0, 2.0, 2.5, 10.0]),
    m=st.integers(1, 3),
)
def test_fast_count_equals_reference_property(values: np.ndarray, r: float, m: int) -> None:
    # Small integer alphabets make ties and distances of exactly r: exact counts must agree.
    x = 800.0 + 4.0 * values.astype(np.float64)
    assert _match_counts_exact(x, r * 4.0, m) == _match_counts_reference(x, r * 4.0, m)


def test_periodic_is_regular_and_white_noise_is_not() -> None:
    t = np.arange(3000)
    periodic = 800.0 + 50.0 * np.sin(2 * np.pi * t / 8.0)
    # Every length-2 match is the same phase, so it still matches at length 3: A = B, 0.
    assert sample_entropy(periodic) == pytest.approx(0.0, abs=1e-12)
    # IID Gaussian: A/B = P(|X - Y| <= 0.2 SD) = erf(0.1), SampEn = -ln erf(0.1) = 2.185.
    # +-0.1 at 3000 beats (about 5 standard errors).
    white = np.random.default_rng(8).normal(800.0, 50.0, 3000)
    assert sample_entropy(white) == pytest.approx(-math.log(math.erf(0.1)), abs=0.1)


def test_sample_entropy_constant_series_and_bad_arguments() -> None:
    # r = 0.2 x SD = 0 (or 1e-14 of rounding noise): every pair of templates is at distance 0,
    # which is <= r, so A = B and SampEn = ln(1) = 0.0, a perfectly regular rhythm.
    for value in (800.0, 812.3):
        x = np.full(300, value)
        assert sample_entropy(x) == 0.0
        assert _match_counts_exact(x, 0.0, 2) == _match_counts_reference(x, 0.0, 2)
    assert sample_entropy(np.array([800.0, 810.0, 820.0])) is None  # one template: no pairs
    with pytest.raises(ValueError, match="m:"):
        sample_entropy(np.ones(50), m=0)
    with pytest.raises(ValueError, match="r:"):
        sample_entropy(np.ones(50), r=-1.0)


# --- The domain ----------------------------------------------------------------------------------
@pytest.mark.parametrize("n", range(11))
def test_short_series_give_none_with_reasons(n: int) -> None:
    x = np.random.default_rng(n).normal(800.0, 50.0, n)
    notes: list[str] = []
    out = nonlinear_domain(x, notes)
    assert tuple(out) == NONLINEAR_KEYS
    undefined = {key for key, value in out.items() if value is None}
    for value in out.values():
        assert value is None or math.isfinite(value)
    # One line per undefined index, starting with its name (analyze() filters on that).
    assert sorted(note.split(":", 1)[0] for note in notes) == sorted(undefined)
    assert all("\n" not in note for note in notes)
    assert {"dfa_alpha1", "dfa_alpha2"} <= undefined  # fewer than 16 beats
    if n < 3:
        assert {"sd1", "sd2", "sd1_sd2", "poincare_area"} <= undefined
    else:
        assert out["sd1"] is not None
    if n < 4:
        assert "sampen" in undefined


def test_constant_series_in_the_domain() -> None:
    notes: list[str] = []
    out = nonlinear_domain(np.full(600, 812.3), notes)
    # SD1 = SD2 = 0 (rounding noise snapped to 0), ratio undefined, area 0; no fluctuation for
    # DFA; SampEn 0 (every template matches, see above).
    assert out == {
        "sd1": 0.0,
        "sd2": 0.0,
        "sd1_sd2": None,
        "poincare_area": 0.0,
        "dfa_alpha1": None,
        "dfa_alpha2": None,
        "sampen": 0.0,
    }
    assert sorted(note.split(":")[0] for note in notes) == ["dfa_alpha1", "dfa_alpha2", "sd1_sd2"]


def test_domain_matches_the_single_functions(nn_long: FloatArray) -> None:
    out = nonlinear_domain(nn_long)
    assert out["dfa_alpha1"] == dfa_alpha(nn_long, *DFA_ALPHA1_BEATS)
    assert out["dfa_alpha2"] == dfa_alpha(nn_long, *DFA_ALPHA2_BEATS)
    assert out["sampen"] == sample_entropy(nn_long)
    assert {k: out[k] for k in ("sd1", "sd2", "sd1_sd2", "poincare_area")} == poincare(nn_long)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 300), elements=st.floats(200.0, 3000.0)))
def test_random_positive_series_never_raise_or_give_nan(x: FloatArray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (empty mean, ddof) either
        notes: list[str] = []
        out = nonlinear_domain(x, notes)
    for key, value in out.items():
        assert value is None or math.isfinite(value), key
        if value is None:
            assert any(note.startswith(f"{key}:") for note in notes), key


def test_no_numba_and_no_compiler() -> None:
    # Issue 12: the numba kernel compiled on a user's first run (3.6 s) and cost ~145 MB RSS.
    code = (
        "import sys, numpy as np\n"
        "import vagus.hrv._nonlinear as nl\n"
        "nl.nonlinear_domain(np.random.default_rng(0).normal(800, 50, 5000))\n"
        "assert 'numba' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_24_hours_at_strap_resolution_are_exact(nn_long: FloatArray) -> None:
    # A day at 1/128 s resolution (78 distinct values): few distinct templates, exact count.
    x = np.tile(nn_long, 22)[:100_000]
    exact = nl._match_counts_exact(x, 0.2 * float(np.std(x, ddof=1)), 2)
    assert exact is not None
    notes: list[str] = []
    out = nonlinear_domain(x, notes)
    assert notes == []
    assert out["sampen"] == math.log(exact[1] / exact[0])


def test_past_the_window_count_budget_the_bitset_count_is_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 20,000 beats at 1 ms resolution: 3e7 pairs of distinct templates within r, more than the
    # window count's budget (it used to estimate), but 1.6e6 words bit-parallel: exact.
    x = day_like(20_000, 3)
    r = 0.2 * float(np.std(x, ddof=1))
    values, inverse = np.unique(x, return_inverse=True)
    rank = inverse.astype(np.intp)
    hi = nl._within_r_windows(values, r)[1]
    assert nl._pair_work(rank, values.size, hi, np.arange(x.size - 2), 2)[3] > (
        SAMPEN_EXACT_MAX_PAIRS
    )
    fast = nl._match_counts(x, r, 2)
    assert fast[2] is None
    # The window count, with its budget lifted, gives the same integers.
    monkeypatch.setattr(nl, "SAMPEN_EXACT_MAX_PAIRS", 10**10)
    monkeypatch.setattr(nl, "_BITSET_MAX_WORDS", 0)
    assert nl._match_counts(x, r, 2) == fast


def test_24_hours_of_distinct_values_are_estimated_and_said_so() -> None:
    # 1 ms resolution over a day: 7.5e8 pairs of distinct templates within r, more than
    # SAMPEN_EXACT_MAX_PAIRS, so A/B comes from the pairs among an evenly spaced subset.
    x = day_like(100_000, 1)
    assert nl._match_counts_exact(x, 0.2 * float(np.std(x, ddof=1)), 2) is None
    notes: list[str] = []
    out = nonlinear_domain(x, notes)
    assert [note.split(":")[0] for note in notes] == ["sampen"]
    assert "estimated" in notes[0]
    assert notes[0].code == "hrv.sampen_estimated"  # type: ignore[attr-defined]
    # The exact value (the former compiled count, and the brute force) is 0.76333; the
    # estimate is within 0.01 (measured 0.7672).
    assert out["sampen"] == pytest.approx(0.76333, abs=0.01)
    assert all(value is not None and math.isfinite(value) for value in out.values())


def test_estimate_agrees_with_exact_where_both_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # Force the estimate on a series the exact count handles: within 0.05 of the exact value.
    x = day_like(6000, 3)
    exact = sample_entropy(x)
    assert exact is not None
    monkeypatch.setattr(nl, "SAMPEN_EXACT_MAX_PAIRS", 100_000)
    monkeypatch.setattr(nl, "_BITSET_MAX_WORDS", 0)  # no bit-parallel exact count either
    notes: list[str] = []
    out = nonlinear_domain(x, notes)
    assert any(note.startswith("sampen: estimated") for note in notes)
    assert out["sampen"] == pytest.approx(exact, abs=0.05)
    assert SAMPEN_EXACT_MAX_PAIRS > 100_000
