"""Recording.beats / describe, the beats CSV, detection by content, and the ECG path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from format_writers import synthetic_ecg, write_edf, write_fit, write_wfdb

from vagus.formats import FORMATS, FormatError, Recording, detect, load, write_beats_csv
from vagus.hrv import RrDataError
from vagus.hrv._types import FloatArray


def test_beats_csv_round_trip(tmp_path: Path, rr_ms: FloatArray) -> None:
    rr = rr_ms + 0.125  # not whole ms
    out = tmp_path / "beats.csv"
    write_beats_csv(rr, out)
    lines = out.read_text().splitlines()
    assert lines[0] == "time_s,rr_ms"
    assert lines[1] == f"{rr[0] / 1000:.6f}".rstrip("0") + f",{float(rr[0])!r}"
    last_time = float(lines[-1].split(",")[0])
    assert last_time == pytest.approx(np.sum(rr) / 1000.0, abs=1e-6)
    recording = load(out)
    np.testing.assert_array_equal(recording.rr_ms, rr)  # shortest repr reads back exactly


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "no RR intervals to write"),
        ([800.0, -1.0], "RR interval 1 is -1.0"),
        ([800.0, float("nan")], "RR interval 1 is nan"),
    ],
)
def test_beats_csv_refuses_bad_series(tmp_path: Path, values: list[float], message: str) -> None:
    with pytest.raises(RrDataError, match=message):
        write_beats_csv(np.asarray(values), tmp_path / "out.csv")


def test_every_format_converts_to_the_same_beats(tmp_path: Path, rr_ms: FloatArray) -> None:
    """RR written in format X, read, written as beats CSV and read again: unchanged."""
    rr = rr_ms[:100]
    sources = {
        "fit": write_fit(tmp_path / "a.fit", rr),
        "rr-text": tmp_path / "a.txt",
    }
    sources["rr-text"].write_text("\n".join(f"{x:g}" for x in rr))
    for fmt, path in sources.items():
        recording = load(path)
        assert recording.format == fmt
        beats, _ = recording.beats()
        write_beats_csv(beats, tmp_path / f"{fmt}.csv")
        np.testing.assert_allclose(load(tmp_path / f"{fmt}.csv").rr_ms, rr, atol=1e-9)


def test_describe_is_json_ready(tmp_path: Path, rr_ms: FloatArray) -> None:
    ecg, _ = synthetic_ecg(rr_ms[:20], 250.0)
    edf = load(write_edf(tmp_path / "a.edf", {"ECG": ecg}, 250.0))
    summary = json.loads(json.dumps(edf.describe()))
    assert summary["format"] == "edf"
    assert summary["kind"] == "ecg"
    assert summary["n_beats"] is None
    assert summary["n_samples"] == edf.signal.size
    assert summary["duration_s"] == pytest.approx(edf.signal.size / 250.0)
    assert summary["start"] == "2026-05-01T07:30:00"
    assert summary["channels"] == ["ECG"]
    fit = json.loads(json.dumps(load(write_fit(tmp_path / "a.fit", rr_ms[:10])).describe()))
    assert fit["n_beats"] == 10
    assert fit["duration_s"] == pytest.approx(np.sum(rr_ms[:10]) / 1000.0)
    assert set(fit) == {
        "source",
        "format",
        "kind",
        "duration_s",
        "n_beats",
        "n_samples",
        "fs_hz",
        "channel",
        "channels",
        "start",
        "metadata",
        "warnings",
    }


def test_formats_constant() -> None:
    assert FORMATS == (
        "rr-text",
        "polar",
        "elite-hrv",
        "hrv-logger",
        "kubios",
        "fit",
        "edf",
        "wfdb",
        "apple-health",
    )
    with pytest.raises(FormatError, match="--format: expected one of rr-text, polar"):
        load(Path(__file__), format="csv")


def test_detect_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"nothing\.txt: no such file"):
        detect(tmp_path / "nothing.txt")
    with pytest.raises(FormatError, match="is a folder"):
        detect(tmp_path)
    edf = write_edf(tmp_path / "night.dat", {"ECG": np.zeros(512)}, 256.0)  # no .hea beside it
    assert detect(edf) == "edf"
    blob = tmp_path / "photo.jpg"
    blob.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)))
    with pytest.raises(
        FormatError,
        match=r"photo\.jpg: is a binary file of a kind vagus does "
        r"not know",
    ):
        detect(blob)


def test_unusable_waveform_is_a_user_error_naming_the_file(tmp_path: Path) -> None:
    flat = np.zeros(250 * 2)  # 2 s: shorter than any detector can learn from
    recording = load(write_edf(tmp_path / "short.edf", {"ECG": flat + 1e-3}, 250.0))
    with pytest.raises(RrDataError, match=r"short\.edf, channel ECG"):
        recording.beats()


@pytest.fixture(scope="module")
def mitdb_five_minutes(mitdb_100_dir: Path) -> tuple[FloatArray, FloatArray]:
    """MIT-BIH record 100, lead MLII, first 5 minutes (mV, 360 Hz), and the cardiologists'
    RR intervals between the beats annotated in that span (ms)."""
    import wfdb

    n = 300 * 360
    record = wfdb.rdrecord(str(mitdb_100_dir / "100"), sampto=n, channels=[0])
    annotation = wfdb.rdann(str(mitdb_100_dir / "100"), "atr", sampto=n)
    beats = np.array(
        [s for s, sym in zip(annotation.sample, annotation.symbol, strict=True) if sym != "+"]
    )
    return np.asarray(record.p_signal[:, 0], dtype=np.float64), np.diff(beats) * 1000.0 / 360.0


@pytest.mark.parametrize("fmt", ["edf", "wfdb", "polar"])
def test_ecg_formats_give_the_reference_beats(
    tmp_path: Path, mitdb_five_minutes: tuple[FloatArray, FloatArray], fmt: str
) -> None:
    """Five minutes of a real ECG written in each waveform format: the beats detected from the
    file agree with the reference annotations: the interval count within 1 % and the mean RR
    within 0.1 % (0.8 ms; a reader that got the sampling rate wrong by more fails). Measured:
    370 of 370 intervals, mean 808.37 vs 808.36 ms in all three. For the Polar file the ECG is
    resampled to the H10's 130 Hz and stored in whole µV."""
    from scipy.signal import resample_poly

    ecg_mv, reference_rr = mitdb_five_minutes
    if fmt == "edf":
        recording = load(write_edf(tmp_path / "a.edf", {"ECG MLII": ecg_mv}, 360.0))
    elif fmt == "wfdb":
        recording = load(write_wfdb(tmp_path, "rec", {"MLII": ecg_mv}, 360.0))
    else:
        ecg_uv = np.round(resample_poly(ecg_mv, 13, 36) * 1000.0)
        rows = [
            f"2026-05-01T08:00:00.000;{round(i * 1e9 / 130.0)};{int(v)}"
            for i, v in enumerate(ecg_uv)
        ]
        path = tmp_path / "Polar_H10_ECG.txt"
        path.write_text("Phone timestamp;sensor timestamp [ns];ecg [uV]\n" + "\n".join(rows))
        recording = load(path)
    assert recording.kind == "ecg"
    beats, _ = recording.beats()
    assert abs(beats.size - reference_rr.size) <= 0.01 * reference_rr.size
    assert abs(np.mean(beats) - np.mean(reference_rr)) <= 0.001 * np.mean(reference_rr)


