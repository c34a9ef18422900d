"""Time-domain indices against NeuroKit2 and hand computations."""

from __future__ import annotations

import itertools
import math

import neurokit2 as nk
import numpy as np
import pytest

from vagus.hrv._constants import HISTOGRAM_BIN_MS
from vagus.hrv._time import HISTOGRAM_MAX_MS, histogram, time_domain, tinn
from vagus.hrv._types import FloatArray

# Same convention as NeuroKit2's hrv_time (sample SD, pNNx over the number of NN intervals,
# histogram bins of 1/128 s from 0 ms): agreement to rounding error.
REL_NK = 1e-9
NK_NAMES = {
    "mean_nn": "HRV_MeanNN",
    "median_nn": "HRV_MedianNN",
    "sdnn": "HRV_SDNN",
    "rmssd": "HRV_RMSSD",
    "sdsd": "HRV_SDSD",
    "pnn50": "HRV_pNN50",
    "pnn20": "HRV_pNN20",
    "cvnn": "HRV_CVNN",
    "cvsd": "HRV_CVSD",
    "hti": "HRV_HTI",
}


@pytest.mark.parametrize("which", ["nn_short", "nn_long", "synthetic"])
def test_agrees_with_neurokit2(which: str, request: pytest.FixtureRequest) -> None:
    if which == "synthetic":
        rng = np.random.default_rng(7)
        nn = 850 + np.cumsum(rng.normal(0, 8, 3000)) * 0.1 + rng.normal(0, 30, 3000)
    else:
        nn = request.getfixturevalue(which)
    ours = time_domain(nn)
    theirs = nk.hrv_time({"RRI": nn}).iloc[0]
    for name, nk_name in NK_NAMES.items():
        assert ours[name] == pytest.approx(float(theirs[nk_name]), rel=REL_NK), name
    # NeuroKit2 reports only the percentages; the counts follow from them exactly.
    assert ours["nn50"] == pytest.approx(theirs["HRV_pNN50"] * len(nn) / 100, rel=REL_NK)
    assert ours["nn20"] == pytest.approx(theirs["HRV_pNN20"] * len(nn) / 100, rel=REL_NK)


def test_hand_computed_small_series() -> None:
    nn = np.array([800.0, 860.0, 790.0, 800.0, 900.0, 880.0])
    out = time_domain(nn)
    diffs = [60.0, -70.0, 10.0, 100.0, -20.0]
    # Exact hand arithmetic; float rounding only (1e-12).
    assert out["mean_nn"] == pytest.approx(5030 / 6, rel=1e-12)
    assert out["median_nn"] == 830.0
    assert out["rmssd"] == pytest.approx(math.sqrt(sum(d * d for d in diffs) / 5), rel=1e-12)
    assert out["nn50"] == 3.0  # 60, -70, 100
    assert out["pnn50"] == pytest.approx(3 / 6 * 100, rel=1e-12)
    assert out["nn20"] == 3.0  # 60, -70, 100 (20 itself is not > 20)
    assert out["ln_rmssd"] == pytest.approx(math.log(out["rmssd"] or 0), rel=1e-12)
    hr = [60000 / x for x in nn]
    assert out["mean_hr"] == pytest.approx(sum(hr) / 6, rel=1e-12)
    assert out["std_hr"] == pytest.approx(float(np.std(hr, ddof=1)), rel=1e-12)
    averages = [sum(hr[i : i + 5]) / 5 for i in range(2)]
    assert out["min_hr"] == pytest.approx(min(averages), rel=1e-12)
    assert out["max_hr"] == pytest.approx(max(averages), rel=1e-12)


