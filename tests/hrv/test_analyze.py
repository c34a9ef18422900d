"""analyze(): the registry and the report stay in step; short input gives nulls with reasons."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from vagus.hrv import (
    INDICES,
    NAMES,
    RrDataError,
    analyze,
    frequency_domain,
    nonlinear_domain,
    time_domain,
)
from vagus.hrv._registry import MIN_VLF_DURATION_S
from vagus.hrv._types import FloatArray


def test_every_registered_index_is_reported(nn_long: FloatArray) -> None:
    report = analyze(nn_long)
    assert tuple(report.indices) == NAMES
    assert all(value is not None and math.isfinite(value) for value in report.indices.values())
    assert report.n_beats == len(nn_long)
    assert report.duration_s == pytest.approx(float(np.sum(nn_long)) / 1000, rel=1e-12)


def test_registry_matches_domain_functions(nn_long: FloatArray) -> None:
    produced = (
        set(time_domain(nn_long)) | set(frequency_domain(nn_long)) | set(nonlinear_domain(nn_long))
    )
    assert produced == set(NAMES)
    assert len(NAMES) == len(INDICES)
    for index in INDICES:
        assert index.name.islower()
        assert index.name.replace("_", "").isalnum()
        assert index.meaning_en
        assert index.meaning_nb
        assert index.reference
        assert index.min_beats >= 1


def test_json_shape_is_exact(nn_short: FloatArray) -> None:
    data = json.loads(json.dumps(analyze(nn_short).to_dict(), allow_nan=False))
    assert set(data) == {"n_beats", "duration_s", "artifacts", "warnings", "indices"}
    assert isinstance(data["n_beats"], int)
    assert isinstance(data["duration_s"], float)
    assert {"corrected", "percent", "by_type"} <= set(data["artifacts"])
    assert isinstance(data["warnings"], list)
    assert set(data["indices"]) == set(NAMES)


def test_five_minutes_has_vlf(nn_short: FloatArray) -> None:
    # 299.6 s: a nominal 5-minute recording must qualify for VLF.
    assert float(np.sum(nn_short)) / 1000 > MIN_VLF_DURATION_S
    report = analyze(nn_short)
    assert report.indices["vlf"] is not None
    assert report.indices["total_power"] is not None


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 20, 63, 99])
def test_short_input_gives_nulls_with_reasons(n: int) -> None:
    rng = np.random.default_rng(n)
    report = analyze(800 + rng.normal(0, 20, n))
    assert set(report.indices) == set(NAMES)
    nulls = [name for name, value in report.indices.items() if value is None]
    assert nulls, "a recording this short cannot have every index"
    for name in nulls:
        assert any(name in warning for warning in report.warnings), name
    assert report.indices["mean_nn"] is not None
    assert report.indices["sampen"] is None  # needs 100 beats
    if n < 64:
        assert report.indices["dfa_alpha2"] is None


def test_two_minutes_has_lf_but_not_vlf() -> None:
    t = np.arange(0, 130, 0.8)
    rr = 800 + 40 * np.sin(2 * np.pi * 0.1 * t)
    report = analyze(rr)
    assert report.indices["lf"] is not None
    assert report.indices["hf"] is not None
    assert report.indices["vlf"] is None
    assert any(w.startswith("vlf, total_power, vlf_peak") for w in report.warnings)


def test_method_choice_and_unknown_method(nn_short: FloatArray) -> None:
    lf = {m: analyze(nn_short, method=m).indices["lf"] for m in ("welch", "lomb", "ar")}
    assert all(value is not None and value > 0 for value in lf.values())
    with pytest.raises(ValueError, match="welch, lomb, ar"):
        analyze(nn_short, method="fft")  # type: ignore[arg-type]


def test_unit_seconds_and_detection(nn_short: FloatArray) -> None:
    ms = analyze(nn_short).indices
    assert analyze(nn_short / 1000, unit="s").indices == pytest.approx(ms, rel=1e-9)
    assert analyze(nn_short / 1000, unit=None).indices == pytest.approx(ms, rel=1e-9)
    with pytest.raises(RrDataError, match="not an RR interval in milliseconds"):
        analyze(nn_short / 1000)


def test_bad_arrays_raise_rr_data_error() -> None:
    for bad in ([], [800, float("nan")], [800, -1], [800, 0]):
        with pytest.raises(RrDataError):
            analyze(bad)


def test_artifacts_reported_and_warned(nn_long: FloatArray) -> None:
    rng = np.random.default_rng(3)
    rr = nn_long.copy()
    # Every 10th beat missed (merged with the next): about 10 % artifacts.
    keep = np.ones(rr.size, dtype=bool)
    for i in range(5, rr.size - 1, 10):
        rr[i + 1] += rr[i]
        keep[i] = False
    rr = rr[keep] + rng.normal(0, 0.1, keep.sum())
    report = analyze(rr)
    assert report.artifacts.enabled
    assert report.artifacts.corrected > 0
    assert report.artifacts.percent > 5
    assert any("unreliable" in w for w in report.warnings)
    off = analyze(rr, correct=False)
    assert not off.artifacts.enabled
    assert off.artifacts.corrected == 0
    assert off.artifacts.detected > 0
    np.testing.assert_array_equal(off.nn_ms, rr)


def test_constant_series_is_defined_where_it_can_be() -> None:
    report = analyze(np.full(400, 1000.0))
    assert report.indices["mean_hr"] == 60.0
    assert report.indices["rmssd"] == 0.0
    for name in ("ln_rmssd", "lf_hf"):
        assert report.indices[name] is None
        assert any(w.startswith(name) or f" {name}" in w for w in report.warnings), name