def test_beats_are_the_detectors_on_the_stored_signal(tmp_path: Path, rr_ms: FloatArray) -> None:
    """Recording.beats hands the detector the stored samples and sampling rate unchanged."""
    from vagus.signals import detect_ecg_beats

    ecg, _ = synthetic_ecg(rr_ms[:60], 250.0)
    recording = load(write_edf(tmp_path / "a.edf", {"ECG": ecg}, 250.0))
    assert recording.signal is not None
    assert recording.fs_hz == 250.0
    beats, warnings = recording.beats()
    direct = detect_ecg_beats(recording.signal, 250.0)
    np.testing.assert_array_equal(beats, direct.rr_ms())
    assert warnings == [*recording.warnings, *direct.warnings]


def test_recording_rr_is_used_as_is() -> None:
    rr = np.array([800.0, 810.0, 790.0])
    recording = Recording("x", "rr-text", "rr", rr, None, None, None, None, {}, ["note"])
    beats, warnings = recording.beats()
    assert beats is rr
    assert warnings == ["note"]


# --- the beats CSV's time_s counts from the recording's start (issue 12) ---


def test_converted_ecg_counts_time_from_the_recordings_start(
    tmp_path: Path, rr_ms: FloatArray
) -> None:
    """An ECG whose first beat comes 3 s into the file: each interval's time is its ending
    beat's time from the file's first sample (the detector's beat times), so the first is
    about 3 s + RR[0], not RR[0] as if the recording began at its first beat."""
    from format_writers import ECG_LEAD_IN_S

    from vagus.signals import detect_ecg_beats

    rr = rr_ms[:40]
    ecg, _ = synthetic_ecg(rr, 250.0)
    recording = load(write_edf(tmp_path / "a.edf", {"ECG": ecg}, 250.0))
    assert recording.signal is not None
    beats, times_s, _ = recording.timed_beats()
    assert times_s is not None
    detected = detect_ecg_beats(recording.signal, 250.0)
    np.testing.assert_array_equal(times_s, detected.times_s[1:])
    # Within 0.1 s of where the beat was drawn (the detector's own offset aside), and far from
    # the RR[0] that counting from the first beat gives.
    assert times_s[0] == pytest.approx(ECG_LEAD_IN_S + rr[0] / 1000.0, abs=0.1)
    out = tmp_path / "beats.csv"
    write_beats_csv(beats, out, times_s=times_s)
    first = out.read_text().splitlines()[1].split(",")
    assert float(first[0]) == pytest.approx(float(times_s[0]), abs=1e-6)
    np.testing.assert_array_equal(load(out).rr_ms, beats)  # the intervals read back unchanged


