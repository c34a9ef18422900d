"""Recordings: reading any supported file, analysing it, and a stored measurement with what
its page shows (NN series, spectrum, the index table), plus the resting trends."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from vagus.app.errors import AppError, NotFoundError
from vagus.errors import UserError
from vagus.formats import Recording, load
from vagus.hrv._notices import Notice, as_notice, notice_from_json, notice_text, notice_to_json
from vagus.program import CHECKIN_FIELDS, Lang, unit_label

if TYPE_CHECKING:
    from vagus.app._core import App
    from vagus.hrv import HrvReport, Method, Unit

#: Largest upload read, in bytes: an Apple Health export of several years is a few hundred MB.
MAX_UPLOAD_BYTES: Final = 512 * 1024 * 1024
#: Bytes of an upload read or written at a time: an upload is never held whole in memory.
UPLOAD_CHUNK_BYTES: Final = 1024 * 1024
#: Longest name of an uploaded file, in UTF-8 bytes (the limit of most file systems).
MAX_UPLOAD_NAME_BYTES: Final = 255
#: Longest an upload's reading and analysis may take, in seconds, before the server stops
#: waiting for it (issue 11: a crafted file froze the server for 33 s). An Apple Health export
#: of several years reads in well under this.
UPLOAD_TIME_LIMIT_S: Final = 60.0
#: Uploads analysed at once; more are refused as busy, so crafted files cannot take every
#: worker thread.
MAX_CONCURRENT_UPLOADS: Final = 2
#: Fewest beats for which the measurement's NN series (for its plots) is computed.
MIN_NN_FOR_PLOTS: Final = 3
#: The spectrum is drawn from one minute of beats (the shortest window the HF band is
#: computed from; Task Force 1996).
MIN_SPECTRUM_MS: Final = 60_000.0
MIN_SPECTRUM_BEATS: Final = 30
#: Tags of recordings made during an exercise: not resting, so not in the resting trends.
NOT_RESTING_TAGS: Final = frozenset({"session", "web"})


class UploadTooLargeError(AppError):
    """An upload larger than :data:`MAX_UPLOAD_BYTES` (the web answers 413)."""


class UploadBusyError(AppError):
    """:data:`MAX_CONCURRENT_UPLOADS` uploads are being analysed already (the web answers 503)."""


class UploadCancelledError(AppError):
    """The face stopped waiting for an upload's analysis (its time limit passed)."""


