"""Text exports of strap apps: plain RR lists and CSV tables, told apart by their header lines.

Most strap apps export "the same CSV with a different header", so one module reads them all from a
table of known headers (:data:`KNOWN_HEADERS`) and hands the RR column to the HRV engine's parser
(:func:`vagus.hrv.parse_rr_text`), which owns decimal commas, units and per-line errors.

The layouts, and where each is documented:

``rr-text``
    One RR interval per line, or a table with a header naming the RR column (README, "HRV from
    the command line").
``elite-hrv``
    Elite HRV's raw export: one RR interval in ms per line, no header; the file is named after
    the reading's start, ``YYYY-MM-DD HH-MM-SS.txt`` (Elite HRV help, "Exporting raw R-R
    intervals", https://help.elitehrv.com/article/49-exporting-raw-r-r-intervals). Content alone
    cannot tell it from a plain list, so the file name is the second cue.
``polar``
    Polar Sensor Logger (Jukka Happonen's app on the Polar BLE SDK): ``;``-separated files whose
    header starts with ``Phone timestamp``. The RR file has ``RR-interval [ms]``; the ECG file
    ``sensor timestamp [ns];ecg [uV]`` (the app's FAQ: "timestamp format is nanoseconds and the
    epoch is 1.1.2000"), at the H10's 130 Hz ECG rate (Polar BLE SDK, H10 ECG: 130 Hz, µV); the
    PPI file of optical sensors ``PP-interval [ms]`` with a ``blocker`` flag.
``hrv-logger``
    HRV Logger (Marco Altini): ``date, rr, since_start, window, lap`` with dates like
    ``2016-09-22 20:42:20 +0000`` and RR in ms (the author's own recordings in
    github.com/marcoalt/PPG-devices-comparison, ``data/001/rr_h7.csv``).
``kubios``
    RR text ready for Kubios HRV: ``#`` comment lines (the "SIGNAL/SERIES EXPORT - KUBIOS" header
    of the ``kubios`` package, github.com/PGomes92/kubios, "Type 1" of the Kubios HRV user's
    guide) then one RR per line in s or ms; or two columns without a header, time and RR (the
    two-column IBI layout HRVAS documents, github.com/jramshur/HRVAS/wiki/Input-Output).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import numpy as np

from vagus.formats._common import FormatError, Kind, check_file, decode_text, shorten
from vagus.formats._recording import Recording
from vagus.hrv import Unit, parse_rr_text
from vagus.hrv._notices import Notice
from vagus.hrv._rr import (  # the lines parse_rr_text reads, numbered as it does
    _content_lines,
    check_line_lengths,
)
from vagus.hrv._types import FloatArray


@dataclass(frozen=True)
class HeaderRule:
    """A known header: the normalised column names that identify an app's export."""

    format: str
    stream: str
    kind: Kind
    required: frozenset[str]
    app: str


#: Known export headers, most specific first. Names are normalised by :func:`column_key`.
KNOWN_HEADERS: Final[tuple[HeaderRule, ...]] = (
    HeaderRule(
        "polar",
        "ecg",
        "ecg",
        frozenset({"phonetimestamp", "ecg"}),
        "Polar Sensor Logger, ECG",
    ),
    HeaderRule(
        "polar",
        "rr",
        "rr",
        frozenset({"phonetimestamp", "rrinterval"}),
        "Polar Sensor Logger, RR intervals",
    ),
    HeaderRule(
        "polar",
        "ppi",
        "rr",
        frozenset({"ppinterval"}),
        "Polar Sensor Logger, optical pulse-to-pulse intervals (PPI)",
    ),
    HeaderRule(
        "hrv-logger",
        "rr",
        "rr",
        frozenset({"date", "rr", "sincestart"}),
        "HRV Logger",
    ),
)

#: Polar H10 ECG sampling rate in Hz (Polar BLE SDK documentation, H10 ECG stream: 130 Hz, µV).
POLAR_ECG_FS_HZ: Final[float] = 130.0
#: A measured Polar ECG rate further than this factor from 130 Hz means broken timestamps.
POLAR_FS_PLAUSIBLE_FACTOR: Final[float] = 1.5
#: A step between sensor timestamps longer than this many sample periods is a lost packet.
POLAR_GAP_PERIODS: Final[float] = 1.5
#: Data lines that must hold two increasing-time numeric columns for the time + RR layout.
TIME_AND_RR_SNIFF_LINES: Final[int] = 2
#: Nanoseconds per second (Polar sensor timestamps are in ns since 2000-01-01).
NS_PER_S: Final[float] = 1e9

_ELITE_NAME: Final[re.Pattern[str]] = re.compile(
    r"(\d{4}-\d{2}-\d{2}) (\d{2})-(\d{2})-(\d{2})\.txt", re.IGNORECASE
)
_NUMBER: Final[re.Pattern[str]] = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_DATE_FORMATS: Final[tuple[str, ...]] = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S.%f %z")


