"""Apple Health export.xml / export.zip: the Apple Watch beat series, streamed."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from format_writers import (
    APPLE_DTD,
    OSLO_SUMMER,
    AppleSeries,
    synthetic_rr,
    write_apple,
    zip_export,
)

from vagus.formats import FormatError, Recording, _apple, detect, load
from vagus.formats._apple import beat_intervals, parse_beat_time
from vagus.hrv._types import FloatArray

MORNING = datetime(2026, 5, 1, 8, 33, 39, tzinfo=OSLO_SUMMER)


def ten_ms(rr_ms: FloatArray) -> FloatArray:
    """RR on the export's 10 ms grid, so that the round trip is exact."""
    return np.round(rr_ms / 10.0) * 10.0


@pytest.mark.parametrize("style", ["24h-comma", "12h", "12h-nnbsp"])
def test_series_round_trip(tmp_path: Path, style: str) -> None:
    rr = ten_ms(synthetic_rr(80))
    path = write_apple(tmp_path / "export.xml", [AppleSeries(MORNING, rr, style=style)])
    assert detect(path) == "apple-health"
    recording = load(path)
    assert (recording.format, recording.kind, recording.channel) == (
        "apple-health",
        "rr",
        "series:1",
    )
    # The first listed beat ends no listed interval.
    np.testing.assert_allclose(recording.rr_ms, rr[1:], atol=1e-6)
    assert recording.start == MORNING
    assert recording.metadata["device_hardware"] == "Watch6,2"
    assert recording.metadata["apple_sdnn"] == "42.5 ms"
    assert recording.metadata["time_resolution"] == "10 ms"
    assert "10 ms coarse" in recording.warnings[0]


def test_any_millisecond_series_within_the_export_resolution(tmp_path: Path) -> None:
    rr = synthetic_rr(80)  # whole ms; the export keeps beat times to 10 ms
    path = write_apple(tmp_path / "export.xml", [AppleSeries(MORNING, rr)])
    recording = load(path)
    assert recording.rr_ms is not None
    assert recording.rr_ms.size == 79
    # Each beat time is rounded to 10 ms (+-5 ms), so an interval is within 10 ms.
    assert np.max(np.abs(recording.rr_ms - rr[1:])) <= 10.0 + 1e-6


def test_gaps_are_left_out(tmp_path: Path) -> None:
    rr = ten_ms(synthetic_rr(60))
    path = write_apple(tmp_path / "export.xml", [AppleSeries(MORNING, rr, omit=(10, 30, 31))])
    recording = load(path)
    # Beat 10 missing: the interval 9->11 is dropped; beats 30-31 missing: 29->32 dropped.
    expected = np.concatenate([rr[1:10], rr[12:30], rr[33:]])
    np.testing.assert_allclose(recording.rr_ms, expected, atol=1e-6)
    gap_note = recording.warnings[1]
    assert gap_note.startswith("2 gap(s)")
    assert f"({(rr[10] + rr[30] + rr[31]) / 1000:.1f} s" in gap_note


def test_latest_by_default_and_series_by_number(tmp_path: Path) -> None:
    series = [
        AppleSeries(MORNING + timedelta(days=2), ten_ms(synthetic_rr(40, seed=1))),
        AppleSeries(MORNING, ten_ms(synthetic_rr(50, seed=2))),  # oldest, written second
        AppleSeries(MORNING + timedelta(days=1), ten_ms(synthetic_rr(60, seed=3))),
    ]
    path = write_apple(tmp_path / "export.xml", series)
    latest = load(path)
    assert latest.channel == "series:3"
    assert latest.rr_ms is not None
    assert latest.rr_ms.size == 39
    assert "holds 3 heartbeat series; this is the latest, series:3" in latest.warnings[-1]
    listed = latest.describe()["series"]
    assert isinstance(listed, list)
    assert [item["n_beats"] for item in listed] == [50, 60, 40]
    assert [item["choose_with"] for item in listed] == ["series:1", "series:2", "series:3"]
    oldest = load(path, channel="series:1")
    np.testing.assert_allclose(oldest.rr_ms, series[1].rr_ms[1:], atol=1e-6)
    assert oldest.start == MORNING
    with pytest.raises(FormatError, match=r"no series:4; the export holds 3 heartbeat series"):
        load(path, channel="series:4")
    with pytest.raises(FormatError, match=r"channel 'ECG' does not name a series"):
        load(path, channel="ECG")


def test_series_over_midnight(tmp_path: Path) -> None:
    rr = ten_ms(synthetic_rr(40))
    late = MORNING.replace(hour=23, minute=59, second=50)
    recording = load(write_apple(tmp_path / "export.xml", [AppleSeries(late, rr)]))
    np.testing.assert_allclose(recording.rr_ms, rr[1:], atol=1e-6)