def tinn_brute_force(nn: FloatArray) -> float:
    """Every (N, M) pair, the whole triangle, the whole histogram: the definition, slowly."""
    counts, edges = histogram(nn)
    centres = (edges[:-1] + edges[1:]) / 2
    peak = int(np.argmax(counts))
    x_peak, height = centres[peak], counts[peak]
    lefts = [centres[0] - HISTOGRAM_BIN_MS, *centres[:peak]]
    rights = [*centres[peak + 1 :], centres[-1] + HISTOGRAM_BIN_MS]
    best = (math.inf, 0.0)
    for n_foot, m_foot in itertools.product(lefts, rights):
        error = 0.0
        for x, count in zip(centres, counts, strict=True):
            if n_foot < x <= x_peak:
                q = height * (x - n_foot) / (x_peak - n_foot)
            elif x_peak < x < m_foot:
                q = height * (m_foot - x) / (m_foot - x_peak)
            else:
                q = 0.0
            error += (count - q) ** 2
        best = min(best, (error, m_foot - n_foot))
    return best[1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tinn_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nn = rng.normal(850, 40, 400) + rng.exponential(20, 400)
    # Same definition, same candidate grid: exact agreement (1e-9 ms).
    assert tinn(nn) == pytest.approx(tinn_brute_force(nn), abs=1e-9)


def test_tinn_real_series(nn_short: FloatArray) -> None:
    # NeuroKit2's TINN searches only part of the (N, M) grid and starts its error at 2**14, so it
    # differs by design; the full least-squares search is checked against the brute force.
    assert tinn(nn_short) == pytest.approx(tinn_brute_force(nn_short), abs=1e-9)


def test_single_beat_and_constant_series() -> None:
    one = time_domain(np.array([800.0]))
    assert one["mean_nn"] == 800.0
    assert one["mean_hr"] == 75.0
    assert one["sdnn"] is None
    assert one["rmssd"] is None
    warnings: list[str] = []
    flat = time_domain(np.full(60, 1000.0), warnings)
    assert flat["rmssd"] == 0.0
    assert flat["ln_rmssd"] is None
    assert flat["hti"] == 1.0
    assert any(w.startswith("ln_rmssd") for w in warnings)


@pytest.mark.parametrize(
    "nn",
    [
        np.array([800.0] * 5 + [810.0, 830.0, 870.0]),  # peak at the first occupied bin
        np.array([700.0, 760.0, 790.0] + [800.0] * 5),  # peak at the last bin
        np.array([800.0]),  # one bin
        np.array([500.0, 800.0, 800.0, 1200.0, 1500.0]),  # sparse, wide
        np.array([0.8, 0.81, 800.0, 800.0, 810.0]),  # values near 0 ms: bins from the start
    ],
    ids=["peak-first", "peak-last", "one-bin", "sparse", "near-zero"],
)
def test_tinn_prefix_sums_match_brute_force_on_edge_shapes(nn: FloatArray) -> None:
    # The prefix-sum flank search is the least-squares definition: exact (1e-9 ms).
    assert tinn(nn) == pytest.approx(tinn_brute_force(nn), abs=1e-9)


@pytest.mark.parametrize(
    ("case", "value"),
    [("1,000,000 ms", 1_000_000.0), ("200,000 ms", 200_000.0), ("812 s", 812_000.0)],
)
def test_tinn_is_none_beyond_the_histogram_range(case: str, value: float) -> None:
    # Issue 12: one absurd interval made the histogram 80-122 GiB (or 15 GB, 18-40 s).
    nn = np.concatenate([np.full(100, 800.0) + np.arange(100) % 9, [value]])
    assert tinn(nn) is None
    warnings: list[str] = []
    out = time_domain(nn, warnings)
    assert out["tinn"] is None
    assert [w.split(":")[0] for w in warnings] == ["tinn"]
    assert "60000 ms" in warnings[0]
    # The triangular index needs only the fullest bin: computed from the occupied bins.
    _, per_bin = np.unique(np.floor(nn / HISTOGRAM_BIN_MS), return_counts=True)
    assert out["hti"] == nn.size / per_bin.max()


def test_histogram_range_limit_is_inclusive() -> None:
    nn = np.array([800.0, 800.0, 810.0, HISTOGRAM_MAX_MS])
    assert tinn(nn) is not None
    assert tinn(np.array([800.0, 800.0, 810.0, np.nextafter(HISTOGRAM_MAX_MS, np.inf)])) is None
