"""Text exports: each app's layout comes back as the RR series written into it."""

from __future__ import annotations

import codecs
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from format_writers import synthetic_ecg

from vagus.formats import FormatError, detect, load
from vagus.hrv import RrDataError
from vagus.hrv._rr import MAX_LINE_CHARS
from vagus.hrv._types import FloatArray


def polar_rr_text(rr_ms: FloatArray, start: datetime) -> str:
    lines = ["Phone timestamp;RR-interval [ms]"]
    moment = start
    for rr in rr_ms:
        moment += timedelta(milliseconds=float(rr))
        lines.append(f"{moment.isoformat(timespec='milliseconds')};{int(rr)}")
    return "\n".join(lines) + "\n"


def test_polar_rr_round_trip(tmp_path: Path, rr_ms: FloatArray) -> None:
    path = tmp_path / "Polar_H10_A1B2C3D4_20260501_080000_RR.txt"
    path.write_text(polar_rr_text(rr_ms, datetime(2026, 5, 1, 8, 0, 0)))
    recording = load(path)
    assert recording.format == "polar"
    assert recording.kind == "rr"
    np.testing.assert_array_equal(recording.rr_ms, rr_ms)  # whole ms: exact
    assert recording.start == datetime(2026, 5, 1, 8, 0, 0, int(rr_ms[0]) * 1000)
    assert recording.metadata["app"] == "Polar Sensor Logger, RR intervals"


def test_polar_ecg_sampling_rate_from_the_sensor_clock(tmp_path: Path) -> None:
    fs_true = 130.061  # a real H10's measured rate (ECG Recorder docs)
    signal_mv, _ = synthetic_ecg(np.full(20, 900.0), fs_true)
    ecg_uv = np.round(signal_mv * 1000.0)
    stamps = 599616065136175104 + np.round(np.arange(ecg_uv.size) * 1e9 / fs_true).astype(np.int64)
    rows = [
        f"2026-05-01T08:00:{(i / fs_true) % 60:06.3f};{t};{int(v)}"
        for i, (t, v) in enumerate(zip(stamps, ecg_uv, strict=True))
    ]
    path = tmp_path / "Polar_H10_ECG.txt"
    path.write_text("Phone timestamp;sensor timestamp [ns];ecg [uV]\n" + "\n".join(rows) + "\n")
    recording = load(path)
    assert (recording.format, recording.kind, recording.metadata["unit"]) == ("polar", "ecg", "uV")
    assert recording.rr_ms is None
    assert recording.signal is not None
    np.testing.assert_array_equal(recording.signal, ecg_uv)
    assert recording.fs_hz == pytest.approx(fs_true, rel=1e-6)
    assert recording.warnings == []


def test_polar_ecg_reports_lost_packets(tmp_path: Path) -> None:
    step = 1e9 / 130.0
    stamps = np.arange(1000) * step
    stamps[500:] += 73 * step  # one lost frame of 73 samples
    rows = [f"2026-05-01T08:00:00.000;{int(t)};{i % 7}" for i, t in enumerate(stamps)]
    path = tmp_path / "ecg.txt"
    path.write_text("Phone timestamp;sensor timestamp [ns];ecg [uV]\n" + "\n".join(rows))
    recording = load(path)
    assert recording.fs_hz == pytest.approx(130.0, rel=1e-6)
    assert len(recording.warnings) == 1
    assert "1 gap(s)" in recording.warnings[0]
    assert "0.56 s" in recording.warnings[0]


def test_polar_ecg_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ecg.txt"
    path.write_text(
        "Phone timestamp;sensor timestamp [ns];ecg [uV]\n"
        "2026-05-01T08:00:00.000;0;12\n2026-05-01T08:00:00.008;7692307;abc\n"
    )
    with pytest.raises(
        FormatError,
        match=r"ecg\.txt, line 3: expected a number in column "
        r"'ecg \[uV\]', got 'abc'",
    ):
        load(path)


