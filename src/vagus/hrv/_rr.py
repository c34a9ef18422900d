"""RR intervals in: validation, units, and the plain text / CSV files strap apps export.

Everything here turns untrusted input into a float64 array of RR intervals in milliseconds, or
raises :class:`RrDataError` with one message that names the file, the line (or array index) and
what was expected. ``read_rr`` is the one function in ``vagus.hrv`` that touches the file system;
it only reads the text and hands it to the pure :func:`parse_rr_text`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, Final, Literal

import numpy as np

from vagus.errors import UserError
from vagus.hrv._constants import (
    MAX_RR_MS,
    MIN_RR_MS,
    RR_INVALID_CODE,
    RR_INVALID_CODES_MS,
    UNIT_SECONDS_BELOW,
)
from vagus.hrv._types import BoolArray, FloatArray, IntArray

Unit = Literal["ms", "s"]
UNITS: Final[tuple[str, ...]] = ("ms", "s")

#: Column names (lower case, letters only, unit words removed) that hold RR intervals in the
#: exports we know: Polar Sensor Logger ("RR-interval [ms]"), Elite HRV, HRV Logger ("RR"),
#: Kubios ("RR"), EliteHRV / Welltory ("ibi"), generic "nn" / "interval" / "rri".
RR_COLUMN_NAMES: Final[tuple[str, ...]] = (
    "rr",
    "rri",
    "rrinterval",
    "rrintervals",
    "ibi",
    "interbeatinterval",
    "nn",
    "nni",
    "nninterval",
    "interval",
    "intervals",
)
_UNIT_WORDS_MS: Final[frozenset[str]] = frozenset({"ms", "msec", "millisecond", "milliseconds"})
_UNIT_WORDS_S: Final[frozenset[str]] = frozenset({"s", "sec", "secs", "second", "seconds"})
_MAX_SHOWN: Final[int] = 40
#: The longest line an RR file may have, in characters (bytes when the file is scanned before
#: decoding). No export we read comes near it: a CSV row of RR data is under 200 characters,
#: one value per line under 20, and a whole recording on one line is refused anyway (one value
#: per line, or a table with a header). A longer line is not RR data, and refusing it before
#: decoding the file keeps a 500 MiB upload of one line from being decoded whole (issue 12).
MAX_LINE_CHARS: Final[int] = 64 * 1024
#: A run of this many values in a row that read as the other unit (below
#: ``UNIT_SECONDS_BELOW`` in a file in ms, or at or above it in a file in s) is a change of unit
#: inside the file, not an artifact: a missed or extra beat spoils one to three intervals.
UNIT_CHANGE_RUN: Final[int] = 5
#: Bytes read at a time when a file is scanned for over-long lines.
_SCAN_CHUNK_BYTES: Final[int] = 1 << 20
#: A value followed by its unit, "812 ms" or "0,812 s" (decimal comma accepted).
_VALUE_WITH_UNIT: Final[re.Pattern[str]] = re.compile(
    r"\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]+)\.?\s*"
)


class RrDataError(UserError):
    """Input that is not usable RR data.

    The message is complete and meant for the user: it names the source (file name or
    ``"input"``), the line or index where the problem is, and what was expected.
    """


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _at(source: str, line: int | None) -> str:
    return f"{source}, line {line}" if line is not None else source


def _parse_number(cell: str, *, source: str, line: int, column: str | None) -> float:
    """One cell to a positive finite float, or a precise error."""
    where = _at(source, line)
    what = f" in column '{column}'" if column is not None else ""
    text = cell.strip()
    if not text:
        raise RrDataError(f"{where}: expected an RR interval{what}, but the cell is empty")
    try:
        value = float(text)
    except ValueError:
        # Norwegian and most European exports write decimal commas ("0,812").
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise RrDataError(
                f"{where}: expected a number (an RR interval){what}, got {_shorten(text)!r}"
            ) from None
    if math.isnan(value) or math.isinf(value):
        raise RrDataError(f"{where}: expected a number (an RR interval){what}, got {text!r}")
    if value <= 0:
        raise RrDataError(
            f"{where}: an RR interval must be a positive duration{what}, got {_shorten(text)}"
        )
    return value


def _value_with_unit(cell: str) -> tuple[str, Unit] | None:
    """``"812 ms"`` -> ``("812", "ms")``; ``None`` unless the cell is one number and a unit."""
    match = _VALUE_WITH_UNIT.fullmatch(cell)
    if match is None:
        return None
    word = match.group(2).lower()
    if word in _UNIT_WORDS_MS:
        return match.group(1), "ms"
    if word in _UNIT_WORDS_S:
        return match.group(1), "s"
    return None


def _column_key(name: str) -> tuple[str, Unit | None]:
    """Normalise a header cell: ``"RR-interval [ms]"`` -> ``("rrinterval", "ms")``."""
    words = [w for w in re.split(r"[^a-z]+", name.lower()) if w]
    unit: Unit | None = None
    kept = []
    for word in words:
        if word in _UNIT_WORDS_MS:
            unit = "ms"
        elif word in _UNIT_WORDS_S:
            unit = "s"
        else:
            kept.append(word)
    return "".join(kept), unit


def _looks_like_header(cells: Sequence[str]) -> bool:
    """A first row with any cell that is not a number (after a decimal-comma fix), nor a number
    with its unit ("812 ms"), is a header."""
    for cell in cells:
        text = cell.strip()
        if not text or _value_with_unit(text) is not None:
            continue
        try:
            float(text.replace(",", "."))
        except ValueError:
            return True
    return False


def _is_decimal_comma_number(line: str) -> bool:
    return re.fullmatch(r"\s*[+-]?\d+,\d+\s*", line) is not None


def _sniff_delimiter(line: str) -> str | None:
    for delimiter in ("\t", ";", ","):
        if delimiter in line:
            return delimiter
    return None


def _content_lines(text: str, source: str = "input") -> list[tuple[int, str]]:
    """Non-blank, non-comment lines with their 1-based line numbers.

    Raises
    ------
    RrDataError
        For a line longer than ``MAX_LINE_CHARS``, naming it.
    """
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if len(raw) > MAX_LINE_CHARS:
            raise _long_line(source, number)
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            out.append((number, raw))
    return out


def _long_line(source: str, line: int) -> RrDataError:
    return RrDataError(
        f"{source}, line {line}: the line is longer than {MAX_LINE_CHARS // 1024} KiB; expected "
        f"RR intervals, one per line, or a table with one row per beat"
    )


def check_line_lengths(stream: BinaryIO, source: str) -> None:
    """Refuse a file with a line longer than ``MAX_LINE_CHARS`` bytes, reading it in chunks.

    Run before a text file is read whole and decoded, so that one huge line (500 MiB of zeros
    with no line break) costs a chunk of memory, not the file (issue 12). Lines end at
    ``\\n``, ``\\r\\n`` or ``\\r`` (HRV Logger writes classic-Mac ``\\r``), numbered as
    :func:`parse_rr_text` numbers them.

    Raises
    ------
    RrDataError
        Naming the file and the first over-long line.
    """
    line = 1  # the line the next byte belongs to
    length = 0  # bytes of that line before this chunk
    after_cr = False  # the previous chunk ended with "\\r"
    while chunk := stream.read(_SCAN_CHUNK_BYTES):
        if b"\n" not in chunk and b"\r" not in chunk:  # one line goes on: no arrays needed
            length += len(chunk)
            if length > MAX_LINE_CHARS:
                raise _long_line(source, line)
            after_cr = False
            continue
        data = np.frombuffer(chunk, dtype=np.uint8)
        if after_cr and data.size and data[0] == 10:
            data = data[1:]  # the "\\n" of a "\\r\\n" split across chunks: counted already
        lf = data == 10
        cr = data == 13
        breaks = lf | cr
        # "\\r\\n" is one line end: count the "\\n" of the pair only.
        pair = cr[:-1] & lf[1:]
        counted = breaks.copy()
        counted[:-1] &= ~pair
        positions = np.flatnonzero(breaks)
        if positions.size == 0:
            length += data.size
            if length > MAX_LINE_CHARS:
                raise _long_line(source, line)
            after_cr = False
            continue
        first = int(positions[0])
        if length + first > MAX_LINE_CHARS:
            raise _long_line(source, line)
        gaps = np.diff(positions) - 1
        long = np.flatnonzero(gaps > MAX_LINE_CHARS)
        if long.size:
            end = int(positions[int(long[0])])
            raise _long_line(source, line + int(np.count_nonzero(counted[: end + 1])))
        line += int(np.count_nonzero(counted))
        length = data.size - int(positions[-1]) - 1
        after_cr = bool(cr[-1])
        if length > MAX_LINE_CHARS:
            raise _long_line(source, line)


def invalid_code(rr_ms: FloatArray) -> BoolArray:
    """True where an interval is the "no valid interval" code of strap data (0xFFFF, read as
    ms or as 1/1024 s: ``RR_INVALID_CODES_MS``), to within 0.5 ms.

    >>> invalid_code(np.array([800.0, 65535.0, 63999.0234375])).tolist()
    [False, True, True]
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    hit = np.zeros(rr.shape, dtype=np.bool_)
    for code in RR_INVALID_CODES_MS:
        hit |= np.abs(rr - code) <= 0.5
    return hit