def test_convert_command_writes_the_recordings_time(tmp_path: Path, rr_ms: FloatArray) -> None:
    from format_writers import ECG_LEAD_IN_S
    from typer.testing import CliRunner

    from vagus.cli import app

    ecg, _ = synthetic_ecg(rr_ms[:30], 250.0)
    source = write_edf(tmp_path / "a.edf", {"ECG": ecg}, 250.0)
    out = tmp_path / "beats.csv"
    env = {"VAGUS_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, ["convert", str(source), "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    first_time = float(out.read_text().splitlines()[1].split(",")[0])
    assert first_time == pytest.approx(ECG_LEAD_IN_S + rr_ms[0] / 1000.0, abs=0.1)
    # Plain RR has no times: the recording starts at its first beat (time 0).
    plain = tmp_path / "rr.txt"
    plain.write_text("800\n812.5\n")
    result = CliRunner().invoke(app, ["convert", str(plain), "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1:] == ["0.8,800", "1.6125,812.5"]


def test_times_after_an_unusable_stretch_are_the_beats_own() -> None:
    """An interval across an unusable range is left out; the next keeps its true end time
    (9.0 s), not the sum of the intervals kept (3.4 s)."""
    from vagus.formats._recording import _interval_ends
    from vagus.signals import BeatDetection

    detection = BeatDetection(np.array([100, 350, 600, 2000, 2250]), 250.0, [(700, 1900)], [])
    rr = detection.rr_ms()
    np.testing.assert_array_equal(rr, [1000.0, 1000.0, 1000.0])
    ends = _interval_ends(detection, rr)
    assert ends is not None
    np.testing.assert_allclose(ends, [1.4, 2.4, 9.0])


def test_file_beat_times_are_passed_on_and_checked(tmp_path: Path) -> None:
    rr = np.array([800.0, 810.0])
    times = np.array([12.0, 12.81])
    recording = Recording("x", "wfdb", "rr", rr, None, None, None, None, beat_times_s=times)
    beats, times_s, _ = recording.timed_beats()
    assert beats is rr
    assert times_s is times
    with pytest.raises(RrDataError, match="1 beat times for 2 RR intervals"):
        write_beats_csv(rr, tmp_path / "out.csv", times_s=[1.0])
    with pytest.raises(RrDataError, match="not finite and increasing"):
        write_beats_csv(rr, tmp_path / "out.csv", times_s=[2.0, 1.0])