def too_large_error() -> UploadTooLargeError:
    """The error of an upload over :data:`MAX_UPLOAD_BYTES`."""
    return UploadTooLargeError(
        f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MB",
        "file",
        key="errors.file_too_large",
        mb=MAX_UPLOAD_BYTES // 2**20,
    )


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name, checked: its last part (a browser may send a path), not
    empty, ``.`` or ``..``, no control characters (NUL), at most 255 bytes in UTF-8.

    >>> upload_name("../../etc/rr.txt"), upload_name(None)
    ('rr.txt', 'upload.txt')
    >>> upload_name("..")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vagus.app.errors.AppError: file: the file name '..' is not a file name; expected ...
    """
    if not filename:
        return "upload.txt"
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    shown = repr(name if len(name) <= 40 else name[:37] + "...")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise AppError(
            f"file: the file name {shown} holds a control character (such as NUL); expected a "
            f"plain file name such as rr.txt",
            "file",
        )
    if name in {"", ".", ".."}:
        raise AppError(
            f"file: the file name {shown} is not a file name; expected a plain file name such "
            f"as rr.txt",
            "file",
        )
    if len(name.encode("utf-8", "surrogatepass")) > MAX_UPLOAD_NAME_BYTES:
        raise AppError(
            f"file: the file name {shown} is longer than {MAX_UPLOAD_NAME_BYTES} bytes; "
            f"expected a shorter file name",
            "file",
        )
    return name


def _safe_suffix(name: str) -> str:
    """The name's suffix when it is short letters and digits, else ``.txt``.

    >>> _safe_suffix("x.EDF"), _safe_suffix("x.a:b")
    ('.edf', '.txt')
    """
    suffix = PurePath(name).suffix.lower()
    return (
        suffix
        if 1 < len(suffix) <= 10 and suffix[1:].isascii() and suffix[1:].isalnum()
        else ".txt"
    )


def _named(text: str, path: Path, name: str) -> str:
    """``text`` with the temporary path (and its folder) replaced by the upload's own name."""
    folder = str(path.parent)
    if folder not in text:
        return text
    replaced = text.replace(str(path), name).replace(folder, ".")
    if isinstance(text, Notice):
        fields = {
            key: _named(value, path, name) if isinstance(value, str) else value
            for key, value in text.fields.items()
        }
        return Notice(text.code, replaced, **fields)
    return replaced


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
        self._upload_slots = threading.BoundedSemaphore(MAX_CONCURRENT_UPLOADS)

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

    def analyze_upload(
        self,
        filename: str | None,
        data: bytes | Iterable[bytes],
        *,
        cancel: threading.Event | None = None,
    ) -> HrvReport:
        """Analyse an uploaded recording of any format ``vagus.formats`` reads.

        ``data`` is the file's bytes, or (so that no face holds a large file in memory) its
        chunks: they are written to a private temporary folder as they come, counted, and
        refused (:class:`UploadTooLargeError`) past :data:`MAX_UPLOAD_BYTES`. The file keeps
        its own name (checked by :func:`upload_name`; the name helps EDF, WFDB, zip files and
        Elite HRV's named exports) and is deleted afterwards; nothing is stored. An error names
        the file by that name, never by the temporary path. At most
        :data:`MAX_CONCURRENT_UPLOADS` run at once (:class:`UploadBusyError`); ``cancel``, set
        by a face that stopped waiting, ends the work at the next chunk or step.
        """
        name = upload_name(filename)
        chunks: Iterable[bytes] = [data] if isinstance(data, bytes) else data
        if not self._upload_slots.acquire(blocking=False):
            raise UploadBusyError(
                f"file: the server is analysing {MAX_CONCURRENT_UPLOADS} other uploads; try "
                f"again in a minute",
                "file",
            )
        try:
            with tempfile.TemporaryDirectory(prefix="vagus-upload-") as folder:
                path = self._write_upload(Path(folder), name, chunks, cancel)
                if cancel is not None and cancel.is_set():
                    raise UploadCancelledError("file: the analysis was stopped", "file")
                try:
                    report = self.analyze_file(path)
                except UserError as error:
                    error.args = (_named(str(error), path, name), *error.args[1:])
                    error.fields = {
                        key: _named(value, path, name) if isinstance(value, str) else value
                        for key, value in error.fields.items()
                    }
                    raise
                return replace(report, warnings=[_named(w, path, name) for w in report.warnings])
        finally:
            self._upload_slots.release()

    @staticmethod
    def _write_upload(
        folder: Path, name: str, chunks: Iterable[bytes], cancel: threading.Event | None
    ) -> Path:
        """Write the chunks to ``folder``, counted; the path written."""
        path = folder / name
        try:
            out = path.open("xb")
        except OSError:
            # A name this file system does not take (Windows: ``:``, ``CON``): a fixed name
            # with the suffix kept.
            path = folder / ("upload" + _safe_suffix(name))
            out = path.open("xb")
        total = 0
        with out:
            for chunk in chunks:
                total += len(chunk)
                if total > MAX_UPLOAD_BYTES:
                    raise too_large_error()
                if cancel is not None and cancel.is_set():
                    raise UploadCancelledError("file: the upload was stopped", "file")
                out.write(chunk)
        if total == 0:
            raise AppError("file: the file is empty", "file", key="errors.file_empty")
        return path

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
