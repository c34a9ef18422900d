"""Apple Health exports: the beat-to-beat series an Apple Watch stores with its HRV readings.

The layout is the one the export's own DTD declares (the ``<!DOCTYPE HealthData [...]>`` at the
top of every ``export.xml``, HealthKit export versions 11-14)::

    <!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
    <!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
    <!ATTLIST InstantaneousBeatsPerMinute bpm CDATA #REQUIRED time CDATA #REQUIRED>

with the note "Heart Rate Variability records captured by Apple Watch may include an associated
list of instantaneous beats-per-minute readings". So a series is a ``Record`` (type
``HKQuantityTypeIdentifierHeartRateVariabilitySDNN``, with ``startDate`` such as
``2018-11-19 08:33:39 +0100``) holding ``<InstantaneousBeatsPerMinute bpm="78"
time="08:33:44,67"/>`` per beat: ``bpm`` is a whole number, ``time`` a local time of day in the
phone's locale, to 1/100 s (``08:33:44,67``, ``6:14:48.94 PM``, ``3:10:01.12\u202fAM``).

The export holds no ``HeartbeatSeriesSample`` element and no ``precededByGap`` flag: those are
HealthKit's in-app API (``HKHeartbeatSeriesQuery``), not part of the export. The list skips the
beats the watch rejected, so gaps are found the way the flag would mark them: an interval is kept
only when the time since the previous beat agrees with the beat's own instantaneous rate
(:func:`beat_intervals`); the others span a gap and are left out.

The file can be gigabytes, and an upload is untrusted (issue 11: a 2 MB zip of whitespace, a
``Record`` of 3 million beats). So it is streamed through an XML parser whose target keeps no
tree and no text (character data is dropped as it arrives: whitespace inside ``<HealthData>``
never accumulates), only the attributes of the ``Record`` being read and at most
:data:`MAX_BEATS_PER_RECORD` of its beats; only the chosen series' beats are kept. A ``.zip`` of
the export (``apple_health_export/export.xml``) is streamed from the archive without unpacking,
its unpacked size capped (:func:`unzipped_limit`) both as declared and as counted while it
streams.
"""

from __future__ import annotations

import lzma
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Final

import numpy as np

from vagus.formats._common import FormatError, check_file, shorten
from vagus.formats._recording import Recording, SeriesInfo
from vagus.hrv._notices import Notice
from vagus.hrv._types import FloatArray

ROOT_TAG: Final[str] = "HealthData"
BEAT_TAG: Final[str] = "InstantaneousBeatsPerMinute"
EXPORT_MEMBER: Final[str] = "export.xml"
SECONDS_PER_DAY: Final[float] = 86400.0
HALF_DAY_S: Final[float] = 43200.0
#: ``bpm`` is exported as a whole number, so the rate of a true interval can differ from it by up
#: to one beat per minute (rounding or truncation) before time resolution is counted.
BPM_QUANTUM: Final[float] = 1.0
#: How to choose a series: ``channel="series:3"`` (1-based, in time order).
SERIES_PREFIX: Final[str] = "series:"

_TIME: Final[re.Pattern[str]] = re.compile(
    r"(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(?:([AaPp])\.?\s*[Mm]\.?)?"
)
#: ``<<HKDevice: 0x...>, name:Apple Watch, ..., hardware:Watch6,2, software:10.1>``: fields are
#: separated by ", " before the next ``key:``; a value may hold a comma (``Watch6,2``).
_DEVICE_FIELD: Final[re.Pattern[str]] = re.compile(
    r"(name|manufacturer|model|hardware|software):(.*?)(?=, \w+:|>?\s*$)"
)
_START_FORMAT: Final[str] = "%Y-%m-%d %H:%M:%S %z"
#: Most beats one ``Record`` may list. An Apple Watch HRV reading lists about a minute of beats
#: (60-120); 10,000 is more than two hours at 80 bpm, so more is a damaged or forged file
#: (issue 11: one Record of 3 million beats held 1.5 GB).
MAX_BEATS_PER_RECORD: Final[int] = 10_000
#: Bytes handed to the XML parser at a time.
READ_CHUNK_BYTES: Final[int] = 256 * 1024
#: Largest export.xml unpacked from a zip, whatever the archive's size.
MAX_UNZIPPED_BYTES: Final[int] = 16 * 1024**3
#: Largest ratio of unpacked to packed size. A real export.xml packs about 15-30 times (its
#: records repeat the same attribute names); whitespace packs 1000 times, the zip bomb's mark.
MAX_ZIP_RATIO: Final[int] = 100
#: An export.xml this small is unpacked whatever its ratio (a tiny export may pack well).
MIN_UNZIPPED_LIMIT_BYTES: Final[int] = 64 * 1024**2


