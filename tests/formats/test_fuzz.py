"""Every reader, fed truncated files and random bytes, answers with a Recording or RrDataError.

Never another exception type: a user's broken download must give one clear message, not a
traceback. Binary formats protected by sizes or checksums (FIT, EDF, WFDB signal files, ZIP)
must refuse every truncation; text formats may still hold valid data when cut.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from format_writers import (
    OSLO_SUMMER,
    AppleSeries,
    synthetic_ecg,
    synthetic_rr,
    write_apple,
    write_edf,
    write_fit,
    write_wfdb,
    zip_export,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vagus.formats import FORMATS, Recording, load
from vagus.hrv import RrDataError

RR = synthetic_rr(40)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _text_files(folder: Path) -> dict[str, Path]:
    files = {
        "rr-text": folder / "rr.txt",
        "polar": folder / "polar.txt",
        "elite-hrv": folder / "2026-05-01 07-30-12.txt",
        "hrv-logger": folder / "rr.csv",
        "kubios": folder / "kubios.txt",
    }
    files["rr-text"].write_text("".join(f"{x:g}\n" for x in RR))
    files["polar"].write_text(
        "Phone timestamp;RR-interval [ms]\n"
        + "".join(f"2026-05-01T08:00:{i:02d}.000;{x:g}\n" for i, x in enumerate(RR))
    )
    files["elite-hrv"].write_text("".join(f"{x:g}\n" for x in RR))
    files["hrv-logger"].write_text(
        "date, rr, since_start, window, lap\n"
        + "".join(f"2016-09-22 20:42:{i:02d} +0000, {x:.6f}, 0, 1, 0\n" for i, x in enumerate(RR))
    )
    kubios = "".join(f"{x:.3f}\n" for x in RR)
    files["kubios"].write_text("# SIGNAL/SERIES EXPORT - KUBIOS\n" + kubios)
    return files


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One valid file per format (for WFDB the record's .hea)."""
    folder = tmp_path_factory.mktemp("originals")
    files = _text_files(folder)
    files["fit"] = write_fit(folder / "a.fit", RR)
    ecg, beats = synthetic_ecg(RR[:10], 128.0)
    files["edf"] = write_edf(folder / "a.edf", {"ECG": ecg}, 128.0)
    write_wfdb(folder, "rec", {"ECG": ecg}, 128.0, beats=np.round(beats).astype(int))
    files["wfdb"] = folder / "rec.hea"
    apple = [AppleSeries(datetime(2026, 5, 1, 8, 0, tzinfo=OSLO_SUMMER), np.round(RR / 10) * 10)]
    files["apple-health"] = write_apple(folder / "export.xml", apple, filler=1)
    files["apple-zip"] = zip_export(files["apple-health"], folder / "export.zip")
    return files


def _load_bytes(originals: dict[str, Path], key: str, data: bytes, part: str = "") -> Recording:
    """Write ``data`` in place of the original file (or the WFDB part) and load it."""
    source = originals[key]
    folder = source.parent.parent / f"fuzz-{uuid.uuid4().hex}"
    folder.mkdir()
    try:
        fmt = "apple-health" if key == "apple-zip" else key
        if key == "wfdb":
            for sibling in source.parent.glob("rec.*"):
                shutil.copy(sibling, folder / sibling.name)
            (folder / f"rec{part}").write_bytes(data)
            return load(folder / "rec", format=fmt)
        target = folder / source.name
        target.write_bytes(data)
        return load(target, format=fmt)
    finally:
        shutil.rmtree(folder)


def _outcome(call: Callable[[], Recording]) -> Recording | RrDataError:
    try:
        return call()
    except RrDataError as error:
        message = str(error)
    assert message.strip(), "an error message must say what is wrong"
    return RrDataError(message)


KEYS = [*FORMATS, "apple-zip"]
STRICT = {"fit", "edf", "apple-zip"}


@pytest.mark.parametrize("key", KEYS)
@FUZZ
@given(cut=st.floats(0.0, 1.0, exclude_max=True))
def test_truncated_files(originals: dict[str, Path], key: str, cut: float) -> None:
    part = ".dat" if key == "wfdb" else ""
    data = (originals[key].with_suffix(".dat") if key == "wfdb" else originals[key]).read_bytes()
    kept = data[: int(cut * len(data))]
    outcome = _outcome(lambda: _load_bytes(originals, key, kept, part))
    if key in STRICT or key == "wfdb":
        assert isinstance(outcome, RrDataError), f"{key} cut to {len(kept)} of {len(data)} bytes"


@pytest.mark.parametrize("key", KEYS)
@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes(originals: dict[str, Path], key: str, data: bytes) -> None:
    part = ".hea" if key == "wfdb" else ""
    _outcome(lambda: _load_bytes(originals, key, data, part))


MAGIC = {
    "fit": bytes([14, 0x10, 0x5D, 0x08, 0xFF, 0, 0, 0]) + b".FIT",
    "edf": b"0       ",
    "apple-zip": b"PK\x03\x04",
    "apple-health": b'<?xml version="1.0"?>\n<!DOCTYPE HealthData [\n]>\n<HealthData>',
    "wfdb": b"rec 1 128 1280\nrec.dat 16 200 16 0 0 0 0 ECG\n",
    "polar": b"Phone timestamp;sensor timestamp [ns];ecg [uV]\n",
}


@pytest.mark.parametrize("key", sorted(MAGIC))
@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_behind_a_valid_start(
    originals: dict[str, Path], key: str, data: bytes
) -> None:
    part = ".hea" if key == "wfdb" else ""
    _outcome(lambda: _load_bytes(originals, key, MAGIC[key] + data, part))


@pytest.mark.parametrize("key", ["fit", "edf", "apple-zip", "apple-health"])
@FUZZ
@given(position=st.floats(0.0, 1.0, exclude_max=True), value=st.integers(0, 255))
def test_one_corrupted_byte(
    originals: dict[str, Path], key: str, position: float, value: int
) -> None:
    data = bytearray(originals[key].read_bytes())
    data[int(position * len(data))] = value
    _outcome(lambda: _load_bytes(originals, key, bytes(data)))
