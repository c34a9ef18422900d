"""Garmin FIT: files written by fit-tool (with HrvMessage) come back as the same beat intervals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from format_writers import write_fit

from vagus.formats import FormatError, detect, load
from vagus.hrv._types import FloatArray


def test_round_trip_to_one_millisecond(tmp_path: Path, rr_ms: FloatArray) -> None:
    # 300 intervals in hrv messages of 5, the last one padded with 0xFFFF (invalid) slots.
    path = write_fit(tmp_path / "activity.fit", rr_ms[:298])
    recording = load(path)
    assert (recording.format, recording.kind) == ("fit", "rr")
    np.testing.assert_allclose(recording.rr_ms, rr_ms[:298], atol=1e-9)  # whole ms: exact
    assert recording.metadata["invalid_hrv_slots"] == "2"
    assert recording.metadata["beats_from"] == "hrv messages"
    assert recording.metadata["device_manufacturer"] == "garmin"
    assert recording.metadata["record_heart_rate"] == "3 samples, mean 71 bpm (min 70, max 72)"
    assert recording.start == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_detected_by_magic_whatever_the_name(tmp_path: Path, rr_ms: FloatArray) -> None:
    path = write_fit(tmp_path / "download.txt", rr_ms[:10])
    assert detect(path) == "fit"


def test_heart_rate_only_is_a_clear_error(tmp_path: Path) -> None:
    path = write_fit(tmp_path / "run.fit", None, heart_rates=[60, 61, 62, 63])
    with pytest.raises(
        FormatError,
        match=r"run\.fit: the FIT file holds no beat intervals \(no "
        r"hrv messages\) \(it has 4 heart-rate samples",
    ):
        load(path)


def test_only_invalid_slots(tmp_path: Path) -> None:
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.hrv_message import HrvMessage

    builder = FitFileBuilder(auto_define=True)
    message = HrvMessage()
    message.time = [None, None, None, None, None]
    builder.add(message)
    path = tmp_path / "empty.fit"
    builder.build().to_file(str(path))
    with pytest.raises(FormatError, match=r"hrv messages hold only invalid values \(5 empty"):
        load(path)


def test_corrupt_byte_fails_the_checksum(tmp_path: Path, rr_ms: FloatArray) -> None:
    path = write_fit(tmp_path / "a.fit", rr_ms[:50])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"a\.fit: .*(checksum|not a readable FIT)"):
        load(path)


def test_truncated_file(tmp_path: Path, rr_ms: FloatArray) -> None:
    path = write_fit(tmp_path / "a.fit", rr_ms[:50])
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(FormatError, match=r"a\.fit: "):
        load(path)


def test_options_that_do_not_apply(tmp_path: Path, rr_ms: FloatArray) -> None:
    path = write_fit(tmp_path / "a.fit", rr_ms[:10])
    with pytest.raises(FormatError, match="--unit applies to text files"):
        load(path, unit="s")
    with pytest.raises(FormatError, match="--channel does not apply to FIT"):
        load(path, channel="1")
