"""Fixture writers for the format tests, imported by them as ``format_writers``.

Every file is made by the format's own writer library where one exists:

- FIT: fit-tool (``fit_tool``), including ``HrvMessage``; values are the FIT SDK's ``hrv.time``
  (uint16, scale 1000, s), so the round trip is exact to 1 ms.
- EDF/BDF: pyedflib's ``highlevel.write_edf``.
- WFDB: ``wfdb.wrsamp`` and ``wfdb.wrann``.
- Apple Health: written as text in the layout of the export's own DTD (see
  ``vagus.formats._apple``), since no writer library exists.
- Text exports: written as text in each app's layout (see ``vagus.formats._text``).

Synthetic series use fixed seeds.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from vagus.hrv._types import FloatArray

APPLE_DTD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate value CDATA #REQUIRED>
<!ELEMENT Me EMPTY>
<!ATTLIST Me HKCharacteristicTypeIdentifierDateOfBirth CDATA #REQUIRED>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record type CDATA #REQUIRED unit CDATA #IMPLIED value CDATA #IMPLIED
  sourceName CDATA #REQUIRED sourceVersion CDATA #IMPLIED device CDATA #IMPLIED
  creationDate CDATA #IMPLIED startDate CDATA #REQUIRED endDate CDATA #REQUIRED>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry key CDATA #REQUIRED value CDATA #REQUIRED>
<!-- Note: Heart Rate Variability records captured by Apple Watch may include an associated
list of instantaneous beats-per-minute readings. -->
<!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
<!ELEMENT InstantaneousBeatsPerMinute EMPTY>
<!ATTLIST InstantaneousBeatsPerMinute bpm CDATA #REQUIRED time CDATA #REQUIRED>
]>
<HealthData locale="nb_NO">
 <ExportDate value="2026-05-02 09:00:00 +0200"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1980-01-01"/>
"""
APPLE_DEVICE = (
    "&lt;&lt;HKDevice: 0x283336ee0&gt;, name:Apple Watch, manufacturer:Apple Inc., "
    "model:Watch, hardware:Watch6,2, software:10.1&gt;"
)


def synthetic_rr(n: int = 300, seed: int = 7, *, step_ms: float = 1.0) -> FloatArray:
    """RR intervals in ms: 850 ms, breathing at 0.25 Hz (40 ms), noise; rounded to ``step_ms``."""
    rng = np.random.default_rng(seed)
    beat = np.arange(n)
    rr = 850.0 + 40.0 * np.sin(2 * np.pi * 0.25 * beat * 0.85) + rng.normal(0.0, 15.0, n)
    return np.round(rr / step_ms) * step_ms


#: Seconds of ECG before the first beat: beat detectors learn their thresholds from the first
#: 2 s (sleepecg's learning phase), so the first beat comes after that.
ECG_LEAD_IN_S = 3.0


def synthetic_ecg(rr_ms: FloatArray, fs_hz: float, seed: int = 3) -> tuple[FloatArray, FloatArray]:
    """A simple ECG in mV: a QRS-like Gaussian (1 mV, 10 ms wide) at each beat, a T wave and
    noise; returns (signal, beat sample positions). The first beat is at 3 s."""
    beats_s = ECG_LEAD_IN_S + np.concatenate(([0.0], np.cumsum(rr_ms) / 1000.0))
    n = math.ceil((beats_s[-1] + 1.0) * fs_hz)
    t = np.arange(n) / fs_hz
    signal = np.zeros(n)
    for beat in beats_s:
        near = np.abs(t - beat) < 0.2
        signal[near] += np.exp(-0.5 * ((t[near] - beat) / 0.010) ** 2)
        tw = np.abs(t - beat - 0.25) < 0.3
        signal[tw] += 0.25 * np.exp(-0.5 * ((t[tw] - beat - 0.25) / 0.04) ** 2)
    signal += np.random.default_rng(seed).normal(0.0, 0.01, n)
    return signal, beats_s * fs_hz


def write_fit(
    path: Path,
    rr_ms: Sequence[float] | None,
    *,
    heart_rates: Sequence[int] = (70, 71, 72),
    start: datetime = datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
    per_message: int = 5,
) -> Path:
    """A FIT activity file with ``file_id``, ``record`` heart rate and ``hrv`` messages."""
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.hrv_message import HrvMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.profile_type import FileType, Manufacturer

    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.GARMIN.value
    file_id.product = 1
    file_id.serial_number = 123456
    millis = round(start.timestamp()) * 1000
    file_id.time_created = millis
    builder.add(file_id)
    for second, rate in enumerate(heart_rates):
        record = RecordMessage()
        record.timestamp = millis + 1000 * second
        record.heart_rate = rate
        builder.add(record)
    if rr_ms is not None:
        values = [value / 1000.0 for value in rr_ms]
        for first in range(0, len(values), per_message):
            chunk: list[float | None] = list(values[first : first + per_message])
            # Unused slots hold the invalid value 0xFFFF, as Garmin devices write them.
            chunk += [None] * (per_message - len(chunk))
            message = HrvMessage()
            message.time = chunk
            builder.add(message)
    builder.build().to_file(str(path))
    return path


