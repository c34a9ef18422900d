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
    notice_text,
    time_domain,
)
from vagus.hrv._analyze import successive_indices
from vagus.hrv._constants import MAX_RR_MS, MIN_RR_MS
from vagus.hrv._registry import MIN_VLF_DURATION_S
from vagus.hrv._types import FloatArray


def test_every_registered_index_is_reported(nn_long: FloatArray) -> None:
    report = analyze(nn_long)
    assert tuple(report.indices) == NAMES
    assert all(value is not None and math.isfinite(value) for value in report.indices.values())
    assert report.n_intervals == len(nn_long)
    assert report.n_beats == len(nn_long) + 1
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
    assert set(data) == {
        "n_beats",
        "n_intervals",
        "duration_s",
        "artifacts",
        "warnings",
        "indices",
    }
    assert isinstance(data["n_beats"], int)
    assert data["n_beats"] == data["n_intervals"] + 1 == nn_short.size + 1
    assert isinstance(data["duration_s"], float)
    assert {
        "corrected",
        "percent",
        "by_type",
        "changed",
        "out_of_range",
        "rmssd_before",
        "rmssd_after",
    } <= set(data["artifacts"])
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


@pytest.mark.parametrize("correct", [True, False])
def test_values_no_heart_makes_are_artifacts_never_indices(
    nn_short: FloatArray, correct: bool
) -> None:
    # Issue 12: three 65535 values (the strap's "no interval" code) gave RMSSD 3,249 ms with no
    # warning. Now they are left out, counted and named, with or without correction.
    clean = analyze(nn_short, correct=correct)
    rr = nn_short.copy()
    rr[[40, 120, 200]] = 65535.0
    rr[300] = 120.0
    report = analyze(rr, correct=correct)
    assert report.n_intervals == rr.size
    assert report.nn_ms.max() <= MAX_RR_MS
    assert report.nn_ms.min() >= MIN_RR_MS
    assert report.artifacts.invalid_code == 3
    assert report.artifacts.out_of_range >= 3
    rmssd = report.indices["rmssd"]
    assert rmssd is not None
    assert rmssd == pytest.approx(clean.indices["rmssd"], rel=0.05)
    assert rmssd == report.artifacts.rmssd_after
    codes = [notice.code for notice in report.notices]
    assert "hrv.out_of_range.invalid_code" in codes
    assert ("hrv.out_of_range.short_merged" if correct else "hrv.out_of_range.short") in codes
    strap = next(n for n in report.notices if n.code == "hrv.out_of_range.invalid_code")
    assert "65535" in strap
    assert "strap" in strap
    assert "65535" in notice_text(strap, "nb")


def test_out_of_range_long_values_named() -> None:
    rr = 800.0 + 20.0 * np.sin(np.arange(200) / 2.0)
    rr[[20, 90]] = [4000.0, 5200.0]
    report = analyze(rr, correct=False)
    long = next(n for n in report.notices if n.code == "hrv.out_of_range.long")
    assert long.fields["count"] == 2
    assert long.fields["value_ms"] == 5200.0
    assert report.artifacts.out_of_range == report.artifacts.changed == 2
    assert not any(n.code == "hrv.out_of_range.invalid_code" for n in report.notices)


def test_successive_indices_skip_left_out_intervals() -> None:
    # One interval left out between two beats: RMSSD, pNN50 and SD1 are computed without the
    # difference across the gap (as if the series were split there), the rest from the series.
    rng = np.random.default_rng(4)
    rr = 800.0 + rng.normal(0, 25, 300)
    gapped = rr.copy()
    gapped[150] = 4000.0
    report = analyze(gapped, correct=False)
    kept = np.delete(rr, 150)
    parts = (kept[:150], kept[150:])
    diffs = np.concatenate([np.diff(part) for part in parts])
    assert report.indices["rmssd"] == pytest.approx(math.sqrt(float(np.mean(diffs**2))))
    assert report.indices["nn50"] == float(np.count_nonzero(np.abs(diffs) > 50))
    assert report.indices["sd1"] == pytest.approx(float(np.std(diffs / math.sqrt(2), ddof=1)))
    assert report.indices["mean_nn"] == pytest.approx(float(np.mean(kept)))
    # Without a gap the successive indices are time_domain's and poincare's own.
    whole = analyze(rr, correct=False)
    assert whole.indices == analyze(rr, correct=False).indices
    assert whole.artifacts.breaks == ()
    assert successive_indices(rr, ())["rmssd"] == pytest.approx(whole.indices["rmssd"])
    assert successive_indices(rr, ())["sd2"] == pytest.approx(whole.indices["sd2"])
    assert successive_indices(rr, ())["pnn50"] == pytest.approx(whole.indices["pnn50"])


def test_impossible_intervals_do_not_count_as_usable_time() -> None:
    """Issue 12: 65535 codes are left out of every index, so they must not count towards the
    minimum duration either; the recording's length (``duration_s``) still counts them."""
    rr = np.full(600, 850.0)
    rr[[100, 400]] = 65535.0
    report = analyze(rr)
    assert report.duration_s == pytest.approx((598 * 850.0 + 2 * 65535.0) / 1000.0)
    short = analyze(np.r_[np.full(100, 850.0), [65535.0] * 5])
    assert short.indices["vlf"] is None
    assert any("vlf" in w and "85.0 s" in w for w in short.warnings)