def is_apple_export(head: bytes) -> bool:
    """Whether the first bytes are an Apple Health ``export.xml``.

    >>> is_apple_export(b'<?xml version="1.0"?>\\n<!DOCTYPE HealthData [')
    True
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<") and (b"<!DOCTYPE HealthData" in head or b"<HealthData" in head)


def zip_member(path: Path) -> str | None:
    """The ``export.xml`` inside an Apple Health ``export.zip``, or ``None``."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    candidates = [name for name in names if name.rsplit("/", 1)[-1] == EXPORT_MEMBER]
    candidates.sort(key=lambda name: (name.count("/"), name))
    return candidates[0] if candidates else None


def parse_beat_time(text: str) -> tuple[float, int]:
    """Seconds since midnight and the number of decimals, from an exported beat time.

    >>> parse_beat_time("08:33:44,67")
    (30824.67, 2)
    >>> parse_beat_time("6:14:48.94 PM")
    (65688.94, 2)
    >>> parse_beat_time("12:00:01.50\\u202fAM")
    (1.5, 2)
    """
    cleaned = text.replace("\u202f", " ").replace("\u00a0", " ").strip()
    match = _TIME.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"not a time of day: {text!r}")
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3))
    fraction = match.group(4) or ""
    meridiem = (match.group(5) or "").lower()
    if meridiem:
        if not 1 <= hours <= 12:
            raise ValueError(f"not a 12-hour time: {text!r}")
        hours = hours % 12 + (12 if meridiem == "p" else 0)
    if hours > 23 or minutes > 59 or seconds > 60:
        raise ValueError(f"not a time of day: {text!r}")
    value = hours * 3600 + minutes * 60 + seconds + (float(f"0.{fraction}") if fraction else 0.0)
    return round(value, len(fraction)), len(fraction)


def beat_intervals(
    times_s: FloatArray, bpm: FloatArray, resolution_s: float
) -> tuple[FloatArray, int, float]:
    """RR intervals in ms between listed beats that follow each other without a gap.

    The interval before beat *i* is kept when the rate it implies, 60 / dt, agrees with the
    beat's exported rate within ``BPM_QUANTUM + bpm² × resolution / 60`` (the whole-number rate,
    plus the rate error of a dt known to ± one time step). A beat after a gap fails this by far:
    one missing beat halves the implied rate.

    Returns
    -------
    rr_ms : numpy.ndarray
        The kept intervals, in ms.
    n_gaps : int
        Intervals left out.
    gap_s : float
        Time the left-out intervals span beyond one beat each.

    >>> import numpy as np
    >>> t = np.array([0.0, 0.8, 1.6, 4.0, 4.8])
    >>> beat_intervals(t, np.array([75.0, 75, 75, 75, 75]), 0.01)
    (array([800., 800., 800.]), 1, 1.6)
    """
    dt = np.diff(times_s)
    rate = bpm[1:]
    implied = np.divide(60.0, dt, out=np.zeros_like(dt), where=dt > 0)
    tolerance = BPM_QUANTUM + rate**2 * resolution_s / 60.0
    kept = (dt > 0) & (np.abs(implied - rate) <= tolerance)
    gap_s = float(np.sum(np.maximum(dt[~kept] - 60.0 / np.maximum(rate[~kept], 1.0), 0.0)))
    return np.round(dt[kept] * 1000.0, 6), int((~kept).sum()), round(gap_s, 6)


@dataclass
class _Series:
    """A beat series as read from one Record."""

    ordinal: int
    start_text: str
    start: datetime | None
    end: datetime | None
    device: str
    attributes: dict[str, str]
    beats: list[tuple[str, str]]


