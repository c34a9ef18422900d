"""Shared fixtures: real reference recordings, loaded from where they lie.

- pyhrv's wheel ships two NN series from PhysioNet's Normal Sinus Rhythm database (BSD-3; see
  tests/data/README.md). Importing pyhrv pulls in biosppy and its optional dependencies, so the
  files are located through the installed distribution instead of by importing the package.
- ../shared/data/mitdb-100 holds MIT-BIH Arrhythmia record 100 with reference annotations.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

from vagus.hrv._types import FloatArray

# pytest runs with --doctest-modules; conftest files are plugins, not doctest modules, and
# collecting several files all named conftest.py as modules makes their imports collide.
collect_ignore_glob = ["conftest.py", "*/conftest.py"]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MITDB_100 = SHARED_DATA / "mitdb-100"


def pyhrv_file(name: str) -> Path:
    """Path of a file in pyhrv's ``files/`` folder, without importing pyhrv."""
    path = Path(str(importlib.metadata.distribution("pyhrv").locate_file(f"pyhrv/files/{name}")))
    if not path.exists():
        pytest.skip(f"pyhrv's sample file {name} is not installed (pip install pyhrv)")
    return path


def load_nn(name: str) -> FloatArray:
    return np.asarray(np.load(pyhrv_file(name)), dtype=np.float64)


@pytest.fixture(scope="session")
def nn_short() -> FloatArray:
    """5 minutes of NN intervals in ms (PhysioNet NSR DB via pyhrv)."""
    return load_nn("SampleNNISeriesShort.npy")


@pytest.fixture(scope="session")
def nn_long() -> FloatArray:
    """60 minutes of NN intervals in ms (PhysioNet NSR DB via pyhrv)."""
    return load_nn("SampleNNISeriesLong.npy")


@pytest.fixture(scope="session")
def mitdb_100_dir() -> Path:
    if not (MITDB_100 / "100.hea").exists():
        pytest.skip(f"MIT-BIH record 100 is not at {MITDB_100} (see ../shared/data/README.md)")
    return MITDB_100
