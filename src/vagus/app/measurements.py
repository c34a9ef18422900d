"""Recordings: reading any supported file, analysing it, and a stored measurement with what
its page shows (NN series, spectrum, the index table), plus the resting trends."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from vagus.app.errors import AppError, NotFoundError
from vagus.formats import Recording, load
from vagus.hrv._notices import as_notice, notice_from_json, notice_text, notice_to_json
from vagus.program import CHECKIN_FIELDS, Lang, unit_label

if TYPE_CHECKING:
    from vagus.app._core import App
    from vagus.hrv import HrvReport, Method, Unit

#: Largest upload read, in bytes: an Apple Health export of several years is a few hundred MB.
MAX_UPLOAD_BYTES: Final = 512 * 1024 * 1024
#: Fewest beats for which the measurement's NN series (for its plots) is computed.
MIN_NN_FOR_PLOTS: Final = 3
#: The spectrum is drawn from one minute of beats (the shortest window the HF band is
#: computed from; Task Force 1996).
MIN_SPECTRUM_MS: Final = 60_000.0
MIN_SPECTRUM_BEATS: Final = 30
#: Tags of recordings made during an exercise: not resting, so not in the resting trends.
NOT_RESTING_TAGS: Final = frozenset({"session", "web"})


def index_rows(indices: Mapping[str, float | None], lang: Lang) -> list[dict[str, Any]]:
    """One row per registered index (``vagus.hrv.INDICES``): name, label, domain, value, unit,
    one-line meaning and reference, in the registry's order."""
    from vagus.hrv import INDICES

    return [
        {
            "name": index.name,
            "label": index.label,
            "domain": index.domain,
            "value": indices.get(index.name),
            "unit": index.unit,
            "unit_label": unit_label(index.unit, lang),
            "meaning": index.meaning(lang),
            "reference": index.reference,
        }
        for index in INDICES
    ]


def warning_text(warning: str, lang: Lang) -> str:
    """A warning of an analysis (``HrvReport.warnings``, a file's warnings) in ``lang``, its
    numbers formatted for that language; a warning without a notice code stays English."""
    return notice_text(warning, lang)


def notices_json(warnings: Iterable[str], lang: Lang) -> list[dict[str, str]]:
    """The warnings for a person: ``[{"code", "message"}]``, the message in ``lang`` (the
    English ``warnings`` of the analysis stay as they are)."""
    return [
        {"code": as_notice(warning).code, "message": notice_text(warning, lang)}
        for warning in warnings
    ]


def analysis_to_store(report: HrvReport) -> dict[str, Any]:
    """The analysis a measurement stores: ``vagus hrv --json`` plus ``notices`` (each warning's
    code and fields), so its page can show the warnings in either language later."""
    return report.to_dict() | {"notices": [notice_to_json(n) for n in report.notices]}


def stored_warnings(analysis: object) -> list[str]:
    """The warnings of a stored analysis, as notices where it stored them (older ones, and
    analyses stored without ``notices``, give their English text)."""
    if not isinstance(analysis, Mapping):
        return []
    stored = analysis.get("notices")
    if isinstance(stored, list) and all(isinstance(item, Mapping) for item in stored):
        return [notice_from_json(item) for item in stored]
    warnings = analysis.get("warnings")
    return [str(w) for w in warnings] if isinstance(warnings, list) else []


def report_json(report: HrvReport, lang: Lang) -> dict[str, Any]:
    """The analysis (the shape of ``vagus hrv --json``), the NN series, the index table and
    the warnings in ``lang`` (``notices``)."""
    out = report.to_dict()
    out["nn_ms"] = [float(x) for x in report.nn_ms]
    out["table"] = index_rows(report.indices, lang)
    out["notices"] = notices_json(report.warnings, lang)
    return out


def is_resting(entry: Mapping[str, Any]) -> bool:
    """A measurement made outside an exercise (morning, ``vagus measure``, the rests before
    and after a session), the kind whose trend means something day to day."""
    return not NOT_RESTING_TAGS & set(entry.get("tags") or ())


@dataclass(frozen=True)
class Spectrum:
    """The Welch spectrum of an NN series (Hz, ms²/Hz)."""

    freqs_hz: list[float]
    psd_ms2_per_hz: list[float]


def spectrum_of(nn_ms: list[float]) -> Spectrum | None:
    """The spectrum, from one minute of beats; None when shorter."""
    if len(nn_ms) < MIN_SPECTRUM_BEATS or sum(nn_ms) < MIN_SPECTRUM_MS:
        return None
    from vagus.hrv import power_spectrum

    freqs, psd = power_spectrum(np.asarray(nn_ms, dtype=np.float64))
    return Spectrum([float(f) for f in freqs], [float(p) for p in psd])


