"""RR input: files strap apps export, units, and one clear error for everything else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vagus.hrv import RrDataError, detect_unit, parse_rr_text, read_rr, validate_rr


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
