"""Issue 12: every index's cost is bounded by the data's length, whatever the values.

Each case feeds the public functions an input that once cost gigabytes or minutes: one absurd
interval (the histogram spans 0 ms to the longest interval), a series repeating a few values
(sample entropy compared every pair of equal templates), two tight clusters. The results must
be finite or ``None``, and memory is bounded with tracemalloc (numpy reports its allocations
there). Wall time is never asserted (tests do not depend on the machine's speed); the times
are in the issue note.
"""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from vagus.hrv._constants import DFA_ALPHA1_BEATS, DFA_ALPHA2_BEATS
from vagus.hrv._nonlinear import dfa_alpha, nonlinear_domain, poincare, sample_entropy
from vagus.hrv._time import time_domain, tinn
from vagus.hrv._types import FloatArray

MIB = 1024 * 1024


def normal_rr(n: int, seed: int = 0) -> FloatArray:
    rng = np.random.default_rng(seed)
    return np.round(850.0 + 40.0 * np.sin(np.arange(n) / 4.3) + rng.normal(0.0, 25.0, n))


def with_values(values: list[float], n: int = 2000) -> FloatArray:
    x = normal_rr(n)
    x[n // 2 : n // 2 + len(values)] = values
    return x


def two_tight_clusters(n: int) -> FloatArray:
    rng = np.random.default_rng(5)
    return np.where(rng.random(n) < 0.5, 800.0, 1200.0) + rng.normal(0.0, 0.1, n)


#: name -> (series, peak memory bound in MiB). Short series with one absurd value must cost
#: what any 2000 beats cost (sample entropy checks candidate pairs in blocks of 2**18, about
#: 16 MiB); a million beats O(N) memory (about 100-200 bytes a beat).
CASES: dict[str, tuple[Callable[[], FloatArray], float]] = {
    "three 1,000,000 ms": (lambda: with_values([1e6, 1e6, 1e6]), 32),
    "one 65535 (strap's invalid code)": (lambda: with_values([65535.0]), 32),
    "one 200,000 ms": (lambda: with_values([200_000.0]), 32),
    "812 among seconds (812 s)": (lambda: with_values([812_000.0]), 32),
    "one 1e12 ms": (lambda: with_values([1e12]), 32),
    "periodic, 4 values x 250,000": (lambda: np.tile([800.0, 850.0, 900.0, 700.0], 250_000), 200),
    "two tight clusters, 1,000,000": (lambda: two_tight_clusters(1_000_000), 250),
}


def peak_mib(function: Callable[[], object]) -> tuple[object, float]:
    tracemalloc.start()
    try:
        result = function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak / MIB


def finite_or_none(values: dict[str, float | None]) -> None:
    for key, value in values.items():
        assert value is None or math.isfinite(value), key


@pytest.mark.parametrize("case", list(CASES))
def test_time_domain_is_bounded(case: str) -> None:
    make, bound = CASES[case]
    x = make()
    warnings: list[str] = []
    out, peak = peak_mib(lambda: time_domain(x, warnings))
    assert isinstance(out, dict)
    finite_or_none(out)
    assert peak < bound, f"{case}: {peak:.1f} MiB"
    if np.max(x) > 60_000:
        assert out["tinn"] is None
        assert any(w.startswith("tinn:") for w in warnings)


@pytest.mark.parametrize("case", list(CASES))
def test_nonlinear_domain_is_bounded(case: str) -> None:
    make, bound = CASES[case]
    x = make()
    notes: list[str] = []
    out, peak = peak_mib(lambda: nonlinear_domain(x, notes))
    assert isinstance(out, dict)
    finite_or_none(out)
    assert peak < bound, f"{case}: {peak:.1f} MiB"
    for key, value in out.items():
        if value is None:
            assert any(note.startswith(f"{key}:") for note in notes), key


@pytest.mark.parametrize("case", list(CASES))
def test_public_functions_one_by_one(case: str) -> None:
    make, bound = CASES[case]
    x = make()
    for name, function in [
        ("tinn", lambda: tinn(x)),
        ("sample_entropy", lambda: sample_entropy(x)),
        ("dfa_alpha1", lambda: dfa_alpha(x, *DFA_ALPHA1_BEATS)),
        ("dfa_alpha2", lambda: dfa_alpha(x, *DFA_ALPHA2_BEATS)),
        ("poincare", lambda: poincare(x)),
    ]:
        out, peak = peak_mib(function)
        if isinstance(out, dict):
            finite_or_none(out)
        else:
            assert out is None or math.isfinite(float(out)), name  # type: ignore[arg-type]
        assert peak < bound, f"{case}, {name}: {peak:.1f} MiB"


def test_periodic_million_is_exact() -> None:
    # Four values repeating: 4 distinct templates, counted once each with their multiplicity.
    # Every pair of equal templates matches at both lengths and no others do (the values are
    # 50-150 ms apart, r = 0.2 SD = 14.8 ms): A = B, SampEn 0 exactly.
    x = np.tile([800.0, 850.0, 900.0, 700.0], 250_000)
    assert sample_entropy(x) == 0.0


def test_two_clusters_are_estimated_with_a_notice() -> None:
    # 1,000,000 beats in two clusters 400 ms apart, each tighter than r: every template matches
    # every template with the same cluster pattern. As i.i.d. choices, A/B = P(3 beats agree) /
    # P(2 agree) = 1/2: SampEn = ln 2 (to the estimate's error, 0.01).
    notes: list[str] = []
    out = nonlinear_domain(two_tight_clusters(1_000_000), notes)
    assert out["sampen"] == pytest.approx(math.log(2.0), abs=0.01)
    assert any(note.startswith("sampen: estimated") for note in notes)