def column_key(name: str) -> str:
    """Normalise a header cell: units in brackets dropped, letters only, lower case.

    >>> column_key("RR-interval [ms]"), column_key(" since_start"), column_key("ecg [uV]")
    ('rrinterval', 'sincestart', 'ecg')
    """
    without_units = re.sub(r"\[[^\]]*\]|\([^)]*\)", "", name)
    return re.sub(r"[^a-z]", "", without_units.lower())


def _head_lines(text: str, count: int) -> list[tuple[int, str]]:
    """The first ``count`` content lines, without splitting the rest of a large file."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            out.append((number, raw.rstrip("\n")))
            if len(out) == count:
                break
    return out


def _delimiter(line: str) -> str | None:
    for delimiter in ("\t", ";", ","):
        if delimiter in line:
            return delimiter
    return None


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [cell.strip() for cell in next(csv.reader(io.StringIO(line), delimiter=delimiter))]


def _is_number(cell: str) -> bool:
    return _NUMBER.fullmatch(cell.strip()) is not None


def _known_header(cells: list[str]) -> HeaderRule | None:
    keys = {column_key(cell) for cell in cells}
    for rule in KNOWN_HEADERS:
        if rule.required <= keys:
            return rule
    return None


def _is_time_and_rr(lines: list[tuple[int, str]]) -> bool:
    """Two numeric columns without a header, the first increasing: time and RR.

    Judged on the first lines only, so that a bad value further down is reported by the reader
    with its line number instead of changing the format.
    """
    sample = lines[:TIME_AND_RR_SNIFF_LINES]
    if len(sample) < 2:
        return False
    rows = []
    for _, line in sample:
        # "0,812" alone reads as two cells here, but its "time" column (0, 0, 1, ...) does not
        # increase, so a list of decimal-comma seconds is not taken for time and RR.
        cells = _split(line, _delimiter(line))
        if len(cells) != 2 or not all(_is_number(cell) for cell in cells):
            return False
        rows.append(float(cells[0].replace(",", ".")))
    return all(later > earlier for earlier, later in itertools.pairwise(rows))


def sniff_text(text: str, name: str) -> str:
    """The text format of a file, from its header lines (and, for Elite HRV, its name).

    >>> sniff_text("Phone timestamp;RR-interval [ms]\\n2024-01-01T08:00:00.000;812\\n", "a.txt")
    'polar'
    >>> sniff_text("812\\n798\\n", "2024-05-01 07-30-12.txt"), sniff_text("812\\n798\\n", "a.txt")
    ('elite-hrv', 'rr-text')
    >>> sniff_text("0.812\\t812\\n1.610\\t798\\n", "a.txt")
    'kubios'
    """
    text = text.removeprefix("\ufeff")
    for raw in text.splitlines()[:20]:
        stripped = raw.strip()
        if stripped.startswith("#") and "kubios" in stripped.lower():
            return "kubios"
    lines = _content_lines(text)
    if not lines:
        return "rr-text"
    first = lines[0][1]
    cells = _split(first, _delimiter(first))
    rule = _known_header(cells)
    if rule is not None:
        return rule.format
    if "phonetimestamp" in {column_key(cell) for cell in cells}:
        return "polar"
    if _is_time_and_rr(lines):
        return "kubios"
    if _ELITE_NAME.fullmatch(name) and all(_is_number(line) for _, line in lines[:20]):
        return "elite-hrv"
    return "rr-text"


def read_text(path: Path, fmt: str, *, unit: Unit | None, column: str | None) -> Recording:
    """Read a text export as ``fmt`` (one of the text formats)."""
    source = str(path)
    text = decode_text(_read_short_lines(path, source), source).removeprefix("\ufeff")
    if fmt == "polar":
        return _read_polar(text, source, unit=unit, column=column)
    if fmt == "hrv-logger":
        rr_ms = parse_rr_text(text, source=source, unit=unit, column=column)
        return Recording(
            source,
            fmt,
            "rr",
            rr_ms,
            None,
            None,
            None,
            _first_cell_time(text),
            {"app": "HRV Logger"},
        )
    if fmt == "kubios":
        return _read_kubios(text, source, unit=unit, column=column)
    rr_ms = parse_rr_text(text, source=source, unit=unit, column=column)
    if fmt == "elite-hrv":
        return Recording(
            source,
            fmt,
            "rr",
            rr_ms,
            None,
            None,
            None,
            _elite_start(path.name),
            {"app": "Elite HRV"},
        )
    return Recording(source, fmt, "rr", rr_ms, None, None, None, None, {})


def _read_short_lines(path: Path, source: str) -> bytes:
    """The whole file, once a chunked scan has found no line longer than ``MAX_LINE_CHARS``.

    No text export has long lines (one value or one table row per line), so a file with one
    is refused, naming the line, before it is read whole and decoded: a 500 MiB upload of
    zeros on one line costs a 1 MiB chunk, not 1 GB (issue 12).
    """
    check_file(path)
    try:
        with path.open("rb") as stream:
            check_line_lengths(stream, source)
            stream.seek(0)
            return stream.read()
    except OSError as error:
        raise FormatError(f"{path}: cannot be read ({error.strerror or error})") from None


def _elite_start(name: str) -> datetime | None:
    """The reading's start from an Elite HRV file name (local time, no zone)."""
    match = _ELITE_NAME.fullmatch(name)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(
            f"{match.group(1)}T{match.group(2)}:{match.group(3)}:{match.group(4)}"
        )
    except ValueError:
        return None


