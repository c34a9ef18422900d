"""Artifact detection and correction (Lipponen & Tarvainen 2019) on real and injected data.

Reference data: the 60-min NSR series shipped with pyhrv (``nn_long``) and MIT-BIH Arrhythmia
record 100 (``mitdb_100_dir``), both from tests/conftest.py. Every threshold below says what was
measured when it was set, so that a change that makes detection worse fails. The issue-12 targets
on every dataset (clean, injected, annotated) are in test_artifact_validation.py.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact_injection import Injected, inject, inject_share
from vagus.hrv._artifacts import (
    ARTIFACT_KINDS,
    ECTOPIC_PREMATURE_FRACTION,
    ITERATE_ABOVE_PERCENT,
    MIN_DETECTION_BEATS,
    THRESHOLD_WINDOW_BEATS,
    ArtifactFlags,
    _detection_codes,
    _flags_from_codes,
    _gate_candidates,
    _rolling_quantiles,
    _rolling_quantiles_plain,
    _threshold_full,
    _visit,
    _visit_loop,
    _window_quantiles_at,
    correct_rr,
    detect_artifacts,
    invalid_code,
    out_of_range,
    successive_differences,
)
from vagus.hrv._constants import MAX_RR_MS, MIN_RR_MS
from vagus.hrv._types import FloatArray

# --- helpers ------------------------------------------------------------------------------------


def rmssd(rr: FloatArray) -> float:
    return math.sqrt(float(np.mean(np.diff(rr) ** 2)))


def found(flags: ArtifactFlags, artifact: Injected) -> bool:
    """Found: a flag on one of the injected intervals or on an interval right next to them."""
    return bool(flags.any[max(0, artifact.first - 1) : artifact.last + 2].any())


def varied_series(seed: int) -> FloatArray:
    """Series that exercise every branch: noise, 128 Hz quantization, integer ms, runs of
    identical values (zero thresholds), RSA with artifacts of all kinds, random RR."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(MIN_DETECTION_BEATS, 700))
    kind = seed % 7
    if kind == 0:
        rr = 800 + 30 * rng.standard_normal(n)
    elif kind == 1:
        rr = rng.uniform(300, 2000, n)
    elif kind == 2:
        rr = np.round((800 + 40 * rng.standard_normal(n)) / 7.8125) * 7.8125
    elif kind == 3:
        rr = np.round(rng.uniform(600, 1000, n))
    elif kind == 4:
        rr = np.full(n, 800.0)
        hit = rng.integers(0, n, n // 10)
        rr[hit] += rng.normal(0, 50, hit.size)
    elif kind == 5:
        rr = 850 + 40 * np.sin(2 * np.pi * np.arange(n) / rng.uniform(4, 12)) + rng.normal(0, 5, n)
        for _ in range(n // 20 + 1):
            q = int(rng.integers(1, n - 2))
            what = rng.integers(4)
            if what == 0:
                rr[q] *= 2
            elif what == 1:
                rr[q] *= rng.uniform(0.3, 0.6)
            elif what == 2:
                f = rng.uniform(0.1, 0.35)
                rr[q] *= 1 - f
                rr[q + 1] *= 1 + f
            else:
                rr[q] *= rng.uniform(1.2, 1.5)
    else:
        rr = np.repeat(rng.uniform(500, 1200, n // 5 + 1), 5)[:n]
    return np.clip(rr, 250.0, 3000.0)


# --- real data: the NSR series from pyhrv ------------------------------------------------------


def test_clean_nsr_series_few_flags(nn_long: FloatArray) -> None:
    # The paper's tree alone flags 83 of 4684 beats (1.8 %), almost all 'long' beats at sharp
    # peaks of respiratory sinus arrhythmia (NeuroKit2's kubios method flags the same 83). With
    # the magnitude floors (issue 12), measured: 4 (two sharp short-long pairs). Bound: 0.2 %.
    assert _detection_codes(nn_long, floors=False).astype(bool).sum() == 83
    flags = detect_artifacts(nn_long)
    assert flags.any.mean() <= 0.002


@pytest.fixture(scope="module")
def artifact_free(nn_long: FloatArray) -> FloatArray:
    """The NSR series with the beats this method flags corrected until it flags none (or
    nothing changes): artifact-free by the method's own standard, as the recordings the paper
    injected artifacts into were artifact-free. Settles after 1 pass (4 beats); RMSSD of all
    differences 60.5 -> 60.3 ms (the paper's tree alone: 5 passes, 52.4 ms)."""
    series = nn_long
    for _ in range(40):
        corrected, report = correct_rr(series)
        if report.detected == 0 or np.array_equal(corrected, series):
            return corrected
        series = corrected
    raise AssertionError("correction did not settle in 40 passes")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_injected_artifacts_are_found_and_classified(artifact_free: FloatArray, seed: int) -> None:
    bad, where = inject(artifact_free, seed)
    flags = detect_artifacts(bad)
    # Measured: 60, 60, 59 of 60 found for seeds 0-2 (59-60 for seeds 0-7). Required: 95 %.
    assert sum(found(flags, a) for a in where) >= 0.95 * len(where)
    # The injected kind is among the kinds flagged there (the neighbour of an extra or
    # ectopic beat is often flagged 'short' as well, and corrected with it).
    # Measured: 18-20 of 20 for each kind (seeds 0-7). Required: 90 % of each kind.
    for kind in ("missed", "extra", "ectopic"):
        mask = getattr(flags, kind)
        of_kind = [a for a in where if a.kind == kind]
        right = sum(bool(mask[max(0, a.first - 1) : a.last + 2].any()) for a in of_kind)
        assert right >= 0.9 * len(of_kind), kind


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_corrected_rmssd_within_2_percent(artifact_free: FloatArray, seed: int) -> None:
    bad, _ = inject(artifact_free, seed)
    # The 60 artifacts raise RMSSD by about 80 %.
    assert rmssd(bad) > 1.5 * rmssd(artifact_free)
    corrected, report = correct_rr(bad)
    # The RMSSD reported leaves out the differences that are not measured (report.breaks: those
    # touching an interpolated interval, and the one inside a split or sum-keeping pair).
    # Measured: +0.29 %, -0.13 %, +0.27 % (seeds 0-2; within +-0.5 % for seeds 0-7); over all
    # differences of the corrected series: -0.10 %, -0.46 %, -0.05 %.
    assert report.rmssd_after is not None
    assert report.rmssd_after == pytest.approx(
        math.sqrt(float(np.mean(successive_differences(corrected, report.breaks) ** 2)))
    )
    assert abs(report.rmssd_after / rmssd(artifact_free) - 1.0) <= 0.02
    assert abs(rmssd(corrected) / rmssd(artifact_free) - 1.0) <= 0.02
    assert report.enabled
    assert report.corrected == report.detected > 0


def test_injected_into_the_raw_series(nn_long: FloatArray) -> None:
    # The same injection into the raw NSR series. The paper's tree alone also corrected the
    # 1.8 % of beats it flags in the clean recording (sharp sinus arrhythmia peaks), which cost
    # 8.5 % of RMSSD on its own, and -5.8 % with the artifacts. With the floors (issue 12),
    # measured: all 60 found; RMSSD reported -0.14 % of the raw series. Bounds: 95 %, 2 %.
    bad, where = inject(nn_long, 0)
    flags = detect_artifacts(bad)
    assert sum(found(flags, a) for a in where) >= 0.95 * len(where)
    _, report = correct_rr(bad)
    assert report.rmssd_after is not None
    assert abs(report.rmssd_after / rmssd(nn_long) - 1.0) <= 0.02


# --- real ectopic beats: MIT-BIH Arrhythmia record 100 ----------------------------------------


def test_mitbih_100_premature_beats_flagged(mitdb_100_dir: Path) -> None:
    wfdb = pytest.importorskip("wfdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a pandas deprecation inside wfdb, not ours
        ann = wfdb.rdann(str(mitdb_100_dir / "100"), "atr")
    symbols = np.asarray(ann.symbol)
    beat = np.isin(symbols, list("NLRBAaJSVrFejnE/fQ"))  # beat annotations ('+' is rhythm)
    times_s = np.asarray(ann.sample)[beat] / float(ann.fs)  # 360 Hz sample numbers
    rr = np.diff(times_s) * 1000.0
    ends = symbols[beat][1:]  # the beat that ends each interval
    flags = detect_artifacts(rr).any
    premature = np.flatnonzero(np.isin(ends, ["A", "V"]))
    assert premature.size == 34  # 33 atrial premature beats and one PVC
    # A premature beat is found when the interval ending at it (the short one) or the next
    # (the compensatory pause) is flagged. Measured: 34 of 34. Required: 95 % (issue 12).
    hits = sum(bool(flags[k : k + 2].any()) for k in premature)
    assert hits >= 0.95 * premature.size
    # Both intervals of each are flagged (premature and compensatory) and corrected together.
    assert all(bool(flags[k : k + 2].all()) for k in premature)
    # Other intervals flagged. Measured: 0 of 2204 (the paper's tree alone: 11, 0.5 %).
    # Bound: 0.2 % (issue 12).
    near = np.zeros(rr.size, dtype=bool)
    near[premature] = True
    near[np.minimum(premature + 1, rr.size - 1)] = True
    assert (flags & ~near).sum() <= 0.002 * (~near).sum()


# --- agreement with NeuroKit2 -------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_neurokit2(nn_long: FloatArray, seed: int) -> None:
    nk = pytest.importorskip("neurokit2")
    bad, _ = inject(nn_long, seed)
    bad = np.round(bad)  # whole ms, so that peaks at 1000 Hz are exact
    peaks = np.concatenate(([1000], 1000 + np.cumsum(bad))).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info, _ = nk.signal_fixpeaks(peaks, sampling_rate=1000, method="kubios", iterative=False)
    # The paper's decision tree (our first stage, floors=False) must flag exactly what
    # NeuroKit2 flags: the published method as the peers implement it. detect_artifacts adds
    # the magnitude floors of issue 12, so it no longer agrees with NeuroKit2 on purpose: it
    # flags a subset of NeuroKit2's beats, plus the other half of premature-compensatory pairs
    # (and pairs the tree missed where its thresholds are wide), asserted below.
    flags = _flags_from_codes(_detection_codes(bad, floors=False))
    # Index conventions: NeuroKit2 flags peaks; its interval k ends at peak k and its interval
    # 0 is a synthetic one (the mean), which we use too but do not report. So NeuroKit2's
    # peak k >= 1 is our interval k - 1. Its 'longshort' is our 'long' and 'short' together.
    # Exact agreement is required. (On whole-ms data a |dRR| can equal the threshold exactly;
    # NeuroKit2 works in seconds, where rounding may tip such a tie. Seeds 0-2 have none.)
    ours = {
        "ectopic": flags.ectopic,
        "missed": flags.missed,
        "extra": flags.extra,
        "longshort": flags.long | flags.short,
    }
    for name, mask in ours.items():
        theirs = {int(k) - 1 for k in info[name] if k >= 1}
        assert set(np.flatnonzero(mask).tolist()) == theirs, name
    assert flags.any.sum() > 100  # the comparison covers all kinds, not an empty set
    ours_now = detect_artifacts(bad).any
    flagged_nk = np.zeros(bad.size, dtype=bool)
    for name in ours:
        flagged_nk[[int(k) - 1 for k in info[name] if k >= 1]] = True
    beyond = np.flatnonzero(ours_now & ~flagged_nk)
    # Beyond NeuroKit2's flags we only flag halves of premature pairs: a short interval next to
    # a longer one, at least ECTOPIC_PREMATURE_FRACTION below the intervals around.
    for k in beyond.tolist():
        pair = bad[max(0, k - 1) : k + 2]
        assert pair.max() - pair.min() >= ECTOPIC_PREMATURE_FRACTION * float(np.median(bad))
    # And the floors leave out most of what the tree flags on this series only where it is
    # sinus rhythm: measured 178 (NeuroKit2) against 124 (ours) for seed 0.
    assert ours_now.sum() < flags.any.sum()


# --- fast paths against plain paths ---------------------------------------------------------


@pytest.mark.parametrize("window", [11, 91])
@pytest.mark.parametrize("n", [1, 2, 5, 10, 11, 12, 45, 46, 90, 91, 92, 137, 183, 500])
def test_rolling_quantiles_fast_matches_plain(n: int, window: int) -> None:
    rng = np.random.default_rng(n * 1000 + window)
    # Continuous values, and whole numbers with many ties.
    for values in (rng.gamma(2.0, 30.0, n), np.round(rng.gamma(2.0, 3.0, n))):
        qs = (0.25, 0.5, 0.75)
        fast = _rolling_quantiles(values, window, qs)
        plain = _rolling_quantiles_plain(values, window, qs)
        at = np.sort(rng.choice(n, size=min(n, 40), replace=False))
        sparse = _window_quantiles_at(values, at, window, qs)
        # Same order statistics, same interpolation formula: equal to 1e-12.
        for f, p, s in zip(fast, plain, sparse, strict=True):
            np.testing.assert_allclose(f, p, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(s, p[at], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(28))
def test_detection_fast_matches_plain(seed: int) -> None:
    # The fast path computes thresholds only where decisions depend on them and classifies
    # without a Python loop; the plain path computes every window with np.quantile and runs
    # the loop of Fig. 1. The codes must be identical (400 such series agreed when written).
    rr = varied_series(seed)
    np.testing.assert_array_equal(_detection_codes(rr), _detection_codes(rr, plain=True))
    np.testing.assert_array_equal(
        _detection_codes(rr, floors=False), _detection_codes(rr, plain=True, floors=False)
    )


def test_detection_fast_matches_plain_on_nsr(nn_long: FloatArray) -> None:
    bad, _ = inject(nn_long, 3)
    np.testing.assert_array_equal(_detection_codes(bad), _detection_codes(bad, plain=True))


def test_bound_never_exceeds_the_threshold(nn_long: FloatArray) -> None:
    for values in (nn_long, varied_series(5), varied_series(2), varied_series(1)):
        x = np.concatenate(([values.mean()], values))
        abs_drr = np.abs(np.diff(x, prepend=x[0]))
        candidates, bound = _gate_candidates(abs_drr)
        th1 = _threshold_full(abs_drr)
        ruled_out = ~candidates
        assert np.all(abs_drr[ruled_out] <= bound[ruled_out])
        assert np.all(bound[ruled_out] <= th1[ruled_out])


def test_visit_matches_the_loop() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(0, 60))
        # Long runs of consecutive entering beats, where the skipping matters.
        first = np.flatnonzero(rng.random(3 * n) < 0.7)[:n].astype(np.intp)
        ectopic = rng.random(first.size) < 0.2
        pair = rng.random(first.size) < 0.6
        kind_first = rng.integers(0, 6, first.size).astype(np.int8)
        kind_next = rng.integers(0, 6, first.size).astype(np.int8)
        args = (first, ectopic, pair, kind_first, kind_next)
        fast_at, fast_kind = _visit(*args)
        loop_at, loop_kind = _visit_loop(*args)
        order = np.argsort(fast_at)
        np.testing.assert_array_equal(fast_at[order], loop_at)
        np.testing.assert_array_equal(fast_kind[order], loop_kind)


# --- correction ---------------------------------------------------------------------------------


def test_extra_beat_merges_back_and_missed_beat_splits() -> None:
    clean = 800.0 + 50.0 * np.sin(np.arange(300) / 2.0)
    extra = np.insert(clean, 201, 0.6 * clean[200])
    extra[200] *= 0.4
    corrected, report = correct_rr(extra)
    assert report.by_type["extra"] == 1
    np.testing.assert_allclose(corrected, clean, rtol=1e-12)  # the split interval is restored
    missed = np.delete(clean, 151)
    missed[150] = clean[150] + clean[151]
    corrected, report = correct_rr(missed)
    assert report.by_type["missed"] == 1
    assert corrected.size == clean.size
    # The halves keep the sum and lean halfway from an even split towards the neighbours' line:
    # here the series rises through the missed beat, so the first half is the shorter one.
    assert corrected[150] + corrected[151] == pytest.approx(missed[150])
    assert clean[150] < clean[151]
    assert clean[150] < corrected[150] < missed[150] / 2
    # Only the difference between the halves is left out; the outer two are kept.
    assert report.breaks == (151,)
    even = np.array([missed[150] / 2] * 2)
    assert np.abs(corrected[150:152] - clean[150:152]).max() < np.abs(even - clean[150:152]).max()


def test_iterates_only_when_many_beats_are_flagged(artifact_free: FloatArray) -> None:
    # Few artifacts (about 2 % flagged): one pass, so the report counts what detection finds.
    sparse, _ = inject(artifact_free, 0)
    _, report = correct_rr(sparse)
    assert report.percent < ITERATE_ABOVE_PERCENT
    assert report.detected == detect_artifacts(sparse).any.sum()
    # Many (an artifact every 12 beats or so): later passes find what the inflated thresholds
    # hid in the first, and each beat is counted once.
    dense, _ = inject(artifact_free, 0, per_kind=130)
    first_pass = int(detect_artifacts(dense).any.sum())
    assert first_pass > ITERATE_ABOVE_PERCENT / 100 * dense.size
    corrected, report = correct_rr(dense)
    assert report.detected > first_pass
    assert report.detected == sum(report.by_type.values()) <= dense.size
    assert report.corrected == report.detected
    # Measured: 10.7 % flagged by the first pass, 542 beats in all; RMSSD of all differences
    # -1.6 % of the artifact-free series, reported -0.5 % (one pass alone: +18 %; uncorrected:
    # +281 %). Bound: 25 %.
    assert abs(rmssd(corrected) / rmssd(artifact_free) - 1.0) <= 0.25


# --- edge cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 5, MIN_DETECTION_BEATS - 1])
def test_short_series_have_no_artifacts(n: int) -> None:
    rr = np.array([800.0, 1600.0, 400.0, 810.0, 790.0, 805.0, 2000.0, 300.0, 800.0, 820.0])[:n]
    flags = detect_artifacts(rr)
    for kind in ARTIFACT_KINDS:
        assert getattr(flags, kind).shape == (n,)
    assert not flags.any.any()
    for correct in (True, False):
        nn, report = correct_rr(rr, correct=correct)
        np.testing.assert_array_equal(nn, rr)
        assert report.detected == report.corrected == 0
        assert report.percent == 0.0
        assert report.by_type == dict.fromkeys(ARTIFACT_KINDS, 0)


@pytest.mark.parametrize("n", [MIN_DETECTION_BEATS, 50, THRESHOLD_WINDOW_BEATS, 500])
def test_constant_series_has_no_artifacts(n: int) -> None:
    rr = np.full(n, 857.0)
    assert not detect_artifacts(rr).any.any()
    nn, report = correct_rr(rr)
    np.testing.assert_array_equal(nn, rr)
    assert report.detected == 0


def test_correct_false_returns_the_input_and_still_reports(artifact_free: FloatArray) -> None:
    bad, _ = inject(artifact_free, 1)
    before = bad.copy()
    nn, report = correct_rr(bad, correct=False)
    # Uncorrected, but without the intervals no heart makes: here two parts of split
    # intervals shorter than 200 ms.
    outside = out_of_range(bad)
    assert outside.sum() == 2
    np.testing.assert_array_equal(nn, before[~outside])
    np.testing.assert_array_equal(bad, before)  # the input is not modified
    assert not report.enabled
    assert report.corrected == 0
    assert report.out_of_range == report.changed == 2
    assert report.rmssd_before == report.rmssd_after
    assert report.detected == detect_artifacts(bad[~outside]).any.sum() > 0
    assert report.percent == pytest.approx(100.0 * report.detected / bad.size)


def test_report_is_json_ready(artifact_free: FloatArray) -> None:
    bad, _ = inject(artifact_free, 2)
    _, report = correct_rr(bad)
    data = json.loads(json.dumps(report.to_dict()))
    # These names are what the CLI, web and live views read (issue 12): keep them.
    assert set(data) == {
        "enabled",
        "detected",
        "corrected",
        "percent",
        "by_type",
        "changed",
        "out_of_range",
        "rmssd_before",
        "rmssd_after",
    }
    assert list(data["by_type"]) == list(ARTIFACT_KINDS)
    assert sum(data["by_type"].values()) == data["detected"]
    assert data["changed"] == data["corrected"] + data["out_of_range"]
    assert isinstance(data["rmssd_before"], float)
    assert isinstance(data["rmssd_after"], float)
    assert isinstance(data["out_of_range"], int)


def test_flags_are_read_only_and_exclusive(nn_long: FloatArray) -> None:
    flags = detect_artifacts(nn_long)
    masks = np.stack([getattr(flags, kind) for kind in ARTIFACT_KINDS])
    assert masks.sum(axis=0).max() <= 1  # a beat has at most one kind
    np.testing.assert_array_equal(flags.any, masks.any(axis=0))
    with pytest.raises(ValueError, match="read-only"):
        flags.ectopic[0] = True


@pytest.mark.parametrize("seed", range(7))
def test_output_is_finite_and_positive(seed: int) -> None:
    rr = varied_series(seed)
    nn, _ = correct_rr(rr)
    assert np.all(np.isfinite(nn))
    assert np.all(nn > 0)


# --- property test ------------------------------------------------------------------------------

plausible_rr = st.one_of(
    st.floats(min_value=300.0, max_value=2000.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([600.0, 800.0, 1600.0]),  # repeated values: ties and zero thresholds
)


@settings(max_examples=150, deadline=None)
@given(st.lists(plausible_rr, min_size=0, max_size=300))
def test_never_raises_and_stays_positive(values: list[float]) -> None:
    rr = np.asarray(values, dtype=np.float64)
    flags = detect_artifacts(rr)
    assert flags.any.shape == rr.shape
    for correct in (True, False):
        nn, report = correct_rr(rr, correct=correct)
        assert np.all(np.isfinite(nn))
        assert np.all(nn > 0)
        assert 0 <= report.detected <= rr.size
        assert report.detected == sum(report.by_type.values())
        assert 0.0 <= report.percent <= 100.0


# --- values no heart makes (issue 12, section 2) -------------------------------------------------


def steady(n: int = 300) -> FloatArray:
    return 800.0 + 30.0 * np.sin(np.arange(n) / 2.0)


@pytest.mark.parametrize("correct", [True, False])
def test_strap_invalid_code_never_enters_an_index(correct: bool) -> None:
    # Three 65535 values (the strap's "no interval" code) gave RMSSD 3,249 ms before.
    rr = steady()
    bad = rr.copy()
    bad[[50, 150, 250]] = 65535.0
    nn, report = correct_rr(bad, correct=correct)
    assert nn.max() <= MAX_RR_MS
    assert nn.size == rr.size - 3
    assert report.out_of_range == 3
    assert report.invalid_code == 3
    assert report.changed == report.corrected + 3
    # No successive difference across a left-out interval: the reported RMSSD is that of the
    # clean series without the six differences around them.
    assert report.breaks[:3] == (50, 149, 248)
    kept = np.delete(np.arange(rr.size), [50, 150, 250])
    diffs = np.diff(rr)
    around = np.isin(np.arange(diffs.size), [49, 50, 149, 150, 249, 250])
    expected = math.sqrt(float(np.mean(diffs[~around] ** 2)))
    if not correct:
        np.testing.assert_array_equal(nn, rr[kept])
    assert report.rmssd_before == pytest.approx(expected, rel=1e-12)
    assert report.rmssd_after == pytest.approx(expected, rel=1e-9 if not correct else 0.02)


def test_invalid_code_in_1024ths_of_a_second() -> None:
    assert invalid_code(np.array([65535.0, 65535 * 1000 / 1024, 65534.0, 800.0])).tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_out_of_range_bounds_are_inclusive() -> None:
    rr = np.array([MIN_RR_MS - 0.001, MIN_RR_MS, MAX_RR_MS, MAX_RR_MS + 0.001])
    assert out_of_range(rr).tolist() == [True, False, False, True]


def test_too_short_part_of_a_split_interval_is_merged_back() -> None:
    # With correction on, a too-short interval takes part in detection: the parts of a split
    # interval are merged back (an extra beat) rather than one part left out and the other kept.
    clean = steady()
    bad = np.insert(clean, 101, 0.8 * clean[100])
    bad[100] *= 0.2  # 160-ish ms: below MIN_RR_MS
    assert bad[100] < MIN_RR_MS
    nn, report = correct_rr(bad)
    np.testing.assert_allclose(nn, clean, rtol=1e-12)
    assert report.by_type["extra"] == 1
    assert report.out_of_range == 0
    assert report.breaks == ()
    # Without correction it is left out and its partner stays.
    nn, report = correct_rr(bad, correct=False)
    assert nn.size == bad.size - 1
    assert report.out_of_range == 1
    assert report.breaks == (100,)


def test_merge_beyond_the_bounds_is_left_out_after_correction() -> None:
    # A too-short interval next to a long one (their merge: 3050 ms, above MAX_RR_MS): whatever
    # correction makes of them, nothing outside the bounds comes out.
    rr = np.full(60, 2000.0) + np.arange(60)
    rr[30] = 150.0
    rr[31] = 2900.0
    nn, report = correct_rr(rr)
    assert np.all((nn >= MIN_RR_MS) & (nn <= MAX_RR_MS))
    assert report.changed >= 1


def test_successive_differences_skip_breaks() -> None:
    nn = np.array([800.0, 810.0, 900.0, 905.0, 900.0])
    assert successive_differences(nn).tolist() == [10.0, 90.0, 5.0, -5.0]
    assert successive_differences(nn, (2,)).tolist() == [10.0, 5.0, -5.0]
    assert successive_differences(nn, (1, 4)).tolist() == [90.0, 5.0]
    assert successive_differences(nn[:1], ()).size == 0


def test_premature_pair_keeps_its_sum() -> None:
    # A premature beat and its compensatory pause: the beats around the pair are real, so the
    # correction moves only the beat between them and the pair's sum is kept.
    clean = steady()
    rr = clean.copy()
    rr[100] -= 200.0
    rr[101] += 200.0
    nn, report = correct_rr(rr)
    assert report.detected == 2
    assert nn[100] + nn[101] == pytest.approx(rr[100] + rr[101])
    assert np.all(np.abs(nn - clean) < 15.0)
    # The difference between the two estimated intervals is left out of RMSSD; the two outer
    # ones (from a measured interval to an estimated one whose sum with its partner is
    # measured) are kept.
    assert report.breaks == (101,)


@pytest.mark.parametrize("seed", range(4))
def test_clean_low_variability_series_is_left_alone(seed: int) -> None:
    # Sinus rhythm with little variability: the paper's thresholds fall to a few ms and flag
    # ordinary beats; the floors (a share of the heart period) keep them.
    rng = np.random.default_rng(seed)
    n = 1500
    rr = 800.0 + 15.0 * np.sin(2 * np.pi * np.arange(n) / 4.5) + rng.normal(0, 6, n)
    assert _detection_codes(rr, floors=False).astype(bool).sum() > 0
    nn, report = correct_rr(rr)
    assert report.changed == 0
    np.testing.assert_array_equal(nn, rr)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            plausible_rr,
            st.sampled_from([50.0, 150.0, 3500.0, 65535.0, 65535 * 1000 / 1024]),
        ),
        min_size=0,
        max_size=200,
    )
)
def test_nothing_out_of_range_ever_comes_out(values: list[float]) -> None:
    rr = np.asarray(values, dtype=np.float64)
    n_out = int(out_of_range(rr).sum())
    for correct in (True, False):
        nn, report = correct_rr(rr, correct=correct)
        assert np.all((nn >= MIN_RR_MS) & (nn <= MAX_RR_MS))
        assert report.out_of_range <= n_out
        if not correct:
            assert report.out_of_range == n_out
            assert nn.size == rr.size - n_out
        assert all(0 < k < max(nn.size, 1) for k in report.breaks)
        assert list(report.breaks) == sorted(set(report.breaks))
        for value in (report.rmssd_before, report.rmssd_after):
            assert value is None or (math.isfinite(value) and value >= 0.0)


# --- issue 12: the reference next to the median, full compensation, measured differences -------


def test_missed_beat_where_the_median_lags_is_split(nn_long: FloatArray) -> None:
    # In the NSR hour with 5 % missed beats (seed 1), one falls where the RR series is low and
    # rising: the merged interval (1453 ms) is 1.75 times its neighbours (797, 859 ms) but only
    # 1.43 times the 11-beat median, below the 50 % floor. Measured before the neighbours' line
    # was a reference: not flagged at all.
    bad, where = inject_share(nn_long, 1, "missed", 5.0)
    at = next(a for a in where if a.first == 1942)
    assert at.kind == "missed"
    flags = detect_artifacts(bad)
    assert flags.missed[at.first]
    assert int(flags.any[at.first - 1 : at.first + 2].sum()) == 1


def test_extra_beat_off_the_median_is_merged(nn_long: FloatArray) -> None:
    # An interval split into 280 + 642 ms between 875 and 844 ms, where the 11-beat median is
    # 742 ms: the parts make 1.24 medians, outside 20 %, but one interval of the line around
    # them (1.07). Measured before: the first part flagged ectopic (interpolated, the second
    # part left in the series as an interval of its own).
    bad, where = inject_share(nn_long, 0, "extra", 3.0)
    at = next(a for a in where if a.first == 145)
    assert at.kind == "extra"
    flags = detect_artifacts(bad)
    assert flags.extra[at.first]
    assert int(flags.any[at.first - 1 : at.last + 2].sum()) == 1


def test_premature_beat_with_a_full_compensatory_pause() -> None:
    # 14 % premature with a pause that makes up for it exactly: a swing of 28 %, under the
    # 30 % of ECTOPIC_SWING_FRACTION, but a full compensatory pause (ECTOPIC_MATCHED_...).
    clean = steady()
    rr = clean.copy()
    line = (rr[99] + rr[102]) / 2.0
    rr[100] = 0.86 * line
    rr[101] = clean[100] + clean[101] - rr[100]
    assert rr[101] / line - rr[100] / line < 0.30
    flags = detect_artifacts(rr)
    assert flags.any[100]
    assert flags.any[101]
    assert int(flags.any.sum()) == 2
    nn, report = correct_rr(rr)
    assert np.abs(nn - clean).max() < 5.0
    # The pair keeps its sum and the pause is full: only the difference between the two is
    # left out.
    assert report.breaks == (101,)


def test_pause_short_of_full_compensation_leaves_all_three_differences_out() -> None:
    # An atrial premature beat resets the sinus node: the pause falls short and the pair's sum is
    # 11 % under two intervals. The sum is kept, but the outer differences would carry the
    # shortfall, so all three differences touching the pair are left out.
    clean = steady()
    rr = clean.copy()
    rr[100] -= 250.0
    rr[101] += 80.0
    nn, report = correct_rr(rr)
    assert report.detected == 2
    assert nn[100] + nn[101] == pytest.approx(rr[100] + rr[101])
    assert report.breaks == (100, 101, 102)


@pytest.mark.parametrize("seed", range(3))
def test_split_keeps_outer_differences(artifact_free: FloatArray, seed: int) -> None:
    # Of the three differences around a split missed beat, only the inner one is left out; the
    # merge of an extra beat leaves none out.
    bad, where = inject(artifact_free, seed, kinds=("missed",))
    nn, report = correct_rr(bad)
    assert report.by_type["missed"] == len(where)
    assert nn.size == artifact_free.size
    # Each split adds one break (the inner difference), nothing else is left out.
    assert len(report.breaks) == len(where)
    bad, where = inject(artifact_free, seed, kinds=("extra",))
    nn, report = correct_rr(bad)
    assert report.breaks == ()
    np.testing.assert_allclose(nn, artifact_free, rtol=1e-12)
