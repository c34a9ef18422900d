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
from typing import Final, Literal

import numpy as np

from vagus.errors import UserError
from vagus.hrv._constants import MAX_RR_MS, MIN_RR_MS, UNIT_SECONDS_BELOW
from vagus.hrv._types import FloatArray

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
    """A first row with any cell that is not a number (after a decimal-comma fix) is a header."""
    for cell in cells:
        text = cell.strip()
        if not text:
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


def _content_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank, non-comment lines with their 1-based line numbers."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            out.append((number, raw))
    return out


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
    median = float(np.median(values))
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
    lines = _content_lines(text)
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
    first_cells = _split(first_line, delimiter)
    header_unit: Unit | None = None

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
    for position, (number, line) in enumerate(body):
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
        values[position] = _parse_number(
            cells[index], source=source, line=number, column=column_name
        )
    return _to_ms(values, unit if unit is not None else header_unit, source=source, hint="")


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
        raw = file.read_bytes()
    except FileNotFoundError:
        raise RrDataError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise RrDataError(f"{file}: is a folder; expected a file of RR intervals") from None
    except OSError as error:
        raise RrDataError(f"{file}: cannot be read ({error.strerror})") from None
    if b"\x00" in raw[:4096]:
        raise RrDataError(
            f"{file}: is a binary file; expected text with RR intervals (one per line, or CSV)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_rr_text(text, source=str(file), unit=unit, column=column)
