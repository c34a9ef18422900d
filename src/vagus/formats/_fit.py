"""Garmin FIT files: beat intervals from ``hrv`` messages, heart rate from ``record`` messages.

Layout (FIT SDK, "FIT Protocol", https://developer.garmin.com/fit/protocol/): a 12- or 14-byte
header whose bytes 8-11 are ``.FIT``, data records, and a 2-byte CRC. Decoding is fitdecode's,
with CRC checks on, so a corrupt or truncated file is refused rather than half read.

Messages used (FIT SDK ``Profile.xlsx``, Messages sheet, as generated into fitdecode's profile):

- ``hrv`` (global number 78): field ``time`` (0), an array of uint16 with scale 1000, units s:
  the beat intervals, written by Garmin watches when "Log HRV" is on. The invalid value 0xFFFF
  (decoded as ``None``) fills unused slots; zero also marks an empty slot (writers that pad the
  5-value array), since a zero-length beat interval does not exist.
- ``beat_intervals`` (290): field ``time`` (1), uint16 array in ms; read when a file has no
  ``hrv`` messages.
- ``record`` (20): ``heart_rate`` in bpm, once per second or so: kept for ``vagus info`` only,
  as it is too coarse for HRV.
- ``file_id`` (0), ``session`` (18): device, serial number, creation and start times.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Final

import fitdecode  # type: ignore[import-untyped]
import numpy as np

from vagus.formats._common import FormatError, check_file
from vagus.formats._recording import Recording
from vagus.hrv._notices import Notice

#: FIT file header: 12 or 14 bytes, with the ASCII ``.FIT`` at bytes 8-11 (FIT Protocol, "File
#: Header").
FIT_MAGIC: Final[bytes] = b".FIT"
FIT_HEADER_SIZES: Final[tuple[int, ...]] = (12, 14)
MS_PER_S: Final[float] = 1000.0


def is_fit(head: bytes) -> bool:
    """Whether the first bytes are a FIT file header.

    >>> is_fit(bytes([14, 16, 0, 0, 0, 0, 0, 0]) + b".FIT")
    True
    >>> is_fit(b"0       ")
    False
    """
    return len(head) >= 12 and head[0] in FIT_HEADER_SIZES and head[8:12] == FIT_MAGIC


def _values(value: object) -> Iterable[object]:
    """An array field as a sequence (fitdecode gives one-element arrays as scalars)."""
    if isinstance(value, tuple | list):
        return value
    return (value,)


def _valid_intervals(value: object, scale_to_ms: float) -> tuple[list[float], int]:
    kept: list[float] = []
    invalid = 0
    for item in _values(value):
        if isinstance(item, int | float) and item > 0:
            kept.append(float(item) * scale_to_ms)
        else:
            invalid += 1
    return kept, invalid


def read_fit(path: Path) -> Recording:
    """Read the beat intervals of a FIT file (see the module notes for the messages used)."""
    source = str(path)
    check_file(path)
    hrv_ms: list[float] = []
    beat_interval_ms: list[float] = []
    invalid = 0
    heart_rates: list[float] = []
    metadata: dict[str, str] = {}
    first_timestamp: datetime | None = None
    session_start: datetime | None = None
    created: datetime | None = None
    try:
        with fitdecode.FitReader(
            str(path),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.RAISE,
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                name = frame.name
                if name == "hrv" and frame.has_field("time"):
                    kept, bad = _valid_intervals(frame.get_value("time"), MS_PER_S)
                    hrv_ms.extend(kept)
                    invalid += bad
                elif name == "beat_intervals" and frame.has_field("time"):
                    kept, _ = _valid_intervals(frame.get_value("time"), 1.0)
                    beat_interval_ms.extend(kept)
                elif name == "record":
                    if frame.has_field("heart_rate"):
                        rate = frame.get_value("heart_rate")
                        if isinstance(rate, int | float):
                            heart_rates.append(float(rate))
                    if first_timestamp is None and frame.has_field("timestamp"):
                        stamp = frame.get_value("timestamp")
                        first_timestamp = stamp if isinstance(stamp, datetime) else None
                elif name == "file_id":
                    created = _file_id(frame, metadata)
                elif name == "session" and session_start is None:
                    session_start = _session(frame, metadata)
    except fitdecode.FitEOFError:
        raise FormatError(
            f"{source}: the FIT file ends before its header says it should (truncated or damaged)"
        ) from None
    except fitdecode.FitCRCError:
        raise FormatError(
            f"{source}: the FIT file's checksum does not match its content (the file is corrupt)"
        ) from None
    except fitdecode.FitHeaderError as error:
        raise FormatError(f"{source}: not a valid FIT file header ({error})") from None
    except OSError as error:
        raise FormatError(f"{source}: cannot be read ({error.strerror or error})") from None
    except Exception as error:
        # fitdecode raises assorted exception types (FitParseError, ValueError, KeyError,
        # struct.error, ...) on malformed records; every one of them means a broken file.
        raise FormatError(
            f"{source}: not a readable FIT file ({type(error).__name__}: {error})"
        ) from None

    if heart_rates:
        rates = np.asarray(heart_rates)
        metadata["record_heart_rate"] = (
            f"{rates.size} samples, mean {rates.mean():.0f} bpm "
            f"(min {rates.min():.0f}, max {rates.max():.0f})"
        )
    warnings: list[str] = []
    if hrv_ms:
        rr_ms = hrv_ms
        metadata["beats_from"] = "hrv messages"
        if invalid:
            metadata["invalid_hrv_slots"] = str(invalid)
        if beat_interval_ms:
            warnings.append(
                Notice(
                    "formats.fit.both_messages",
                    "the file also holds beat_intervals messages; the hrv messages are used",
                )
            )
    elif beat_interval_ms:
        rr_ms = beat_interval_ms
        metadata["beats_from"] = "beat_intervals messages"
    elif invalid:
        raise FormatError(
            f"{source}: the FIT file's hrv messages hold only invalid values ({invalid} empty "
            f"slots); the sensor sent no beat intervals"
        )
    else:
        hint = (
            f" (it has {len(heart_rates)} heart-rate samples, which are too coarse for HRV)"
            if heart_rates
            else ""
        )
        raise FormatError(
            f"{source}: the FIT file holds no beat intervals (no hrv messages){hint}; record with "
            f"the watch's 'Log HRV' data-recording setting on"
        )
    start = session_start or first_timestamp or created
    return Recording(
        source,
        "fit",
        "rr",
        np.asarray(rr_ms, dtype=np.float64),
        None,
        None,
        None,
        start,
        metadata,
        warnings,
    )


def _file_id(frame: fitdecode.FitDataMessage, metadata: dict[str, str]) -> datetime | None:
    for field in ("manufacturer", "garmin_product", "product", "serial_number", "type"):
        if field == "product" and "device_garmin_product" in metadata:
            continue  # the same number, named from Garmin's product list
        if frame.has_field(field):
            value = frame.get_value(field)
            if value is not None:
                metadata[f"device_{field}" if field != "type" else "file_type"] = str(value)
    created = frame.get_value("time_created") if frame.has_field("time_created") else None
    return created if isinstance(created, datetime) else None


def _session(frame: fitdecode.FitDataMessage, metadata: dict[str, str]) -> datetime | None:
    if frame.has_field("sport") and frame.get_value("sport") is not None:
        metadata["sport"] = str(frame.get_value("sport"))
    start = frame.get_value("start_time") if frame.has_field("start_time") else None
    return start if isinstance(start, datetime) else None