def detect_unit(values_median: float) -> Unit:
    """The unit of RR values from their median: seconds below 10, else milliseconds.

    RR intervals lie in 0.2-3.0 s, i.e. 200-3000 ms, so a threshold of 10 separates the units
    with a factor of three or more on either side.

    >>> detect_unit(0.85), detect_unit(850.0)
    ('s', 'ms')
    """
    return "s" if values_median < UNIT_SECONDS_BELOW else "ms"


def _to_ms(values: FloatArray, unit: Unit | None, *, source: str, hint: str) -> FloatArray:
    if values.size == 0:
        raise RrDataError(
            f"{source}: no RR intervals found{hint}", key="errors.no_rr", source=source
        )
    # The strap's "no interval" code (65535, as ms or 1/1024 s) says nothing about the unit or
    # the typical interval: a file with long dropouts may be mostly codes. They pass through
    # here and the analysis leaves them out of every index, naming them (issue 12).
    codes = invalid_code(values)
    if codes.all():
        raise RrDataError(
            f"{source}: every value is {RR_INVALID_CODE}, the code strap data write where no RR "
            "interval was measured; expected at least one RR interval",
            key="errors.only_invalid_codes",
            source=source,
            code=str(RR_INVALID_CODE),
        )
    median = float(np.median(values[~codes]))
    chosen = unit if unit is not None else detect_unit(median)
    rr_ms = values * 1000.0 if chosen == "s" else values
    median_ms = median * 1000.0 if chosen == "s" else median
    if not MIN_RR_MS <= median_ms <= MAX_RR_MS:
        raise RrDataError(
            f"{source}: the typical value is {median:g}, which is not an RR interval in "
            f"{'seconds' if chosen == 's' else 'milliseconds'}; expected values of "
            f"{MIN_RR_MS / 1000:g}-{MAX_RR_MS / 1000:g} s or {MIN_RR_MS:g}-{MAX_RR_MS:g} ms"
            + ("" if unit is not None else " (use --unit ms|s if the unit was guessed wrong)"),
            key="errors.not_rr",
            source=source,
            value=median,
            low_ms=MIN_RR_MS,
            high_ms=MAX_RR_MS,
        )
    return np.ascontiguousarray(rr_ms, dtype=np.float64)


