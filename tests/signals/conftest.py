"""Reference recordings for the beat detectors, loaded once per session.

- MIT-BIH Arrhythmia record 100 (../shared/data/mitdb-100, via the ``mitdb_100_dir`` fixture of
  tests/conftest.py): lead MLII at 360 Hz and the cardiologists' beat annotations.
- pyphysio's test recording (``pyphysio/test_data/medical.txt.bz2`` in its wheel): 120 s of
  simultaneous ECG, EDA, blood-volume pulse (PPG) and respiration, tab-separated, one row per
  sample. pyphysio's own ``TestData`` reads it at 2048 Hz, which the file bears out: 245,760 rows
  are 120 s at 2048 Hz, and its ECG then beats at 70/min (its ``info_medical`` note says 1024 Hz,
  which would make that 35/min). The file is read with numpy and bz2 alone: importing pyphysio
  pulls in xarray and prints to stdout.
"""

from __future__ import annotations

import bz2
import importlib.metadata
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
from beat_reference import EcgPpg, Record

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


@pytest.fixture(scope="session")
def pyphysio_ecg_ppg() -> EcgPpg:
    """The pyphysio recording, decimated to 1024 Hz (our detectors accept up to 2000 Hz)."""
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