class MeasurementService:
    def __init__(self, app: App) -> None:
        self._app = app

    def load_recording(
        self,
        path: str | Path,
        *,
        unit: Unit | None = None,
        column: str | None = None,
        channel: str | None = None,
        format: str | None = None,
    ) -> Recording:
        """Read any supported file (format detected by content; RrDataError when bad)."""
        return load(path, format=format, unit=unit, column=column, channel=channel)

    def analyze_file(
        self,
        path: str | Path,
        *,
        method: Method = "welch",
        correct: bool = True,
        unit: Unit | None = None,
        column: str | None = None,
        channel: str | None = None,
        format: str | None = None,
    ) -> HrvReport:
        """Read a recording of any supported format, find its beats and analyse them.

        The file's own warnings (PPG is pulse-rate variability, gaps, ...) come first in the
        report's warnings.
        """
        recording = self.load_recording(
            path, unit=unit, column=column, channel=channel, format=format
        )
        rr, file_warnings = recording.beats()
        from vagus.hrv import analyze  # scipy loads here, not when the CLI starts

        report = analyze(rr, method=method, correct=correct)
        return replace(report, warnings=[*file_warnings, *report.warnings])

    def analyze_upload(self, filename: str, data: bytes) -> HrvReport:
        """Analyse an uploaded recording of any format ``vagus.formats`` reads.

        The bytes go to a private temporary folder under their own base name (the name's suffix
        helps EDF, WFDB and zip files) and are deleted afterwards; nothing is stored.
        """
        if len(data) > MAX_UPLOAD_BYTES:
            raise AppError(
                f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MB",
                "file",
                key="errors.file_too_large",
                mb=MAX_UPLOAD_BYTES // 2**20,
            )
        if not data:
            raise AppError("file: the file is empty", "file", key="errors.file_empty")
        name = PurePath(filename or "upload.txt").name or "upload.txt"
        with tempfile.TemporaryDirectory(prefix="vagus-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            return self.analyze_file(path)

    def get(self, recording_id: int, lang: Lang) -> dict[str, Any]:
        """One stored measurement: the entry with its stored analysis, its RR, the NN series
        the analysis was computed from (for the plots), the index table, the spectrum and the
        analysis's warnings in ``lang`` (``notices``)."""
        journal = self._app.journal
        try:
            entry = journal.recording(recording_id)
        except ValueError:  # the journal's error for an unknown id
            raise NotFoundError(f"id: no measurement {recording_id}", "id") from None
        rr = journal.recording_rr(recording_id)
        analysis = entry.get("analysis")
        indices = analysis.get("indices", {}) if isinstance(analysis, Mapping) else {}
        nn: list[float] | None = None
        if len(rr) >= MIN_NN_FOR_PLOTS:
            from vagus.hrv import correct_rr

            with suppress(ValueError):
                corrected, _ = correct_rr(np.asarray(rr, dtype=np.float64))
                nn = [float(x) for x in corrected]
        spectrum = spectrum_of(nn if nn is not None else rr)
        return entry | {
            "rr_ms": rr,
            "nn_ms": nn,
            "table": index_rows(indices, lang),
            "notices": notices_json(stored_warnings(analysis), lang),
            "spectrum": None
            if spectrum is None
            else {"freqs_hz": spectrum.freqs_hz, "psd_ms2_per_hz": spectrum.psd_ms2_per_hz},
        }

    def trends(self) -> dict[str, Any]:
        """Series for the history charts, oldest first: ``ln_rmssd`` and ``resting_hr`` (one
        point per resting measurement with an analysis: ``{"at", "value", "id"}``) and
        ``symptoms`` (per check-in field, ``{"at", "value"}``)."""
        journal = self._app.journal
        ln_rmssd: list[dict[str, Any]] = []
        resting_hr: list[dict[str, Any]] = []
        for entry in reversed(journal.history(types=["measurement"])):
            analysis = entry.get("analysis")
            if not is_resting(entry) or not isinstance(analysis, Mapping):
                continue
            indices = analysis.get("indices", {})
            at = entry["started_at"]
            if indices.get("ln_rmssd") is not None:
                ln_rmssd.append({"at": at, "value": indices["ln_rmssd"], "id": entry["id"]})
            if indices.get("mean_hr") is not None:
                resting_hr.append({"at": at, "value": indices["mean_hr"], "id": entry["id"]})
        checkins = list(reversed(journal.history(types=["checkin"])))
        symptoms = {
            name: [{"at": c["started_at"], "value": c[name]} for c in checkins]
            for name in CHECKIN_FIELDS
        }
        return {"ln_rmssd": ln_rmssd, "resting_hr": resting_hr, "symptoms": symptoms}