def validate_rr(values: Iterable[float] | FloatArray, *, unit: Unit | None = "ms") -> FloatArray:
    """Check an array of RR intervals and return it in milliseconds as float64.

    Parameters
    ----------
    values : array_like
        RR intervals, one per beat, oldest first.
    unit : {"ms", "s", None}
        Their unit; ``None`` detects it from the median (:func:`detect_unit`).

    Returns
    -------
    numpy.ndarray
        RR intervals in ms.

    Raises
    ------
    RrDataError
        For an empty input, a non-number, NaN or infinity, a zero or negative value (naming the
        first offending index), or values that are no RR intervals in the given unit.

    >>> validate_rr([0.8, 0.81, 0.79], unit=None)
    array([800., 810., 790.])
    """
    if unit is not None and unit not in UNITS:
        raise RrDataError(f"unit: expected one of {', '.join(UNITS)}, got {unit!r}")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise RrDataError(f"input: expected numbers (RR intervals), {error}") from None
    if array.ndim != 1:
        array = array.reshape(-1) if array.ndim == 0 else array
        if array.ndim != 1:
            raise RrDataError(
                f"input: expected a 1-D series of RR intervals, got shape {array.shape}"
            )
    bad = ~np.isfinite(array)
    if bad.any():
        index = int(np.argmax(bad))
        raise RrDataError(
            f"input, index {index}: expected a finite RR interval, got {array[index]}"
        )
    non_positive = array <= 0
    if non_positive.any():
        index = int(np.argmax(non_positive))
        raise RrDataError(
            f"input, index {index}: an RR interval must be a positive duration, "
            f"got {array[index]:g}"
        )
    return _to_ms(array, unit, source="input", hint="")


