"""RR input: files strap apps export, units, and one clear error for everything else."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vagus.hrv import RrDataError, detect_unit, parse_rr_text, read_rr, validate_rr
from vagus.hrv._rr import MAX_LINE_CHARS, check_line_lengths


def write(tmp_path: Path, text: str, name: str = "rr.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_one_value_per_line_ms(tmp_path: Path) -> None:
    path = write(tmp_path, "812\n798\n\n805\n")
    np.testing.assert_array_equal(read_rr(path), [812.0, 798.0, 805.0])


def test_one_value_per_line_seconds_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "0.812\n0.798\n0.805\n")
    np.testing.assert_allclose(read_rr(path), [812.0, 798.0, 805.0], rtol=1e-12)


def test_unit_override(tmp_path: Path) -> None:
    # 2.5 looks like seconds; --unit s confirms; --unit ms must be refused as implausible.
    path = write(tmp_path, "0.9\n1.0\n")
    np.testing.assert_allclose(read_rr(path, unit="s"), [900.0, 1000.0])
    with pytest.raises(RrDataError, match="not an RR interval in milliseconds"):
        read_rr(path, unit="ms")


def test_comments_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "rr.txt"
    path.write_bytes("\ufeff# exported by a strap app\r\n800\r\n810\r\n".encode())
    np.testing.assert_array_equal(read_rr(path), [800.0, 810.0])


def test_decimal_comma_single_column(tmp_path: Path) -> None:
    path = write(tmp_path, "0,812\n0,798\n")
    np.testing.assert_allclose(read_rr(path), [812.0, 798.0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("time,rr\n0,800\n0.8,810\n", [800.0, 810.0]),
        ("Time\tRRI\n0\t0.8\n1\t0.81\n", [800.0, 810.0]),
        ("Phone timestamp;RR-interval [ms]\n2024-01-01T08:00:00;800\nx;810\n", [800.0, 810.0]),
        ("timestamp,IBI\n1,1000\n2,1010\n", [1000.0, 1010.0]),
        ('"Time (s)","NN interval (s)"\n0,"0,8"\n1,"0,81"\n', [800.0, 810.0]),
        ("hr;rr (s);x\n75;0,8;a\n74;0,81;b\n", [800.0, 810.0]),
    ],
)
def test_csv_column_by_name(tmp_path: Path, text: str, expected: list[float]) -> None:
    np.testing.assert_allclose(read_rr(write(tmp_path, text, "rr.csv")), expected, rtol=1e-12)


def test_header_unit_overrides_detection(tmp_path: Path) -> None:
    # "[s]" in the header: 1.2 s values are seconds even though detection would agree anyway;
    # and an explicit --unit wins over the header.
    path = write(tmp_path, "rr [s]\n1.2\n1.1\n")
    np.testing.assert_allclose(read_rr(path), [1200.0, 1100.0])


def test_column_option(tmp_path: Path) -> None:
    path = write(tmp_path, "a,beat_gap\n1,800\n2,805\n", "rr.csv")
    np.testing.assert_array_equal(read_rr(path, column="BEAT_GAP"), [800.0, 805.0])


# --- errors: one message naming the file, the line and what was expected -----------------------


def error_of(path: Path, **kwargs: object) -> str:
    with pytest.raises(RrDataError) as info:
        read_rr(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert str(path) in message
    return message


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in error_of(write(tmp_path, ""))
    assert "empty" in error_of(write(tmp_path, "\n  \n# only a comment\n"))


def test_text_in_number_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "800\n810\nabc\n"))
    assert "line 3" in message
    assert "expected a number" in message
    assert "'abc'" in message


def test_text_in_csv_column_names_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "t,rr\n0,800\n1,eight\n", "rr.csv"))
    assert "line 3" in message
    assert "column 'rr'" in message


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf"])
def test_nan_and_infinity(tmp_path: Path, bad: str) -> None:
    message = error_of(write(tmp_path, f"800\n{bad}\n810\n"))
    assert "line 2" in message


@pytest.mark.parametrize(("bad", "line"), [("0", 2), ("-800", 3)])
def test_zero_and_negative(tmp_path: Path, bad: str, line: int) -> None:
    text = "800\n0\n810\n" if bad == "0" else "800\n810\n-800\n"
    message = error_of(write(tmp_path, text))
    assert f"line {line}" in message
    assert "positive" in message


def test_wrong_column_name(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "time,hr\n0,75\n", "hr.csv"), column="rr")
    assert "no column named 'rr'" in message
    assert "'time', 'hr'" in message


def test_no_rr_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "time,hr\n0,75\n", "hr.csv"))
    assert "no RR column" in message
    assert "--column" in message


def test_header_only(tmp_path: Path) -> None:
    assert "only a header" in error_of(write(tmp_path, "rr\n"))


def test_several_values_without_header(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "0 800\n1 810\n"))
    assert "line 1" in message
    assert "header" in message


def test_short_row(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "t,x,rr\n0,1,800\n1,2\n", "rr.csv"))
    assert "line 3" in message


def test_not_rr_values(tmp_path: Path) -> None:
    # Heart rates in bpm are not RR intervals in either unit.
    message = error_of(write(tmp_path, "60\n62\n61\n"))
    assert "not an RR interval" in message


def test_binary_missing_and_folder(tmp_path: Path) -> None:
    binary = tmp_path / "x.fit"
    binary.write_bytes(b"\x0e\x10\x00\x00binary")
    assert "binary" in error_of(binary)
    assert "no such file" in error_of(tmp_path / "missing.txt")
    assert "folder" in error_of(tmp_path)


def test_latin1_file_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "rr.csv"
    path.write_bytes("tid;RR (ms);merknad\n0;800;bra\n1;810;bløt\n".encode("latin-1"))
    np.testing.assert_array_equal(read_rr(path), [800.0, 810.0])


# --- arrays ---------------------------------------------------------------------------------------


def test_validate_array_errors() -> None:
    with pytest.raises(RrDataError, match="index 1"):
        validate_rr([800.0, float("nan")])
    with pytest.raises(RrDataError, match="index 2"):
        validate_rr([800.0, 810.0, 0.0])
    with pytest.raises(RrDataError, match="no RR intervals"):
        validate_rr([])
    with pytest.raises(RrDataError, match="1-D"):
        validate_rr(np.ones((2, 2)) * 800)
    with pytest.raises(RrDataError, match="expected numbers"):
        validate_rr(["a", "b"])  # type: ignore[list-item]


def test_detect_unit_threshold() -> None:
    assert detect_unit(2.9) == "s"
    assert detect_unit(250.0) == "ms"


@given(st.lists(st.floats(min_value=300, max_value=2000, allow_nan=False), min_size=1, max_size=50))
def test_text_round_trip(values: list[float]) -> None:
    text = "\n".join(repr(v) for v in values)
    np.testing.assert_array_equal(parse_rr_text(text, unit="ms"), values)


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_rr_error(text: str) -> None:
    try:
        out = parse_rr_text(text)
    except RrDataError:
        return
    else:
        assert out.dtype == np.float64
        assert np.all(np.isfinite(out))
        assert np.all(out > 0)


# --- issue 12: values with their unit, a unit change inside a file, over-long lines ----------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("812 ms\n798 ms\n805 ms\n", [812.0, 798.0, 805.0]),
        ("812ms\n798 msec\n", [812.0, 798.0]),
        ("0.812 s\n0,798 s\n", [812.0, 798.0]),
        ("0.812 s\n798 ms\n", [812.0, 798.0]),  # each value's own unit
        ("rr\n812 ms\n798 ms\n", [812.0, 798.0]),
        ("t;rr\n0;812 ms\n1;798 ms\n", [812.0, 798.0]),
    ],
    ids=["ms", "ms-variants", "seconds", "mixed-written", "header", "csv-cells"],
)
def test_value_with_its_unit_is_read(tmp_path: Path, text: str, expected: list[float]) -> None:
    # Issue 12: "812 ms" lines gave "no RR column in the header ('992.0', 'ms')".
    np.testing.assert_allclose(read_rr(write(tmp_path, text)), expected, rtol=1e-12)


def test_unit_change_ms_to_s_halfway_is_refused_naming_the_line(tmp_path: Path) -> None:
    # Issue 12: read as it was, this file gave mean NN 380 ms and max HR 97,126 bpm.
    text = "".join(f"{800 + i % 7}\n" for i in range(50)) + "".join(
        f"0.{800 + i % 7}\n" for i in range(50)
    )
    message = error_of(write(tmp_path, "# a comment\n" + text))
    assert "line 52" in message  # the first value in seconds (after the comment line)
    assert "unit changes" in message
    assert "seconds" in message
    assert "milliseconds" in message
    assert "--unit" in message


def test_unit_change_s_to_ms_is_refused(tmp_path: Path) -> None:
    text = "0.8\n" * 30 + "812\n" * 30
    message = error_of(write(tmp_path, text))
    assert "line 31" in message
    assert "began in seconds" in message


def test_one_stray_value_is_not_a_unit_change(tmp_path: Path) -> None:
    # One 812 among values in seconds is an artifact (812 s), left to the range check.
    rr = read_rr(write(tmp_path, "0.8\n" * 30 + "812\n" + "0.8\n" * 30))
    assert rr.size == 61
    assert rr[30] == 812_000.0


def test_explicit_unit_reads_a_mixed_file_in_one_unit(tmp_path: Path) -> None:
    path = write(tmp_path, "812\n" * 10 + "0.8\n" * 10)
    rr = read_rr(path, unit="ms")
    assert rr[0] == 812.0
    assert rr[-1] == 0.8  # the range check leaves 0.8 ms out later


def test_over_long_line_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "rr.txt"
    path.write_bytes(b"812\n798\n" + b"0" * (MAX_LINE_CHARS + 10) + b"\n805\n")
    message = error_of(path)
    assert "line 3" in message
    assert "longer than 64 KiB" in message
    with pytest.raises(RrDataError, match="input, line 3: the line is longer"):
        parse_rr_text(path.read_text())


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_line_scan_counts_lines_like_the_parser(ending: bytes) -> None:
    lines = [b"812"] * 5 + [b"9" * (MAX_LINE_CHARS + 1)]
    stream = io.BytesIO(ending.join(lines) + ending)
    with pytest.raises(RrDataError, match=r"x\.txt, line 6:"):
        check_line_lengths(stream, "x.txt")
    # Lines of exactly the limit pass, also when a chunk boundary splits "\r\n".
    ok = ending.join([b"8" * MAX_LINE_CHARS] * 40)
    check_line_lengths(io.BytesIO(ok), "x.txt")


def test_line_scan_over_a_chunk_boundary() -> None:
    # The long line starts in one 1 MiB chunk and ends in the next.
    data = b"812\n" * 262_000 + b"7" * (MAX_LINE_CHARS + 1) + b"\n"
    with pytest.raises(RrDataError, match=r"line 262001:"):
        check_line_lengths(io.BytesIO(data), "x.txt")


def test_a_huge_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    # Issue 12: 500 MiB of zeros on one line cost +943 MB RSS. 16 MiB here (the same path):
    # the scan stops in the first 1 MiB chunk, so Python allocates about a chunk's worth.
    path = tmp_path / "zeros.txt"
    path.write_bytes(b"0" * (16 * 1024 * 1024))  # "0" characters, no line break
    tracemalloc.start()
    try:
        with pytest.raises(RrDataError, match="line 1: the line is longer"):
            read_rr(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # about one chunk, not the 16 MiB file


def test_strap_codes_do_not_decide_the_unit_or_the_typical_value() -> None:
    """Issue 12 review: a strap export with long dropouts may be half 65535 codes. Their median
    must not refuse the file (it was "the typical value is 33172.5"); the analysis leaves the
    codes out and names them."""
    from vagus.hrv import analyze

    values = [800.0, 65535.0, 810.0, 65535.0] * 30
    for unit in (None, "ms"):
        report = analyze(values, unit=unit)
        assert report.artifacts.out_of_range == 60
        assert report.indices["mean_nn"] == pytest.approx(805.0)
        assert any("65535" in w for w in report.warnings)


def test_a_file_of_nothing_but_strap_codes_is_refused_by_name() -> None:
    with pytest.raises(RrDataError, match="every value is 65535"):
        validate_rr([65535.0] * 10)