def test_zip_is_streamed_from_the_archive(tmp_path: Path) -> None:
    rr = ten_ms(synthetic_rr(40))
    xml = write_apple(tmp_path / "export.xml", [AppleSeries(MORNING, rr)])
    archive = zip_export(xml, tmp_path / "eksport.zip")
    assert detect(archive) == "apple-health"
    np.testing.assert_allclose(load(archive).rr_ms, rr[1:], atol=1e-6)


def test_errors(tmp_path: Path) -> None:
    rr = ten_ms(synthetic_rr(40))
    path = write_apple(tmp_path / "export.xml", [AppleSeries(MORNING, rr)])
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(
        FormatError,
        match=r"export\.xml, line \d+, column \d+: the XML is broken "
        r"or ends early",
    ):
        load(path)
    path.write_text(text.replace('time="', 'time="x'))
    with pytest.raises(
        FormatError,
        match=r"record starting 2026-05-01 08:33:39 \+0200, beat 1: "
        r"time 'x08:33:\d\d,\d\d' is not a time of day",
    ):
        load(path)
    empty = write_apple(tmp_path / "none.xml", [])
    with pytest.raises(FormatError, match=r"none\.xml: the Apple Health export holds no heartbeat"):
        load(empty)
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?>\n<gpx><trk/></gpx>\n')
    with pytest.raises(FormatError, match="not an Apple Health export"):
        detect(other)
    with pytest.raises(FormatError, match=r"root is <gpx>; expected an Apple Health export"):
        load(other, format="apple-health")
    stray = tmp_path / "photos.zip"
    zip_export(other, stray)
    with pytest.raises(FormatError, match=r"photos\.zip: "):
        load(stray)


def test_beat_time_formats() -> None:
    assert parse_beat_time("08:33:44,67") == (30824.67, 2)
    assert parse_beat_time("6:14:48.94 PM") == (65688.94, 2)
    assert parse_beat_time("12:14:48.94 PM") == (44088.94, 2)
    assert parse_beat_time("12:00:00.01\u202fAM") == (0.01, 2)
    assert parse_beat_time("23:59:59") == (86399.0, 0)
    for bad in ("", "25:00:00,00", "13:00:00 PM", "8.33.44", "08:33:44,67 XM"):
        with pytest.raises(ValueError, match="not a"):
            parse_beat_time(bad)


def test_gap_rule_against_the_published_example() -> None:
    # The first beats of a real export record (jdecool/hkparser's test data, Apple Watch 4,
    # watchOS 5.1.1): 44,67 -> 48,87 and 00,48 -> 03,52 are gaps; the rest follow each other.
    times = [
        "08:33:44,67",
        "08:33:48,87",
        "08:33:55,04",
        "08:33:55,79",
        "08:33:56,55",
        "08:33:57,34",
        "08:33:58,14",
        "08:33:58,94",
        "08:33:59,72",
        "08:34:00,48",
        "08:34:03,52",
        "08:34:04,30",
    ]
    bpm = [78, 71, 80, 80, 79, 76, 75, 75, 77, 78, 79, 77]
    seconds = np.array([parse_beat_time(t)[0] for t in times])
    rr, gaps, _ = beat_intervals(seconds, np.array(bpm, dtype=float), 0.01)
    assert gaps == 3  # 44.67->48.87, 48.87->55.04, 00.48->03.52
    np.testing.assert_allclose(rr, [750, 760, 790, 800, 800, 780, 760, 780], atol=1e-6)


@pytest.mark.slow
def test_a_large_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    """About 50 MB of export (heart-rate filler and 800 HRV records) read under 30 MB of
    Python allocations (tracemalloc peak): elements are cleared as they are read."""
    series = [
        AppleSeries(MORNING + timedelta(hours=3 * k), ten_ms(synthetic_rr(70, seed=k)))
        for k in range(800)
    ]
    path = write_apple(tmp_path / "export.xml", series, filler=120)
    size_mb = path.stat().st_size / 1e6
    assert 45 < size_mb < 70
    tracemalloc.start()
    try:
        recording = load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert recording.channel == "series:800"
    np.testing.assert_allclose(recording.rr_ms, series[-1].rr_ms[1:], atol=1e-6)
    print(f"tracemalloc peak {peak / 1e6:.1f} MB for a {size_mb:.0f} MB export")
    assert peak < 30e6, f"peak {peak / 1e6:.1f} MB for a {size_mb:.0f} MB export"


# --- issue 11: crafted exports (zip bombs) -------------------------------------------------------

EXPORT_MEMBER_PATH = "apple_health_export/export.xml"