def test_polar_ppi_counts_blocked_intervals(tmp_path: Path) -> None:
    path = tmp_path / "Polar_Sense_PPI.txt"
    path.write_text(
        "Phone timestamp;PP-interval [ms];error estimate [ms];blocker;contact;contact;hr [bpm]\n"
        "2026-05-01T08:00:00.800;800;10;0;1;1;75\n"
        "2026-05-01T08:00:01.610;810;10;1;1;1;74\n"
        "2026-05-01T08:00:02.400;790;12;0;1;1;76\n"
    )
    recording = load(path)
    np.testing.assert_array_equal(recording.rr_ms, [800.0, 810.0, 790.0])
    assert recording.metadata["signal"] == "PPG pulse-to-pulse intervals"
    assert recording.warnings[0].startswith("1 pulse interval(s) carry the sensor's blocker flag")


def test_polar_stream_we_do_not_read_is_named(tmp_path: Path) -> None:
    path = tmp_path / "acc.txt"
    path.write_text("Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\n2026;1;2;3;4\n")
    assert detect(path) == "polar"
    with pytest.raises(FormatError, match=r"line 1: a Polar Sensor Logger file with columns"):
        load(path)


def test_hrv_logger_real_layout(tmp_path: Path, rr_ms: FloatArray) -> None:
    # The layout of HRV Logger's RR file as in the app author's own recordings
    # (marcoalt/PPG-devices-comparison, data/001/rr_h7.csv): ", " separators, classic-Mac "\r"
    # line ends, six decimals.
    start = datetime.fromisoformat("2016-09-22 20:42:20+00:00")
    since = np.cumsum(rr_ms)
    rows = ["date, rr, since_start, window, lap"]
    for rr, elapsed in zip(rr_ms, since, strict=True):
        moment = start + timedelta(milliseconds=float(elapsed))
        rows.append(f"{moment:%Y-%m-%d %H:%M:%S} +0000, {rr:.6f}, {elapsed:.6f}, 1, 0")
    path = tmp_path / "rr.csv"
    path.write_bytes("\r".join(rows).encode())
    recording = load(path)
    assert recording.format == "hrv-logger"
    np.testing.assert_array_equal(recording.rr_ms, rr_ms)
    assert recording.start == start + timedelta(milliseconds=float(rr_ms[0]) // 1000 * 1000)


def test_elite_hrv_by_content_and_name(tmp_path: Path, rr_ms: FloatArray) -> None:
    path = tmp_path / "2026-05-01 07-30-12.txt"
    path.write_text("\n".join(str(int(x)) for x in rr_ms) + "\n")
    recording = load(path)
    assert recording.format == "elite-hrv"
    assert recording.start == datetime(2026, 5, 1, 7, 30, 12)
    np.testing.assert_array_equal(recording.rr_ms, rr_ms)
    other = tmp_path / "rr.txt"
    other.write_bytes(path.read_bytes())
    assert detect(other) == "rr-text"


def test_kubios_one_column_with_header(tmp_path: Path, rr_ms: FloatArray) -> None:
    # The kubios package's export (github.com/PGomes92/kubios, SampleExport.txt).
    header = (
        "# SIGNAL/SERIES EXPORT - KUBIOS\n# File:\t\t\t\tRandomSamples\n# Device:\t \t\t\tn/a\n"
        "# Sampling rate: \t\tn/a\n"
    )
    path = tmp_path / "export.txt"
    path.write_text(header + "".join(f"{x:.3f}\n" for x in rr_ms))
    recording = load(path)
    assert recording.format == "kubios"
    assert recording.metadata["file"] == "RandomSamples"
    assert "device" not in recording.metadata  # "n/a" is not information
    np.testing.assert_array_equal(recording.rr_ms, rr_ms)


@pytest.mark.parametrize("delimiter", ["\t", " ", ","])
def test_kubios_time_and_rr_columns_in_seconds(
    tmp_path: Path, rr_ms: FloatArray, delimiter: str
) -> None:
    times = np.cumsum(rr_ms) / 1000.0
    path = tmp_path / "ibi.txt"
    path.write_text(
        "".join(f"{t:.3f}{delimiter}{x / 1000:.3f}\n" for t, x in zip(times, rr_ms, strict=True))
    )
    recording = load(path)
    assert recording.format == "kubios"
    assert recording.metadata["layout"] == "time and RR columns"
    np.testing.assert_allclose(recording.rr_ms, rr_ms, atol=1e-9)


def test_kubios_time_and_rr_error_keeps_the_line_number(tmp_path: Path) -> None:
    path = tmp_path / "ibi.txt"
    path.write_text("0.8\t0.8\n1.61\t0.81\n2.4\tx\n")
    assert detect(path) == "kubios"
    with pytest.raises(RrDataError, match=r"ibi\.txt, line 3: expected a number"):
        load(path)


def test_generic_csv_uses_the_hrv_parser(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("time;IBI (s)\n0;0,812\n1;0,798\n")
    recording = load(path)
    assert recording.format == "rr-text"
    np.testing.assert_array_equal(recording.rr_ms, [812.0, 798.0])
    with pytest.raises(RrDataError, match="no column named 'nope'"):
        load(path, column="nope")


def test_utf16_export_from_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "rr.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "RR\r\n812\r\n798\r\n".encode("utf-16-le"))
    np.testing.assert_array_equal(load(path).rr_ms, [812.0, 798.0])


def test_unit_override_and_inapplicable_options(tmp_path: Path) -> None:
    path = tmp_path / "rr.txt"
    path.write_text("0.8\n0.9\n")
    np.testing.assert_array_equal(load(path).rr_ms, [800.0, 900.0])
    with pytest.raises(RrDataError, match=r"typical value is 0\.85"):
        load(path, unit="ms")
    with pytest.raises(FormatError, match="--channel applies to EDF, WFDB and Apple Health"):
        load(path, channel="ECG")


def test_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    path.write_text("812\n798\nabc\n")
    with pytest.raises(RrDataError, match=r"broken\.txt, line 3: expected a number"):
        load(path)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(RrDataError, match=r"empty\.txt: the file is empty"):
        load(empty)


# --- issue 12: over-long lines, values with units, a unit change ------------------------------


def test_one_huge_line_is_refused_before_decoding(tmp_path: Path) -> None:
    # Issue 12: an upload of 500 MiB of zeros on one line cost +943 MB RSS and stalled the
    # server 2.1 s, because the whole file was decoded. 16 MiB here, the same path: refused
    # at line 1 after one 1 MiB chunk.
    path = tmp_path / "upload.txt"
    path.write_bytes(b"0" * (16 * 1024 * 1024))
    assert detect(path) == "rr-text"
    tracemalloc.start()
    try:
        with pytest.raises(RrDataError, match=r"upload\.txt, line 1: the line is longer than"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # about one chunk, not the file


def test_long_line_in_a_polar_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "polar.txt"
    path.write_text(
        "Phone timestamp;RR-interval [ms]\n2024-01-01T08:00:00;812\n2024-01-01T08:00:01;"
        + "8" * (MAX_LINE_CHARS + 1)
        + "\n"
    )
    with pytest.raises(RrDataError, match=r"polar\.txt, line 3: the line is longer"):
        load(path)


def test_kubios_export_with_units_and_crlf_reads(tmp_path: Path, rr_ms: FloatArray) -> None:
    path = tmp_path / "rr.txt"
    path.write_bytes("".join(f"{int(x)} ms\r\n" for x in rr_ms).encode())
    np.testing.assert_array_equal(load(path).rr_ms, rr_ms)


def test_unit_change_inside_a_text_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rr.txt"
    path.write_text("812\n" * 20 + "0.812\n" * 20)
    with pytest.raises(RrDataError, match=r"rr\.txt, line 21: the unit changes here"):
        load(path)
