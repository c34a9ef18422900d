"""The file formats people have: strap-app exports, FIT, EDF/BDF, WFDB and Apple Health.

:func:`load` reads a file into a :class:`Recording` (beat intervals, or a waveform whose beats
:meth:`Recording.beats` detects), :func:`detect` tells the format from the content (magic bytes,
header lines; the name only where content cannot decide), and :func:`write_beats_csv` writes
beats back out. Every problem with a file raises :class:`FormatError`, a
:class:`vagus.hrv.RrDataError` whose message names the file and what is wrong.

============  ===========================================================================
format        what it is
============  ===========================================================================
rr-text       one RR interval per line, or a CSV/TSV table with an RR column
polar         Polar Sensor Logger: RR, PPI or ECG (130 Hz) files, ``;``-separated
elite-hrv     Elite HRV raw export (one RR in ms per line, named by its start time)
hrv-logger    HRV Logger CSV (``date, rr, since_start, ...``)
kubios        RR text for Kubios HRV (``#`` header, one column; or time and RR columns)
fit           Garmin FIT with ``hrv`` messages ("Log HRV")
edf           EDF, EDF+ and BDF: the ECG (or PPG) channel
wfdb          PhysioNet WFDB record; the reference beat annotations (.atr) when present
apple-health  Apple Health export.xml or export.zip: the Apple Watch beat series
============  ===========================================================================

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "rr.txt").write_text("812\\n798\\n805\\n")
>>> recording = load(folder / "rr.txt")
>>> recording.format, recording.rr_ms
('rr-text', array([812., 798., 805.]))
"""

from __future__ import annotations

from pathlib import Path

from vagus.formats._apple import is_apple_export, read_apple, zip_member
from vagus.formats._common import FORMATS, TEXT_FORMATS, FormatError, decode_text, read_head
from vagus.formats._edf import is_edf, read_edf
from vagus.formats._fit import is_fit, read_fit
from vagus.formats._recording import Recording, SeriesInfo, write_beats_csv
from vagus.formats._text import KNOWN_HEADERS, read_text, sniff_text
from vagus.formats._wfdb import header_of, is_wfdb_header, read_wfdb
from vagus.hrv import Unit

__all__ = [
    "FORMATS",
    "KNOWN_HEADERS",
    "FormatError",
    "Recording",
    "SeriesInfo",
    "detect",
    "load",
    "write_beats_csv",
]

_ZIP_MAGIC = b"PK\x03\x04"
_WFDB_SUFFIXES = frozenset({".hea", ".dat", ".atr"})


def detect(path: str | Path) -> str:
    """The format of a file, one of :data:`FORMATS`, from its content.

    Binary formats are told by their magic bytes (FIT ``.FIT`` at byte 8, EDF ``0`` and seven
    spaces, BDF ``\\xffBIOSEMI``, ZIP ``PK\\x03\\x04``), XML by its root element, text by its
    header line (:data:`KNOWN_HEADERS`). A WFDB record may be given by its name without an
    extension (``mitdb/100``) or by any of its files.

    Raises
    ------
    FormatError
        For a missing file, a folder, or a binary file of no known format.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "polar_RR.txt"
    >>> _ = path.write_text("Phone timestamp;RR-interval [ms]\\n2024-05-01T08:00:00.000;812\\n")
    >>> detect(path)
    'polar'
    """
    file = Path(path)
    source = str(path)
    if not file.exists() or file.suffix.lower() in _WFDB_SUFFIXES:
        header = header_of(file)
        if header is not None and is_wfdb_header(read_head(header)):
            return "wfdb"
    head = read_head(file)
    if is_fit(head):
        return "fit"
    if is_edf(head):
        return "edf"
    if head.startswith(_ZIP_MAGIC):
        if zip_member(file) is not None:
            return "apple-health"
        raise FormatError(
            f"{source}: a zip archive without an Apple Health export.xml; vagus reads "
            f"export.zip from the Health app, or the files themselves"
        )
    if is_apple_export(head):
        return "apple-health"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        raise FormatError(
            f"{source}: an XML file that is not an Apple Health export (no <HealthData>)"
        )
    text = decode_text(head, source)
    return sniff_text(text, file.name)


def load(
    path: str | Path,
    *,
    format: str | None = None,
    unit: Unit | None = None,
    column: str | None = None,
    channel: str | None = None,
) -> Recording:
    """Read a recording file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (for WFDB: the record name, or its ``.hea``/``.dat`` file).
    format : str, optional
        One of :data:`FORMATS`; detected from the content when omitted.
    unit : {"ms", "s"}, optional
        Unit of RR values in text formats; detected from the header or the values if omitted.
    column : str, optional
        Header name of the RR column in text tables.
    channel : str, optional
        EDF/WFDB: channel label or 0-based index (default: the ECG channel, lead II preferred,
        else a PPG channel). Apple Health: ``"series:N"``, the N-th beat series oldest first, or
        ``"latest"`` (the default); ``vagus info`` lists the series.

    Returns
    -------
    Recording

    Raises
    ------
    FormatError
        A :class:`vagus.hrv.RrDataError` naming the file and the problem: unreadable, truncated
        or corrupt files, unknown formats, options that do not apply to the format.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = path.write_text("time;RR [s]\\n0.8;0,800\\n1.61;0,810\\n")
    >>> load(path).rr_ms
    array([800., 810.])
    """
    file = Path(path)
    source = str(path)
    fmt = detect(file) if format is None else format
    if fmt not in FORMATS:
        raise FormatError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt in TEXT_FORMATS:
        if channel is not None:
            raise FormatError(
                f"{source}: --channel applies to EDF, WFDB and Apple Health files, not to "
                f"{fmt} text"
            )
        return read_text(file, fmt, unit=unit, column=column)
    for option, value in (("--unit", unit), ("--column", column)):
        if value is not None:
            raise FormatError(f"{source}: {option} applies to text files, not to {fmt} files")
    if fmt == "fit":
        if channel is not None:
            raise FormatError(f"{source}: --channel does not apply to FIT files")
        return read_fit(file)
    if fmt == "edf":
        return read_edf(file, channel=channel)
    if fmt == "wfdb":
        return read_wfdb(file, channel=channel)
    return read_apple(file, channel=channel)