def parse_rr_text(
    text: str,
    *,
    source: str = "input",
    unit: Unit | None = None,
    column: str | None = None,
) -> FloatArray:
    """Parse RR intervals from text: one value per line, or a CSV/TSV table with a header.

    One value per line is what Polar Beat, Elite HRV and most strap apps export. A table needs a
    header row; the RR column is found by name (rr, rri, ibi, nn, interval, "RR-interval [ms]",
    ...) or given with ``column``. Tab, semicolon and comma separate cells; decimal commas are
    accepted; blank lines and lines starting with ``#`` are skipped.

    Parameters
    ----------
    text : str
        The file's content.
    source : str
        The name used in error messages (the file name).
    unit : {"ms", "s", None}
        Unit of the values; ``None`` takes it from the header ("[ms]", "(s)") or, failing
        that, from the values (:func:`detect_unit`).
    column : str, optional
        Header name of the RR column (case-insensitive).

    Returns
    -------
    numpy.ndarray
        RR intervals in ms, float64.

    Raises
    ------
    RrDataError
        With the file, line and what was expected.

    >>> parse_rr_text("812\\n798\\n805\\n")
    array([812., 798., 805.])
    >>> parse_rr_text("time;RR-interval [s]\\n0;0,812\\n1;0,798\\n")
    array([812., 798.])
    """
    if unit is not None and unit not in UNITS:
        raise RrDataError(f"--unit: expected one of {', '.join(UNITS)}, got {unit!r}")
    text = text.removeprefix("\ufeff")
    lines = _content_lines(text, source)
    if not lines:
        raise RrDataError(
            f"{source}: the file is empty; expected RR intervals, one per line",
            key="errors.rr_file_empty",
            source=source,
        )

    first_number, first_line = lines[0]
    delimiter = _sniff_delimiter(first_line)
    if delimiter == "," and _is_decimal_comma_number(first_line):
        # "0,812" alone on a line is one number with a decimal comma, not two cells.
        delimiter = None
    if delimiter == "," and _value_with_unit(first_line) is not None:
        delimiter = None  # "0,812 s": one value with its unit
    first_cells = _split(first_line, delimiter)
    header_unit: Unit | None = None
    if delimiter is None and _value_with_unit(first_line) is not None:
        first_cells = [first_line]

    if _looks_like_header(first_cells):
        names = [cell.strip() for cell in first_cells]
        index = _pick_column(names, column, source=source, line=first_number)
        header_unit = _column_key(names[index])[1]
        column_name: str | None = names[index]
        body = lines[1:]
        if not body:
            raise RrDataError(
                f"{source}: only a header row was found; expected RR intervals below it"
            )
    else:
        if column is not None:
            raise RrDataError(
                f"{source}, line {first_number}: --column {column!r} needs a header row naming "
                f"the columns, but the first line holds numbers"
            )
        if len(first_cells) > 1:
            raise RrDataError(
                f"{source}, line {first_number}: expected one RR interval per line, found "
                f"{len(first_cells)} values; a table needs a header row naming the RR column"
            )
        index, column_name, body = 0, None, lines

    values = np.empty(len(body), dtype=np.float64)
    numbers = np.empty(len(body), dtype=np.int64)
    # Per value: 0 no unit written, 1 "ms", 2 "s" (a unit written beside the value wins).
    written = np.zeros(len(body), dtype=np.int8)
    for position, (number, line) in enumerate(body):
        numbers[position] = number
        if column_name is None:
            # The common case, one plain number: parsed once, no splitting or pattern.
            try:
                plain = float(line)
            except ValueError:
                plain = math.nan
            if plain > 0 and math.isfinite(plain):
                values[position] = plain
                continue
        if column_name is None and _value_with_unit(line) is not None:
            cells = [line]
        else:
            cells = _split(line, delimiter)
        if index >= len(cells):
            raise RrDataError(
                f"{source}, line {number}: expected a value in column '{column_name}', but the "
                f"line has only {len(cells)} cell(s)"
            )
        if column_name is None and len(cells) > 1:
            raise RrDataError(
                f"{source}, line {number}: expected one RR interval per line, found "
                f"{len(cells)} values"
            )
        cell = cells[index]
        with_unit = _value_with_unit(cell)
        if with_unit is not None:
            cell = with_unit[0]
            written[position] = 1 if with_unit[1] == "ms" else 2
        values[position] = _parse_number(cell, source=source, line=number, column=column_name)
    chosen = unit if unit is not None else header_unit
    bare = written == 0
    if not bare.any():
        # Every value carries its unit: convert each (a file may mix them, "812 ms", "0.8 s").
        rr_ms = np.where(written == 2, values * 1000.0, values)
        return _to_ms(rr_ms, "ms", source=source, hint="")
    if chosen is None:
        _check_one_unit(values[bare], numbers[bare], source)
    rr_ms = _to_ms(values[bare], chosen, source=source, hint="")
    if bare.all():
        return rr_ms
    out = np.where(written == 2, values * 1000.0, values)
    out[bare] = rr_ms
    return _to_ms(out, "ms", source=source, hint="")


