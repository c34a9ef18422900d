"""Issue 12's three targets for artifact correction, asserted on every dataset we have.

benchmarks/artifact_validation.py prints the same numbers with more seeds (the table in the
README's validation section). Datasets, each skipped with a reason when absent:

- ``nsr-5min``, ``nsr-60min``: pyhrv's NN series from PhysioNet's NSR RR Interval Database
  (annotated normal beats: clean by definition).
- ``systole-task1-ecg``: systole's ``Task1_ECG.npy``, 25.6 min of a clean ECG at 1000 Hz (the
  recording the issue measured), beats by our detector; ``systole-task1-ecg-10min`` its first 10
  minutes.
- ``mitdb-100``: MIT-BIH Arrhythmia record 100, 33 atrial premature beats and 1 PVC annotated.
"""

from __future__ import annotations

import importlib.metadata
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from artifact_injection import KINDS, Injected, inject_share
from vagus.hrv import analyze, correct_rr, detect_artifacts
from vagus.hrv._registry import INDICES
from vagus.hrv._types import BoolArray, FloatArray

TIME_INDICES = tuple(index.name for index in INDICES if index.domain == "time")
SEEDS = range(3)

# --- datasets ------------------------------------------------------------------------------------


def systole_task1_rr(minutes: float | None) -> FloatArray:
    try:
        dist = importlib.metadata.distribution("systole")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("systole is not installed: its Task1_ECG.npy is the clean 1000 Hz ECG")
    path = Path(str(dist.locate_file("systole/datasets/Task1_ECG.npy")))
    if not path.exists():
        pytest.skip(f"systole's Task1_ECG.npy is not at {path}")
    from vagus.signals import detect_ecg_beats

    ecg = np.load(path)
    if minutes is not None:
        ecg = ecg[: int(minutes * 60 * 1000)]
    return detect_ecg_beats(ecg, 1000.0).rr_ms()


@pytest.fixture(scope="module")
def task1() -> FloatArray:
    return systole_task1_rr(None)


@pytest.fixture(scope="module")
def task1_10min() -> FloatArray:
    return systole_task1_rr(10.0)


@pytest.fixture
def dataset(request: pytest.FixtureRequest) -> FloatArray:
    """The clean series named by the parameter."""
    fixture = {
        "nsr-5min": "nn_short",
        "nsr-60min": "nn_long",
        "systole-task1-ecg": "task1",
        "systole-task1-ecg-10min": "task1_10min",
    }[request.param]
    series: FloatArray = request.getfixturevalue(fixture)
    return series


def rmssd(rr: FloatArray) -> float:
    return math.sqrt(float(np.mean(np.diff(rr) ** 2)))


# --- 1. clean recordings -------------------------------------------------------------------------

CLEAN = ["nsr-5min", "nsr-60min", "systole-task1-ecg", "systole-task1-ecg-10min"]


@pytest.mark.parametrize("dataset", CLEAN, indirect=True)
def test_clean_recordings_are_left_alone(dataset: FloatArray) -> None:
    # Target: at most 0.2 % of the intervals changed; every time-domain index within 1 % of its
    # value without correction. Measured: 0 changed on nsr-5min and both systole series (the
    # paper's method: 5, 17 and 14, RMSSD -5.8 %, -5.2 %, -6.8 %); 4 of 4684 on nsr-60min
    # (0.09 %, two sharp short-long pairs), largest change RMSSD -0.43 % (before: 83, -8.5 %).
    corrected = analyze(dataset)
    plain = analyze(dataset, correct=False)
    assert corrected.artifacts.changed <= 0.002 * dataset.size
    for name in TIME_INDICES:
        before, after = plain.indices[name], corrected.indices[name]
        if before is None or before == 0:
            assert after == before, name
            continue
        assert after is not None, name
        assert abs(after / before - 1.0) <= 0.01, name
    rmssd_before = corrected.artifacts.rmssd_before
    assert rmssd_before == pytest.approx(plain.indices["rmssd"])