def _parse_time(cell: str) -> datetime | None:
    """A timestamp cell: ISO 8601 (Polar) or ``2016-09-22 20:42:20 +0000`` (HRV Logger)."""
    text = cell.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _first_cell_time(text: str) -> datetime | None:
    """The start: the timestamp in the first cell of the first data row, when it is one."""
    lines = _head_lines(text, 2)
    if len(lines) < 2:
        return None
    delimiter = _delimiter(lines[0][1])
    cells = _split(lines[1][1], delimiter)
    return _parse_time(cells[0]) if cells else None


def _read_kubios(text: str, source: str, *, unit: Unit | None, column: str | None) -> Recording:
    metadata = {"app": "Kubios HRV (RR text)"}
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        key, sep, value = stripped.lstrip("#").partition(":")
        if sep and value.strip() and value.strip().lower() != "n/a":
            metadata[key.strip().lower()] = value.strip()
    lines = _content_lines(text)
    if column is None and _is_time_and_rr(lines):
        # Keep the RR column in place of each data line, so that parse_rr_text reports the
        # original line numbers; everything else becomes a comment it skips.
        kept = dict(lines)
        rebuilt = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if number in kept:
                cells = _split(raw, _delimiter(raw))
                if len(cells) != 2:
                    raise FormatError(
                        f"{source}, line {number}: expected two values (time and RR interval), "
                        f"found {len(cells)}: {shorten(raw)!r}"
                    )
                rebuilt.append(cells[1])
            else:
                rebuilt.append("#")
        metadata["layout"] = "time and RR columns"
        rr_ms = parse_rr_text("\n".join(rebuilt), source=source, unit=unit)
    else:
        metadata["layout"] = "one RR interval per line"
        rr_ms = parse_rr_text(text, source=source, unit=unit, column=column)
    return Recording(source, "kubios", "rr", rr_ms, None, None, None, None, metadata)


def _read_polar(text: str, source: str, *, unit: Unit | None, column: str | None) -> Recording:
    lines = _head_lines(text, 1)
    if not lines:
        raise FormatError(f"{source}: the file is empty; expected a Polar Sensor Logger export")
    header_number, header = lines[0]
    delimiter = _delimiter(header)
    names = _split(header, delimiter)
    rule = _known_header(names)
    if rule is None or rule.format != "polar":
        shown = ", ".join(repr(name) for name in names)
        raise FormatError(
            f"{source}, line {header_number}: a Polar Sensor Logger file with columns {shown}; "
            f"vagus reads its RR file (RR-interval [ms]), PPI file (PP-interval [ms]) and ECG "
            f"file (ecg [uV])"
        )
    metadata = {"app": rule.app}
    start = _first_cell_time(text)
    if rule.stream == "ecg":
        return _read_polar_ecg(text, header_number, names, delimiter, source, start, metadata)
    notes: list[str] = []
    if rule.stream == "ppi":
        lines = _content_lines(text)
        keys = [column_key(name) for name in names]
        if column is None:
            column = names[keys.index("ppinterval")]
        if "blocker" in keys:
            blocked = _count_flag(lines[1:], delimiter, keys.index("blocker"))
            if blocked:
                notes.append(
                    Notice(
                        "formats.polar.blocker",
                        f"{blocked} pulse interval(s) carry the sensor's blocker flag (motion or "
                        f"poor contact made them inaccurate); artifact correction treats them",
                        n_blocked=int(blocked),
                    )
                )
        metadata["signal"] = "PPG pulse-to-pulse intervals"
    rr_ms = parse_rr_text(text, source=source, unit=unit, column=column)
    return Recording(source, "polar", "rr", rr_ms, None, None, None, start, metadata, notes)


def _count_flag(lines: list[tuple[int, str]], delimiter: str | None, index: int) -> int:
    count = 0
    for _, line in lines:
        cells = _split(line, delimiter)
        if index < len(cells) and cells[index].strip() in {"1", "true", "True"}:
            count += 1
    return count