def _check_one_unit(values: FloatArray, numbers: IntArray, source: str) -> None:
    """Refuse a file whose unit changes inside it: a run of ``UNIT_CHANGE_RUN`` values in a row
    that read as the other unit than most values (issue 12: a file switching from ms to s
    halfway was read with a mean NN of 380 ms and a maximum heart rate of 97,126 bpm).

    Refused rather than converted: which unit each value has is a guess, a file joined from
    two exports is better fixed (or split) by the person who knows, and ``--unit`` reads every
    value in one unit, leaving the values impossible in it to the range check. A single value
    (or a few) of the other size is an artifact, not a unit, and is left to that check too.
    """
    seconds = (values < UNIT_SECONDS_BELOW).astype(np.int8)
    # Runs of values of one size: where each starts, how long it is, which unit it reads as.
    starts = np.flatnonzero(np.diff(np.concatenate(([-1], seconds))) != 0)
    lengths = np.diff(np.concatenate((starts, [seconds.size])))
    long = np.flatnonzero(lengths >= UNIT_CHANGE_RUN)
    kinds = seconds[starts[long]]
    if long.size == 0 or np.all(kinds == kinds[0]):
        return
    first = int(starts[long[0]])  # the file's unit: its first long run's
    change = int(np.flatnonzero(kinds != kinds[0])[0])
    at = int(starts[long[change]])
    names = {0: "milliseconds", 1: "seconds"}
    raise RrDataError(
        f"{source}, line {int(numbers[at])}: the unit changes here: {values[at]:g} and the "
        f"{int(lengths[long[change]]) - 1} value(s) after it read as "
        f"{names[int(kinds[change])]}, but the file began in {names[int(kinds[0])]} (line "
        f"{int(numbers[first])}: {values[first]:g}); expected one unit per file: convert or "
        f"split the file, or give --unit ms|s to read every value in one unit"
    )


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return next(csv.reader(io.StringIO(line), delimiter=delimiter))


def _pick_column(names: list[str], column: str | None, *, source: str, line: int) -> int:
    shown = ", ".join(repr(n) for n in names)
    if column is not None:
        wanted = column.strip().lower()
        for index, name in enumerate(names):
            if name.lower() == wanted:
                return index
        raise RrDataError(
            f"{source}, line {line}: no column named {column!r}; the header has {shown}"
        )
    for index, name in enumerate(names):
        if _column_key(name)[0] in RR_COLUMN_NAMES:
            return index
    raise RrDataError(
        f"{source}, line {line}: no RR column in the header ({shown}); expected a column named "
        f"rr, rri, ibi, nn or interval, or name it with --column"
    )


def read_rr(path: str | Path, *, unit: Unit | None = None, column: str | None = None) -> FloatArray:
    """Read RR intervals from a text or CSV/TSV file (see :func:`parse_rr_text`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    unit : {"ms", "s", None}
        Unit of the values; ``None`` detects it.
    column : str, optional
        Header name of the RR column.

    Returns
    -------
    numpy.ndarray
        RR intervals in ms.

    Raises
    ------
    RrDataError
        When the file cannot be read or holds no usable RR data; the message names the file.
    """
    file = Path(path)
    try:
        with file.open("rb") as stream:
            if b"\x00" in stream.read(4096):
                raise RrDataError(
                    f"{file}: is a binary file; expected text with RR intervals (one per line, "
                    f"or CSV)"
                )
            stream.seek(0)
            check_line_lengths(stream, str(file))  # before the whole file is read and decoded
            stream.seek(0)
            raw = stream.read()
    except FileNotFoundError:
        raise RrDataError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise RrDataError(f"{file}: is a folder; expected a file of RR intervals") from None
    except OSError as error:
        raise RrDataError(f"{file}: cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_rr_text(text, source=str(file), unit=unit, column=column)