@dataclass(frozen=True)
class _Summary:
    """What ``vagus info`` lists of a series; its beats are not kept."""

    ordinal: int
    start_text: str
    start: datetime | None
    end: datetime | None
    device: str
    n_beats: int


def unzipped_limit(packed_bytes: int) -> int:
    """Most bytes an export.xml packed into ``packed_bytes`` may unpack to.

    >>> unzipped_limit(512 * 1024) == MIN_UNZIPPED_LIMIT_BYTES
    True
    >>> unzipped_limit(10 * 1024**2) // 1024**2
    1000
    """
    return min(MAX_UNZIPPED_BYTES, max(MIN_UNZIPPED_LIMIT_BYTES, MAX_ZIP_RATIO * packed_bytes))


def _too_big(source: str, member: str, limit: int, packed: int) -> FormatError:
    return FormatError(
        f"{source}: {member} unpacks to more than {limit // 1024**2} MB from "
        f"{max(packed, 1) / 1024**2:.1f} MB packed; a real Apple Health export packs about 20 "
        f"times, so this archive is refused as a zip bomb"
    )


def _chunks(stream: IO[bytes], limit: int | None, too_big: FormatError | None) -> Iterator[bytes]:
    """The stream's bytes in chunks, counted: ``too_big`` is raised once more than ``limit``
    bytes came out (a zip member whose header understates its size)."""
    total = 0
    while chunk := stream.read(READ_CHUNK_BYTES):
        total += len(chunk)
        if limit is not None and too_big is not None and total > limit:
            raise too_big
        yield chunk


@contextmanager
def _open_export(path: Path, source: str) -> Iterator[Iterator[bytes]]:
    """The export.xml bytes of a file or of an export.zip, in chunks (a zip's capped)."""
    with path.open("rb") as probe:
        is_zip = probe.read(4) == b"PK\x03\x04"
    if not is_zip:
        with path.open("rb") as stream:
            yield _chunks(stream, None, None)
        return
    member = zip_member(path)
    if member is None:
        raise FormatError(
            f"{source}: a zip archive without an Apple Health export.xml "
            f"(expected apple_health_export/export.xml)"
        )
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
        packed = min(info.compress_size, path.stat().st_size)
        limit = unzipped_limit(packed)
        too_big = _too_big(source, member, limit, packed)
        if info.file_size > limit:  # as declared: refused before a byte is unpacked
            raise too_big
        with archive.open(member) as stream:
            yield _chunks(stream, limit, too_big)