def _read_polar_ecg(
    text: str,
    header_number: int,
    names: list[str],
    delimiter: str | None,
    source: str,
    start: datetime | None,
    metadata: dict[str, str],
) -> Recording:
    keys = [column_key(name) for name in names]
    ecg_col = keys.index("ecg")
    ts_col = keys.index("sensortimestamp") if "sensortimestamp" in keys else None
    columns = (ecg_col,) if ts_col is None else (ecg_col, ts_col)
    table = _numeric_columns(text, header_number, delimiter, columns, names, source)
    if table.shape[0] == 0:
        raise FormatError(f"{source}: only a header row was found; expected ECG samples below it")
    ecg_uv = np.ascontiguousarray(table[:, 0])
    notes: list[str] = []
    fs_hz = POLAR_ECG_FS_HZ
    if ts_col is None:
        metadata["fs"] = f"{POLAR_ECG_FS_HZ:g} Hz (the H10's nominal rate; the file has no clock)"
    else:
        fs_hz = _polar_fs(table[:, 1], notes, metadata)
    metadata["unit"] = "uV"
    return Recording(source, "polar", "ecg", None, ecg_uv, fs_hz, "ecg", start, metadata, notes)


def _numeric_columns(
    text: str,
    header_number: int,
    delimiter: str | None,
    columns: tuple[int, ...],
    names: list[str],
    source: str,
) -> FloatArray:
    """The given columns of every line below the header as float64, or an error naming the first
    bad line.

    ``numpy.loadtxt`` parses in C straight from the text (about 1 s per million lines, and no
    list of lines: an 8-hour ECG has 3.7 million); only when it fails does a Python loop find
    the line and cell to name.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            table = np.loadtxt(
                io.StringIO(text, newline=None),
                delimiter=delimiter,
                skiprows=header_number,
                usecols=columns,
                dtype=np.float64,
                ndmin=2,
                comments=None,
            )
    except (ValueError, IndexError):
        table = None
    if table is not None and np.isfinite(table).all():
        return np.asarray(table, dtype=np.float64)
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        if number <= header_number or not raw.strip():
            continue
        cells = _split(raw, delimiter)
        for col in columns:
            if col >= len(cells):
                raise FormatError(
                    f"{source}, line {number}: expected a value in column '{names[col]}', but the "
                    f"line has only {len(cells)} cell(s)"
                )
            try:
                value = float(cells[col])
            except ValueError:
                value = float("nan")
            if not np.isfinite(value):
                raise FormatError(
                    f"{source}, line {number}: expected a number in column '{names[col]}', got "
                    f"{shorten(cells[col])!r}"
                )
    raise FormatError(f"{source}: the ECG table could not be read as numbers")  # pragma: no cover


def _polar_fs(timestamps_ns: FloatArray, notes: list[str], metadata: dict[str, str]) -> float:
    """The ECG sampling rate measured from the sensor clock; gaps are lost Bluetooth packets."""
    if timestamps_ns.size < 2:
        metadata["fs"] = f"{POLAR_ECG_FS_HZ:g} Hz (nominal)"
        return POLAR_ECG_FS_HZ
    steps = np.diff(timestamps_ns)
    typical = float(np.median(steps))
    nominal_step = NS_PER_S / POLAR_ECG_FS_HZ
    plausible = (
        nominal_step / POLAR_FS_PLAUSIBLE_FACTOR
        <= typical
        <= nominal_step * POLAR_FS_PLAUSIBLE_FACTOR
    )
    if not plausible:
        notes.append(
            Notice(
                "formats.polar.clock",
                f"the sensor timestamps step by {typical / 1e6:.3g} ms, not the "
                f"{nominal_step / 1e6:.3g} ms of 130 Hz; the nominal 130 Hz is used",
                step_ms=typical / 1e6,
                nominal_ms=nominal_step / 1e6,
            )
        )
        metadata["fs"] = f"{POLAR_ECG_FS_HZ:g} Hz (nominal; the sensor clock is implausible)"
        return POLAR_ECG_FS_HZ
    gaps = (steps > POLAR_GAP_PERIODS * typical) | (steps <= 0)
    if gaps.any():
        lost_s = float(np.sum(steps[gaps] - typical)) / NS_PER_S
        notes.append(
            Notice(
                "formats.polar.gaps",
                f"{int(gaps.sum())} gap(s) or jump(s) in the sensor timestamps ({lost_s:.2f} s "
                f"of lost samples); beat intervals across a gap are wrong",
                n_gaps=int(gaps.sum()),
                lost_s=lost_s,
            )
        )
    fs_hz = NS_PER_S / float(np.mean(steps[~gaps])) if (~gaps).any() else POLAR_ECG_FS_HZ
    metadata["fs"] = f"{fs_hz:.4f} Hz (measured from the sensor clock)"
    return fs_hz
