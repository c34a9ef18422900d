"""WFDB: MIT-BIH record 100 and small records written with wfdb.wrsamp / wfdb.wrann."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from format_writers import synthetic_ecg, write_wfdb

from vagus.formats import FormatError, detect, load
from vagus.hrv._types import FloatArray

FS_HZ = 250.0


def test_mitdb_100_gives_the_reference_intervals(mitdb_100_dir: Path) -> None:
    recording = load(mitdb_100_dir / "100")
    assert (recording.format, recording.kind, recording.channel) == ("wfdb", "rr", "MLII")
    assert recording.channels == ("MLII", "V5")
    assert recording.fs_hz == 360.0
    assert recording.signal is not None
    assert recording.signal.size == 650_000
    # The shipped example recording holds these intervals to 3 decimals (0.0005 ms).
    example = resources.files("vagus") / "data" / "example_rr.txt"
    expected = np.loadtxt(str(example), comments="#")
    assert recording.rr_ms is not None
    assert recording.rr_ms.size == 2272
    np.testing.assert_allclose(recording.rr_ms, expected, atol=5e-4)
    assert "2273 reference beat annotations in 100.atr" in recording.warnings[0]
    # Any file of the record names it.
    assert detect(mitdb_100_dir / "100.hea") == "wfdb"
    assert detect(mitdb_100_dir / "100.dat") == "wfdb"
    assert load(mitdb_100_dir / "100.dat", channel="V5").channel == "V5"


def test_record_without_annotations_is_a_waveform(tmp_path: Path, rr_ms: FloatArray) -> None:
    ecg, _ = synthetic_ecg(rr_ms[:30], FS_HZ)
    base = write_wfdb(tmp_path, "rec1", {"resp": ecg * 0.1, "ECG1": ecg}, FS_HZ)
    recording = load(base)
    assert (recording.kind, recording.channel, recording.rr_ms) == ("ecg", "ECG1", None)
    assert recording.signal is not None
    np.testing.assert_allclose(recording.signal, ecg, atol=1e-3)  # format 16, gain 200/mV
    assert recording.metadata["comments"] == "synthetic test record"


def test_beat_annotations_are_used(tmp_path: Path, rr_ms: FloatArray) -> None:
    ecg, beats = synthetic_ecg(rr_ms[:30], FS_HZ)
    samples = np.round(beats).astype(int)
    symbols = ["N"] * samples.size
    symbols[10] = "V"  # an ectopic beat is still a beat
    # Non-beat annotations (rhythm change, noise) are skipped.
    all_samples = np.sort(np.concatenate([samples, [samples[5] + 20, samples[20] + 30]]))
    all_symbols = [symbols[list(samples).index(s)] if s in samples else "+" for s in all_samples]
    all_symbols[list(all_samples).index(samples[20] + 30)] = "~"
    base = write_wfdb(
        tmp_path, "rec2", {"MLII": ecg}, FS_HZ, beats=all_samples, symbols=all_symbols
    )
    recording = load(base)
    assert recording.kind == "rr"
    np.testing.assert_allclose(recording.rr_ms, np.diff(samples) * 1000.0 / FS_HZ, atol=1e-9)
    assert recording.metadata["beats_from"] == "reference annotations rec2.atr (31 beats)"


def test_truncated_signal_file(tmp_path: Path, rr_ms: FloatArray) -> None:
    ecg, _ = synthetic_ecg(rr_ms[:10], FS_HZ)
    base = write_wfdb(tmp_path, "rec3", {"ECG": ecg}, FS_HZ)
    dat = tmp_path / "rec3.dat"
    dat.write_bytes(dat.read_bytes()[:-10])
    with pytest.raises(
        FormatError,
        match=r"rec3\.dat: holds \d+ bytes, but rec3\.hea announces "
        r"\d+ samples \(\d+ bytes\); the file is truncated",
    ):
        load(base)
    dat.unlink()
    with pytest.raises(FormatError, match=r"rec3\.dat: no such file \(named by rec3\.hea\)"):
        load(base)


def test_damaged_annotation_file(tmp_path: Path, mitdb_100_dir: Path) -> None:
    for name in ("100.hea", "100.dat"):
        shutil.copy(mitdb_100_dir / name, tmp_path / name)
    (tmp_path / "100.atr").write_bytes((mitdb_100_dir / "100.atr").read_bytes()[:9])
    with pytest.raises(FormatError, match=r"100\.atr: "):
        load(tmp_path / "100")


def test_bad_header(tmp_path: Path) -> None:
    (tmp_path / "x.hea").write_text("x 1 abc 100\nx.dat 16 200 16 0 0 0 0 ECG\n")
    with pytest.raises(FormatError, match=r"x\.hea, line 1: 'x 1 abc 100' is not a WFDB record"):
        load(tmp_path / "x", format="wfdb")