# --- 2. injected artifacts -----------------------------------------------------------------------


def found(flags: BoolArray, artifact: Injected) -> bool:
    """A flag on one of the injected intervals or on an interval right next to them."""
    return bool(flags[max(0, artifact.first - 1) : artifact.last + 2].any())


@pytest.mark.parametrize("percent", [1.0, 3.0, 5.0])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dataset", ["nsr-60min", "systole-task1-ecg"], indirect=True)
def test_injected_artifacts_found_and_rmssd_restored(
    dataset: FloatArray, kind: str, percent: float
) -> None:
    # Target, for every seed: >= 95 % found; RMSSD within 2 % of the uncorrected clean series.
    # Three seeds per case here; benchmarks/artifact_validation.py --seeds 10 measures ten:
    # worst seed found 95.7 % (1 % ectopic on nsr-60min: 2 of 47 not flagged, premature by
    # 7-10 % of the line around them, where sinus arrhythmia moves the line as much), RMSSD
    # worst seed -1.90 % (3 % ectopic on nsr-60min), mean error within 0.9 %. The reported
    # RMSSD leaves out the difference inside each split or sum-keeping pair and those touching
    # an interpolated interval, and keeps the outer differences of splits and pairs (see
    # vagus.hrv._artifacts._unmeasured): leaving out all three per artifact cost up to 2.3 %
    # in sampling error (3 % missed or ectopic on systole-task1-ecg). Bounds: the targets.
    clean_rmssd = rmssd(dataset)
    for seed in SEEDS:
        bad, where = inject_share(dataset, seed, kind, percent)
        flags = detect_artifacts(bad).any
        hits = sum(found(flags, a) for a in where)
        assert hits >= 0.95 * len(where), seed
        _, report = correct_rr(bad)
        assert report.rmssd_after is not None
        assert abs(report.rmssd_after / clean_rmssd - 1.0) <= 0.02, seed


# --- 3. annotated ectopic beats ------------------------------------------------------------------


def test_mitbih_100_annotated_ectopic_beats(mitdb_100_dir: Path) -> None:
    # Target: >= 95 % of the annotated premature beats flagged; normal beats flagged <= 0.2 %.
    # Measured: 34 of 34; 0 of 2204 other intervals (the paper's method: 11, 0.5 %).
    wfdb = pytest.importorskip("wfdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a pandas deprecation inside wfdb
        ann = wfdb.rdann(str(mitdb_100_dir / "100"), "atr")
    symbols = np.asarray(ann.symbol)
    beat = np.isin(symbols, list("NLRBAaJSVrFejnE/fQ"))
    rr = np.diff(np.asarray(ann.sample)[beat] / float(ann.fs)) * 1000.0
    premature = np.flatnonzero(np.isin(symbols[beat][1:], ["A", "a", "J", "S", "V", "E"]))
    assert premature.size == 34
    flags = detect_artifacts(rr).any
    assert sum(bool(flags[k : k + 2].any()) for k in premature) >= 0.95 * premature.size
    near = np.zeros(rr.size, dtype=bool)
    near[premature] = True
    near[np.minimum(premature + 1, rr.size - 1)] = True
    assert (flags & ~near).sum() <= 0.002 * (~near).sum()
    # The correction restores the rhythm: RMSSD with correction is close to that of the normal
    # beats' own differences (those not touching a premature beat): 27.48 ms. Measured: 28.18
    # ms (+2.5 %; the outer differences of the corrected pairs are kept, and an atrial premature
    # beat's pause rarely compensates fully, so they carry the pair's shortfall); with every
    # difference touching a corrected pair left out, 27.48 ms; over all differences of the
    # corrected series 28.02 ms; uncorrected 63.2 ms. Bound: 5 %.
    _, report = correct_rr(rr)
    touching = near[1:] | near[:-1]
    normal = math.sqrt(float(np.mean(np.diff(rr)[~touching] ** 2)))
    assert report.rmssd_after is not None
    assert abs(report.rmssd_after / normal - 1.0) <= 0.05