def bomb_zip(path: Path, body: Iterator[str], *, padding_bytes: int = 0) -> Path:
    """An export.zip whose export.xml is the DTD, ``body`` (written a piece at a time, so the
    test never holds it whole) and the closing tag; ``padding_bytes`` of random bytes in a
    stored member make the archive as large as the issue's."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(EXPORT_MEMBER_PATH, "w", force_zip64=True) as member:
            member.write(APPLE_DTD.encode())
            for piece in body:
                member.write(piece.encode())
            member.write(b"</HealthData>\n")
        if padding_bytes:
            noise = np.random.default_rng(11).bytes(padding_bytes)
            archive.writestr(zipfile.ZipInfo("apple_health_export/workout-routes/route.gpx"), noise)
    return path


def whitespace(series: AppleSeries, megabytes: int) -> Iterator[str]:
    """One HRV record, then ``megabytes`` MB of whitespace inside <HealthData>."""
    yield series.xml()
    block = (" " * 1023 + "\n") * 1024
    for _ in range(megabytes):
        yield block


def many_beats(n_beats: int) -> Iterator[str]:
    """One Record listing ``n_beats`` beats."""
    head, _, _ = AppleSeries(MORNING, ten_ms(synthetic_rr(3))).xml().partition("   <Instant")
    yield head
    line = '   <InstantaneousBeatsPerMinute bpm="75" time="08:33:44,67"/>\n'
    for _ in range(n_beats // 10_000):
        yield line * 10_000
    yield "  </HeartRateVariabilityMetadataList>\n </Record>\n"


def peak_of(action: Callable[[], object]) -> tuple[object, int]:
    """What ``action`` returns (or the FormatError it raises) and its tracemalloc peak."""
    tracemalloc.start()
    try:
        try:
            result: object = action()
        except FormatError as error:
            result = error
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.fixture(scope="module")
def whitespace_bomb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FloatArray]:
    """The issue's first bomb: a ~2 MB export.zip with 200 MB of whitespace in <HealthData>."""
    rr = ten_ms(synthetic_rr(60))
    path = tmp_path_factory.mktemp("bomb") / "export.zip"
    bomb_zip(path, whitespace(AppleSeries(MORNING, rr), 200), padding_bytes=1_800_000)
    return path, rr


def test_whitespace_zip_bomb_is_refused_naming_the_file(
    whitespace_bomb: tuple[Path, FloatArray],
) -> None:
    path, _ = whitespace_bomb
    assert 1.5e6 < path.stat().st_size < 2.5e6
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(EXPORT_MEMBER_PATH).file_size > 200e6
    error, peak = peak_of(lambda: load(path))
    assert isinstance(error, FormatError)
    assert str(error).startswith(f"{path}: {EXPORT_MEMBER_PATH} unpacks to more than")
    assert "zip bomb" in str(error)
    assert peak < 50e6, f"peak {peak / 1e6:.1f} MB"


def test_whitespace_inside_healthdata_is_not_kept(
    whitespace_bomb: tuple[Path, FloatArray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the zip cap lifted, the 200 MB of whitespace streams through the parser in bounded
    memory (it used to accumulate as the root's text: +2 GB in the issue)."""
    monkeypatch.setattr(_apple, "MAX_ZIP_RATIO", 10_000)
    path, rr = whitespace_bomb
    recording, peak = peak_of(lambda: load(path))
    assert isinstance(recording, Recording), recording
    np.testing.assert_allclose(recording.rr_ms, rr[1:], atol=1e-6)
    assert peak < 50e6, f"peak {peak / 1e6:.1f} MB"


@pytest.fixture(scope="module")
def beats_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issue's second bomb: a small export.zip with one Record of 3 million beats."""
    path = tmp_path_factory.mktemp("bomb") / "export.zip"
    return bomb_zip(path, many_beats(3_000_000))


def test_record_of_three_million_beats_is_refused(beats_bomb: Path) -> None:
    assert beats_bomb.stat().st_size < 1e6
    error, peak = peak_of(lambda: load(beats_bomb))
    assert isinstance(error, FormatError)
    assert str(error).startswith(f"{beats_bomb}: ")
    assert peak < 50e6, f"peak {peak / 1e6:.1f} MB"


def test_beats_per_record_are_capped_naming_the_record(
    beats_bomb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_apple, "MAX_ZIP_RATIO", 10_000)
    error, peak = peak_of(lambda: load(beats_bomb))
    assert isinstance(error, FormatError)
    assert str(error).startswith(
        f"{beats_bomb}, heart-rate-variability record starting 2026-05-01 08:33:39 +0200"
    )
    assert f"more than {_apple.MAX_BEATS_PER_RECORD} beats" in str(error)
    assert peak < 50e6, f"peak {peak / 1e6:.1f} MB"


def test_a_record_at_the_beat_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    rr = np.full(_apple.MAX_BEATS_PER_RECORD, 800.0)
    write_apple(path, [AppleSeries(MORNING, rr)])
    assert load(path).metadata["beats_listed"] == str(_apple.MAX_BEATS_PER_RECORD)


def test_unpacked_bytes_are_counted_as_they_stream() -> None:
    """A member whose header understates its size is stopped by the count, not the header."""
    too_big = FormatError("x.zip: too big")
    chunks = _apple._chunks(io.BytesIO(b" " * (3 * _apple.READ_CHUNK_BYTES)), 100_000, too_big)
    with pytest.raises(FormatError, match="too big"):
        list(chunks)
