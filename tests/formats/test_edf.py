"""EDF, EDF+ and BDF written with pyedflib: the ECG channel by label, in physical units."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from format_writers import synthetic_ecg, write_edf

from vagus.formats import FormatError, detect, load
from vagus.hrv._types import FloatArray

FS_HZ = 256.0


@pytest.fixture
def ecg(rr_ms: FloatArray) -> FloatArray:
    return synthetic_ecg(rr_ms[:60], FS_HZ)[0]


def test_ecg_channel_found_by_label(tmp_path: Path, ecg: FloatArray) -> None:
    eeg = np.sin(np.arange(ecg.size) / 10.0) * 0.05
    path = write_edf(tmp_path / "night.edf", {"EEG Fpz-Cz": eeg, "ECG II": ecg}, FS_HZ)
    assert detect(path) == "edf"
    recording = load(path)
    assert (recording.format, recording.kind, recording.channel) == ("edf", "ecg", "ECG II")
    assert recording.channels == ("EEG Fpz-Cz", "ECG II")
    assert recording.fs_hz == FS_HZ
    assert recording.start == datetime(2026, 5, 1, 7, 30, 0)
    assert recording.metadata["unit"] == "mV"
    assert recording.metadata["variant"] == "EDF+"
    assert recording.metadata["subject"] == "S01"
    # 16-bit samples over the physical range the writer set (signal range + 10 % each side,
    # rounded to 0.001 mV): within one digital step.
    margin = (ecg.max() - ecg.min()) * 0.1
    physical = round(ecg.max() + margin, 3) - round(ecg.min() - margin, 3)
    step = physical / 65535
    assert recording.signal is not None
    assert recording.signal.size >= ecg.size  # EDF pads the last data record
    np.testing.assert_allclose(recording.signal[: ecg.size], ecg, atol=step)
    assert recording.describe()["n_samples"] == recording.signal.size


def test_lead_ii_preferred_and_channel_option(tmp_path: Path, ecg: FloatArray) -> None:
    path = write_edf(tmp_path / "holter.edf", {"V5": ecg * 0.5, "MLII": ecg}, FS_HZ)
    assert load(path).channel == "MLII"
    assert load(path, channel="v5").channel == "V5"
    assert load(path, channel="0").channel == "V5"
    with pytest.raises(FormatError, match=r"no channel 'X'; the channels are 'V5', 'MLII'"):
        load(path, channel="X")


def test_ppg_channel_when_no_ecg(tmp_path: Path, ecg: FloatArray) -> None:
    path = write_edf(tmp_path / "oxi.edf", {"SpO2": ecg * 0, "Pleth": ecg}, FS_HZ)
    recording = load(path)
    assert (recording.kind, recording.channel) == ("ppg", "Pleth")


def test_no_heart_channel_names_the_channels(tmp_path: Path, ecg: FloatArray) -> None:
    path = write_edf(tmp_path / "eeg.edf", {"Fpz-Cz": ecg, "Pz-Oz": ecg}, FS_HZ)
    with pytest.raises(
        FormatError,
        match=r"no ECG or PPG channel found by label \(channels: "
        r"'Fpz-Cz', 'Pz-Oz'\); name the channel",
    ):
        load(path)


def test_bdf(tmp_path: Path, ecg: FloatArray) -> None:
    path = write_edf(tmp_path / "rec.bdf", {"EKG": ecg}, FS_HZ, file_type=2)
    assert path.read_bytes()[:8] == b"\xffBIOSEMI"
    recording = load(path)
    assert recording.metadata["variant"] == "BDF"
    assert recording.signal is not None
    np.testing.assert_allclose(recording.signal[: ecg.size], ecg, atol=1e-5)


def test_truncated_and_damaged(tmp_path: Path, ecg: FloatArray) -> None:
    path = write_edf(tmp_path / "a.edf", {"ECG": ecg}, FS_HZ)
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(FormatError, match=r"a\.edf: not a readable EDF/BDF file"):
        load(path)
    path.write_bytes(data[:200])
    with pytest.raises(FormatError, match=r"a\.edf: not a readable EDF/BDF file"):
        load(path)
