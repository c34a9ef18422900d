"""PhysioNet WFDB records: header (``.hea``), signal files (``.dat``) and beat annotations.

Layouts (PhysioNet WFDB Applications Guide):

- ``header(5)``, https://physionet.org/physiotools/wag/header-5.htm: a record line
  ``name[/segments] n_signals [fs[/counter[(base)]] [n_samples [base_time [base_date]]]]`` and
  one line per signal naming its file, format, gain, units and description (the label).
- ``signal(5)``, https://physionet.org/physiotools/wag/signal-5.htm: the storage formats and
  their sizes (format 212 packs two 12-bit samples in 3 bytes, 16 is two bytes, ...).
- ``annot(5)`` and the annotation codes, https://physionet.org/physiobank/annotations.shtml:
  the reference annotator is ``atr``; beat labels are N L R B A a J S V r F e j n E / f Q ?.

wfdb is imported when a record is read, not with the package: it pulls in pandas (0.3 s).

When the record has reference beat annotations (``.atr``) they are used instead of detecting
beats: cardiologists reviewed them, and a detector can only come close.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Final

import numpy as np

from vagus.formats._channels import pick_channel
from vagus.formats._common import FormatError, check_file, shorten
from vagus.formats._recording import Recording
from vagus.hrv._notices import Notice
from vagus.hrv._types import FloatArray

#: Annotation labels that mark a heartbeat (PhysioNet annotation codes, "Beat annotations"; also
#: ``isqrs()`` in the WFDB library's ecgmap.h).
BEAT_SYMBOLS: Final[frozenset[str]] = frozenset("NLRBAaJSVrFejnE/fQ?")
#: The reference annotator (PhysioNet convention: ``.atr`` holds the reviewed annotations).
REFERENCE_ANNOTATOR: Final[str] = "atr"
#: Bytes per sample of each storage format (signal(5)); 0 marks the FLAC formats (508, 516,
#: 524), whose size cannot be checked in advance.
BYTES_PER_SAMPLE: Final[dict[str, float]] = {
    "8": 1.0,
    "16": 2.0,
    "24": 3.0,
    "32": 4.0,
    "61": 2.0,
    "80": 1.0,
    "160": 2.0,
    "212": 1.5,
    "310": 4.0 / 3.0,
    "311": 4.0 / 3.0,
    "508": 0.0,
    "516": 0.0,
    "524": 0.0,
}
SNIFF_HEADER_BYTES: Final[int] = 64 * 1024
_RECORD_FILE_SUFFIXES: Final[frozenset[str]] = frozenset({".hea", ".dat", ".atr"})


def record_base(path: Path) -> Path:
    """The record name (path without extension) for a record given as ``100``, ``100.hea``, ...

    >>> record_base(Path("db/100.hea")), record_base(Path("db/100"))
    (PosixPath('db/100'), PosixPath('db/100'))
    """
    if path.suffix.lower() in _RECORD_FILE_SUFFIXES:
        return path.with_suffix("")
    return path


#: The record line of header(5): name[/segments] n_signals [fs[/counter[(base)]] [n_samples ...]].
_RECORD_LINE: Final[re.Pattern[str]] = re.compile(
    r"[^\s/]+(/\d+)?\s+\d+(\s+[\d.eE+-]+(/[\d.eE+-]+(\([\d.eE+-]+\))?)?(\s+\d+(\s.*)?)?)?"
)


def is_wfdb_header(head: bytes) -> bool:
    """Whether the bytes start like a WFDB header: ``#`` comments, then a record line.

    >>> is_wfdb_header(b"100 2 360 650000\\n100.dat 212 200 11 1024 995 -22131 0 MLII\\n")
    True
    >>> is_wfdb_header(b"Phone timestamp;RR-interval [ms]\\n")
    False
    """
    if b"\x00" in head:
        return False
    for raw in head.decode("latin-1").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            return _RECORD_LINE.fullmatch(line) is not None
    return False


def header_of(path: Path) -> Path | None:
    """The ``.hea`` file of a record path, when it exists."""
    header = record_base(path).with_name(record_base(path).name + ".hea")
    return header if header.is_file() else None


def read_wfdb(path: Path, *, channel: str | None) -> Recording:
    """Read a WFDB record: the heartbeat channel, and the reference beats when annotated."""
    import wfdb  # type: ignore[import-untyped]

    source = str(path)
    base = record_base(path)
    header_path = base.with_name(base.name + ".hea")
    check_file(header_path)
    _check_record_line(header_path)
    try:
        header = wfdb.rdheader(str(base))
    except Exception as error:  # wfdb raises ValueError, IndexError, ... for malformed headers
        raise FormatError(f"{header_path}: not a valid WFDB header ({error})") from None
    labels = tuple(str(name).strip() for name in (header.sig_name or []))
    if not labels:
        raise FormatError(f"{header_path}: the header declares no signals")
    fs_hz = float(header.fs) if header.fs else 0.0
    if not math.isfinite(fs_hz) or fs_hz <= 0:
        raise FormatError(
            f"{header_path}: sampling frequency {header.fs!r}; expected a positive rate"
        )
    index, kind = pick_channel(labels, channel, source)
    if isinstance(header, wfdb.Record):
        _check_signal_files(header, base.parent, header_path)
    try:
        record = wfdb.rdrecord(str(base), channels=[index], physical=True)
    except Exception as error:
        raise FormatError(f"{source}: the WFDB signal cannot be read ({error})") from None
    samples = np.asarray(record.p_signal, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise FormatError(f"{source}: channel {labels[index]!r} holds no samples")
    signal = np.ascontiguousarray(samples[:, 0])
    metadata: dict[str, str] = {}
    units = header.units[index] if header.units and index < len(header.units) else None
    if units:
        metadata["unit"] = str(units)
    if header.comments:
        metadata["comments"] = "; ".join(str(line).strip() for line in header.comments)
    if header.base_time is not None and header.base_date is None:
        metadata["base_time"] = str(header.base_time)
    start = header.base_datetime if getattr(header, "base_datetime", None) else None
    warnings: list[str] = []
    rr_ms = None
    annotation_file = base.with_name(f"{base.name}.{REFERENCE_ANNOTATOR}")
    if annotation_file.is_file():
        rr_ms, note = _reference_rr(base, annotation_file, fs_hz, signal.size)
        metadata["beats_from"] = note
        warnings.append(
            Notice(
                "formats.wfdb.reference_beats",
                f"using the {rr_ms.size + 1} reference beat annotations in "
                f"{annotation_file.name} rather than detecting beats in the signal",
                n_beats=int(rr_ms.size + 1),
                file=annotation_file.name,
            )
        )
        kind = "rr"
    return Recording(
        source,
        "wfdb",
        kind,
        rr_ms,
        signal,
        fs_hz,
        labels[index],
        start,
        metadata,
        warnings,
        channels=labels,
    )


def _check_record_line(header_path: Path) -> None:
    """wfdb reads a malformed record line leniently (a bad rate becomes 250 Hz): refuse it."""
    try:
        text = header_path.read_bytes()[:SNIFF_HEADER_BYTES].decode("latin-1")
    except OSError as error:
        raise FormatError(f"{header_path}: cannot be read ({error.strerror or error})") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            if _RECORD_LINE.fullmatch(line) is None:
                raise FormatError(
                    f"{header_path}, line {number}: {shorten(line)!r} is not a WFDB record line; "
                    f"expected 'name n_signals sampling_rate n_samples' (header(5))"
                )
            return
    raise FormatError(f"{header_path}: the header holds no record line")


def _check_signal_files(header: Any, folder: Path, header_path: Path) -> None:
    """Refuse missing or truncated signal files before wfdb reads (or over-allocates) them."""
    for name in dict.fromkeys(header.file_name or []):
        if not (folder / name).is_file():
            raise FormatError(f"{folder / name}: no such file (named by {header_path.name})")
    if header.sig_len is None or not header.file_name:
        return
    sizes: dict[str, float] = {}
    offsets: dict[str, int] = {}
    count = len(header.file_name)
    spf = header.samps_per_frame or [1] * count
    offsets_given = header.byte_offset or [None] * count
    for name, fmt, frames, offset in zip(
        header.file_name, header.fmt, spf, offsets_given, strict=True
    ):
        per_sample = BYTES_PER_SAMPLE.get(str(fmt))
        if per_sample is None:
            raise FormatError(f"{header_path}: signal format {fmt!r} is not a WFDB storage format")
        sizes[name] = sizes.get(name, 0.0) + per_sample * (frames or 1)
        offsets[name] = offset or 0
    for name, per_frame in sizes.items():
        signal_file = folder / name
        if per_frame == 0:
            continue
        expected = offsets[name] + math.floor(header.sig_len * per_frame)
        actual = signal_file.stat().st_size
        if actual < expected:
            raise FormatError(
                f"{signal_file}: holds {actual} bytes, but {header_path.name} announces "
                f"{header.sig_len} samples ({expected} bytes); the file is truncated"
            )


def _reference_rr(
    base: Path, annotation_file: Path, fs_hz: float, n_samples: int
) -> tuple[FloatArray, str]:
    import wfdb

    try:
        annotation = wfdb.rdann(str(base), REFERENCE_ANNOTATOR)
    except Exception as error:  # a truncated or foreign .atr raises assorted types
        raise FormatError(
            f"{annotation_file}: not a readable WFDB annotation file ({error})"
        ) from None
    symbols = list(annotation.symbol or [])
    positions = np.asarray(annotation.sample, dtype=np.int64)
    is_beat = np.fromiter(
        (symbol in BEAT_SYMBOLS for symbol in symbols), dtype=bool, count=len(symbols)
    )
    beats = positions[is_beat[: positions.size]]
    if beats.size < 2:
        raise FormatError(
            f"{annotation_file}: holds {beats.size} beat annotation(s); expected at least two to "
            f"form an RR interval"
        )
    steps = np.diff(beats)
    if (steps <= 0).any():
        where = int(np.argmax(steps <= 0))
        raise FormatError(
            f"{annotation_file}: beat annotation {where + 2} (sample {beats[where + 1]}) does not "
            f"come after the one before it; the annotation file is damaged"
        )
    if beats[0] < 0 or beats[-1] > n_samples:
        raise FormatError(
            f"{annotation_file}: beat annotations run to sample {beats[-1]}, past the "
            f"{n_samples} samples of the record; the annotations belong to another record"
        )
    rr_ms = steps.astype(np.float64) * (1000.0 / fs_hz)
    return rr_ms, f"reference annotations {annotation_file.name} ({beats.size} beats)"