def write_edf(
    path: Path,
    channels: dict[str, FloatArray],
    fs_hz: float,
    *,
    dimension: str = "mV",
    file_type: int = -1,
    start: datetime = datetime(2026, 5, 1, 7, 30, 0),
) -> Path:
    """An EDF (or BDF with ``file_type=2``) file with the given channels, via pyedflib."""
    import pyedflib
    from pyedflib import highlevel

    headers = []
    for label, signal in channels.items():
        low, high = float(np.min(signal)), float(np.max(signal))
        margin = max(high - low, 1.0) * 0.1
        headers.append(
            highlevel.make_signal_header(
                label,
                dimension=dimension,
                sample_frequency=fs_hz,
                physical_min=round(low - margin, 3),
                physical_max=round(high + margin, 3),
                digital_min=-8388608 if file_type in (2, 3) else -32768,
                digital_max=8388607 if file_type in (2, 3) else 32767,
            )
        )
    header = highlevel.make_header(
        patientcode="S01", equipment="test ECG", technician="vagus", startdate=start
    )
    if file_type == -1:
        file_type = pyedflib.FILETYPE_EDFPLUS
    highlevel.write_edf(str(path), list(channels.values()), headers, header, file_type=file_type)
    return path


def write_wfdb(
    folder: Path,
    name: str,
    channels: dict[str, FloatArray],
    fs_hz: float,
    *,
    beats: Iterable[int] | None = None,
    symbols: Sequence[str] | None = None,
) -> Path:
    """A WFDB record (format 16) and, with ``beats``, an ``atr`` annotation file."""
    import wfdb

    signals = np.column_stack(list(channels.values()))
    wfdb.wrsamp(
        name,
        fs=fs_hz,
        units=["mV"] * signals.shape[1],
        sig_name=list(channels),
        p_signal=signals,
        fmt=["16"] * signals.shape[1],
        write_dir=str(folder),
        comments=["synthetic test record"],
    )
    if beats is not None:
        samples = np.asarray(list(beats), dtype=np.int64)
        labels = list(symbols) if symbols is not None else ["N"] * samples.size
        wfdb.wrann(name, "atr", samples, symbol=labels, write_dir=str(folder))
    return folder / name


@dataclass(frozen=True)
class AppleSeries:
    """One Apple Watch HRV record: beats at ``start`` + cumulative RR, some of them not listed."""

    start: datetime
    rr_ms: FloatArray
    omit: tuple[int, ...] = ()
    style: str = "24h-comma"

    def xml(self) -> str:
        beat_times = [self.start + timedelta(milliseconds=float(x)) for x in np.cumsum(self.rr_ms)]
        lines = []
        for index, (moment, rr) in enumerate(zip(beat_times, self.rr_ms, strict=True)):
            if index in self.omit:
                continue
            bpm = round(60000.0 / float(rr))
            time = apple_time(moment, self.style)
            lines.append(f'   <InstantaneousBeatsPerMinute bpm="{bpm}" time="{time}"/>')
        end = beat_times[-1]
        stamp = "%Y-%m-%d %H:%M:%S %z"
        return (
            f' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" '
            f'sourceName="Apple Watch" sourceVersion="10.1" device="{APPLE_DEVICE}" unit="ms" '
            f'creationDate="{end.strftime(stamp)}" startDate="{self.start.strftime(stamp)}" '
            f'endDate="{end.strftime(stamp)}" value="42.5">\n'
            f"  <HeartRateVariabilityMetadataList>\n" + "\n".join(lines) + "\n"
            "  </HeartRateVariabilityMetadataList>\n </Record>\n"
        )


def apple_time(moment: datetime, style: str) -> str:
    """A beat time as the export writes it, to 1/100 s, in one of three locale styles."""
    centi = round(moment.microsecond / 10000)
    whole = moment.replace(microsecond=0) + timedelta(seconds=centi // 100)
    centi %= 100
    if style == "24h-comma":
        return f"{whole:%H:%M:%S},{centi:02d}"
    hour12 = whole.hour % 12 or 12
    meridiem = "PM" if whole.hour >= 12 else "AM"
    space = "\u202f" if style == "12h-nnbsp" else " "
    return f"{hour12}:{whole:%M:%S}.{centi:02d}{space}{meridiem}"


def heart_rate_record(moment: datetime, rate: int) -> str:
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S %z")
    return (
        f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" '
        f'sourceVersion="10.1" device="{APPLE_DEVICE}" unit="count/min" creationDate="{stamp}" '
        f'startDate="{stamp}" endDate="{stamp}" value="{rate}">\n'
        f'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n </Record>\n'
    )


def write_apple(path: Path, series: Iterable[AppleSeries], *, filler: int = 3) -> Path:
    """An export.xml with heart-rate records around the HRV records (as real exports have)."""
    tz = datetime(2026, 5, 1, tzinfo=UTC).astimezone().tzinfo
    with path.open("w", encoding="utf-8") as out:
        out.write(APPLE_DTD)
        for number, item in enumerate(series):
            for k in range(filler):
                out.write(heart_rate_record(item.start + timedelta(seconds=k), 60 + number % 30))
            out.write(item.xml())
        out.write(heart_rate_record(datetime(2026, 5, 2, 8, 0, tzinfo=tz), 61))
        out.write("</HealthData>\n")
    return path


def zip_export(xml_path: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(xml_path, "apple_health_export/export.xml")
        archive.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
    return zip_path


#: Norwegian summer time, a fixed +02:00 offset for export timestamps.
OSLO_SUMMER = timezone(timedelta(hours=2))