class _ExportTarget:
    """XML parser target that keeps what the reader needs and nothing else: the attributes of
    the ``Record`` being read and its beats. No tree is built, and the target has no ``data``
    method, so the parser drops character data (in an export, only whitespace between
    elements) without calling back: memory stays bounded by one Record (at most
    :data:`MAX_BEATS_PER_RECORD` beats)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.depth = 0
        self.ordinal = 0
        self.record: dict[str, str] | None = None
        self.record_depth = 0
        self.beats: list[tuple[str, str]] = []
        self.finished: list[_Series] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            if tag != ROOT_TAG:
                raise FormatError(
                    f"{self.source}: an XML file whose root is <{shorten(tag)}>; expected an "
                    f"Apple Health export (<{ROOT_TAG}>)"
                )
        elif tag == "Record" and self.record is None:
            self.record = dict(attrib)
            self.record_depth = self.depth
            self.beats = []
        elif tag == BEAT_TAG and self.record is not None:
            if len(self.beats) >= MAX_BEATS_PER_RECORD:
                raise FormatError(
                    f"{self.source}, heart-rate-variability record starting "
                    f"{shorten(self.record.get('startDate', '')) or '?'} (series "
                    f"{self.ordinal + 1} in file order): more than {MAX_BEATS_PER_RECORD} beats; "
                    f"an Apple Watch record lists about a minute of beats, so the export is "
                    f"damaged or was not written by Apple Health"
                )
            self.beats.append((attrib.get("time", ""), attrib.get("bpm", "")))

    def end(self, tag: str) -> None:
        if self.record is not None and self.depth == self.record_depth:
            if self.beats:
                self.ordinal += 1
                self.finished.append(_series(self.record, self.ordinal, self.beats))
            self.record = None
            self.beats = []
        self.depth -= 1

    def close(self) -> None:
        return None


def _iter_series(path: Path, source: str) -> Iterator[_Series]:
    """Every Record with beats, in file order; memory stays bounded by one Record."""
    target = _ExportTarget(source)
    parser = ET.XMLParser(target=target)
    try:
        with _open_export(path, source) as chunks:
            for chunk in chunks:
                parser.feed(chunk)
                yield from target.finished
                target.finished.clear()
            parser.close()
            yield from target.finished
            target.finished.clear()
    except ET.ParseError as error:
        line, column = error.position
        raise FormatError(
            f"{source}, line {line}, column {column}: the XML is broken or ends early "
            f"({str(error).split(':')[0]}); expected a complete Apple Health export"
        ) from None
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError) as error:
        raise FormatError(f"{source}: the zip archive is damaged ({error})") from None
    except (NotImplementedError, RuntimeError) as error:
        # zipfile's words for an unknown compression method or flag, and for encryption.
        raise FormatError(
            f"{source}: the zip archive cannot be unpacked ({error}); unzip it and give the "
            f"export.xml inside"
        ) from None
    except OSError as error:
        raise FormatError(f"{source}: cannot be read ({error.strerror or error})") from None


def _series(attrib: dict[str, str], ordinal: int, beats: list[tuple[str, str]]) -> _Series:
    start_text = attrib.get("startDate", "")
    device = attrib.get("sourceName", "") or ""
    attributes = {
        key: value
        for key, value in attrib.items()
        if key in {"type", "sourceName", "sourceVersion", "device", "unit", "value", "startDate"}
    }
    return _Series(
        ordinal,
        start_text,
        _parse_date(start_text),
        _parse_date(attrib.get("endDate", "")),
        device,
        attributes,
        beats,
    )


def _parse_date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), _START_FORMAT)
    except ValueError:
        return None


def _rr_of(series: _Series, source: str) -> tuple[FloatArray, int, float, float]:
    """RR intervals of a series: (rr_ms, n_gaps, gap_s, time resolution in s)."""
    where = f"{source}, heart-rate-variability record starting {series.start_text or '?'}"
    times = np.empty(len(series.beats), dtype=np.float64)
    rates = np.empty(len(series.beats), dtype=np.float64)
    decimals = 0
    for position, (time_text, bpm_text) in enumerate(series.beats):
        try:
            times[position], places = parse_beat_time(time_text)
        except ValueError:
            raise FormatError(
                f"{where}, beat {position + 1}: time {shorten(time_text)!r} is not a time of "
                f"day; expected e.g. 08:33:44,67 or 6:14:48.94 PM"
            ) from None
        decimals = max(decimals, places)
        try:
            rates[position] = float(bpm_text)
        except ValueError:
            rates[position] = float("nan")
        if not np.isfinite(rates[position]) or rates[position] <= 0:
            raise FormatError(
                f"{where}, beat {position + 1}: bpm {shorten(bpm_text)!r}; expected a positive "
                f"number of beats per minute"
            )
    # Beat times are times of day: a series that runs past midnight starts again from 0.
    steps = np.diff(times)
    times[1:] += np.cumsum(np.where(steps < -HALF_DAY_S, SECONDS_PER_DAY, 0.0))
    resolution_s = 10.0 ** (-decimals) if decimals else 1.0
    rr_ms, n_gaps, gap_s = beat_intervals(times, rates, resolution_s)
    return rr_ms, n_gaps, gap_s, resolution_s


def read_apple(path: Path, *, channel: str | None) -> Recording:
    """Read one beat series of an Apple Health export (the latest, or ``series:N``)."""
    source = str(path)
    check_file(path)
    wanted = _wanted_series(channel, source)
    summaries: list[_Summary] = []
    latest: _Series | None = None
    for series in _iter_series(path, source):
        summaries.append(
            _Summary(
                series.ordinal,
                series.start_text,
                series.start,
                series.end,
                series.device,
                len(series.beats),
            )
        )
        if len(series.beats) >= 2 and (latest is None or _later(series, latest)):
            latest = series
    if not summaries:
        raise FormatError(
            f"{source}: the Apple Health export holds no heartbeat series (heart-rate-variability "
            f"records with beat-to-beat readings, which an Apple Watch records)"
        )
    ordered = sorted(summaries, key=_time_key)
    infos = tuple(
        SeriesInfo(index, item.start, item.end, item.n_beats, item.device)
        for index, item in enumerate(ordered, start=1)
    )
    if wanted is None:
        if latest is None:
            raise FormatError(
                f"{source}: every heartbeat series in the export has fewer than two beats"
            )
        chosen = latest
    else:
        if wanted > len(ordered):
            raise FormatError(
                f"{source}: there is no series:{wanted}; the export holds {len(ordered)} "
                f"heartbeat series (series:1 to series:{len(ordered)}, oldest first)"
            )
        ordinal = ordered[wanted - 1].ordinal
        if latest is not None and latest.ordinal == ordinal:
            chosen = latest
        else:
            chosen = next(s for s in _iter_series(path, source) if s.ordinal == ordinal)
    index = next(
        info.index
        for info, item in zip(infos, ordered, strict=True)
        if item.ordinal == chosen.ordinal
    )
    rr_ms, n_gaps, gap_s, resolution_s = _rr_of(chosen, source)
    if rr_ms.size == 0:
        raise FormatError(
            f"{source}, series:{index} (starting {chosen.start_text}): no two beats follow each "
            f"other without a gap, so it holds no RR intervals"
        )
    metadata = _metadata(chosen, resolution_s)
    warnings: list[str] = [
        Notice(
            "formats.apple.resolution",
            f"Apple Health exports beat times to {resolution_s * 1000:g} ms, so these RR "
            f"intervals are {resolution_s * 1000:g} ms coarse; RMSSD and pNN50 are less precise "
            f"than from a chest strap",
            resolution_ms=float(resolution_s * 1000),
        )
    ]
    if n_gaps:
        warnings.append(
            Notice(
                "formats.apple.gaps",
                f"{n_gaps} gap(s) in the beat list ({gap_s:.1f} s of beats the watch left out); "
                f"the intervals across them are dropped and the pieces joined",
                n_gaps=int(n_gaps),
                gap_s=float(gap_s),
            )
        )
    if wanted is None and len(infos) > 1:
        warnings.append(
            Notice(
                "formats.apple.many_series",
                f"the export holds {len(infos)} heartbeat series; this is the latest, "
                f"series:{index} (choose another with --channel series:N; vagus info lists them)",
                n_series=len(infos),
                index=str(index),
            )
        )
    return Recording(
        source,
        "apple-health",
        "rr",
        rr_ms,
        None,
        None,
        f"{SERIES_PREFIX}{index}",
        chosen.start,
        metadata,
        warnings,
        series=infos,
    )


def _wanted_series(channel: str | None, source: str) -> int | None:
    if channel is None or channel.strip().lower() in {"", "latest", f"{SERIES_PREFIX}latest"}:
        return None
    text = channel.strip().lower()
    number = text.removeprefix(SERIES_PREFIX)
    if not number.isdigit() or int(number) < 1:
        raise FormatError(
            f"{source}: channel {channel!r} does not name a series; expected series:N (1 is the "
            f"oldest; vagus info lists them) or latest"
        )
    return int(number)


def _time_key(series: _Series | _Summary) -> tuple[float, int]:
    stamp = series.start.timestamp() if series.start is not None else float("-inf")
    return stamp, series.ordinal


def _later(candidate: _Series, current: _Series) -> bool:
    return _time_key(candidate) >= _time_key(current)


def _metadata(series: _Series, resolution_s: float) -> dict[str, str]:
    attributes = series.attributes
    metadata = {"record_type": attributes.get("type", ""), "source": series.device}
    for key, value in _DEVICE_FIELD.findall(attributes.get("device", "")):
        metadata[f"device_{key}"] = value.strip()
    if attributes.get("value"):
        metadata["apple_sdnn"] = f"{attributes['value']} {attributes.get('unit', '')}".strip()
    metadata["beats_listed"] = str(len(series.beats))
    metadata["time_resolution"] = f"{resolution_s * 1000:g} ms"
    return {key: value for key, value in metadata.items() if value}
