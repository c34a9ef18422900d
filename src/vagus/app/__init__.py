"""The application layer: one :class:`App` (settings, journal, clock) with a service per resource.

Every rule a person meets lives here once, so the CLI and the web app cannot disagree. The
faces (``vagus.cli``, ``vagus.web``) import this package and the record types it exports,
nothing else of ours.

Services (``app.<name>``): ``prefs`` (language, pacer, the web's sensor), ``screening``,
``plan`` (today's plan, and the gate every session start passes), ``sessions``, ``checkins``
(with their warning signs and the red-flag state), ``measurements`` (files, stored recordings,
trends), ``live`` (sensors and recordings beat by beat), ``resonance``, ``transfer`` (history,
export, import, delete-all), ``insights`` (effects per exercise, the suggestion, morning
readiness, symptom trends; issue 13), ``report`` (the therapist's report).
"""

from __future__ import annotations

from importlib import import_module, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from vagus.app._core import App, build_app, utc_now
    from vagus.app.checkins import check_symptoms, known_symptoms, safety_out
    from vagus.app.errors import (
        AppError,
        BusyError,
        ConflictError,
        NotFoundError,
        RefusedError,
        UserError,
    )
    from vagus.app.live import (
        MIN_MEASUREMENT_S,
        MORNING_BEFORE_HOUR,
        BeatFeed,
        LiveRecording,
        PushFeed,
        RecordingKind,
    )
    from vagus.app.measurements import (
        MAX_UPLOAD_BYTES,
        Spectrum,
        index_rows,
        is_resting,
        notices_json,
        report_json,
        spectrum_of,
        warning_text,
    )
    from vagus.app.plan import Gate, today_overview
    from vagus.app.preferences import PACER_KEYS, Prefs
    from vagus.app.resonance import RESONANCE_RATES_BPM, Assessment, ResonanceResult
    from vagus.app.screening import check_exercise
    from vagus.app.sensors import SensorSpec
    from vagus.app.sessions import RESONANCE_EXHALE_RATIO, STEP_OUTCOMES, Pace, SessionRun
    from vagus.devices import Beat, SensorError
    from vagus.formats import FORMATS, write_beats_csv

# The names load on first use (PEP 562), as in vagus.hrv: a command takes what it needs, so
# `vagus hrv` does not load the journal (SQLAlchemy, Alembic) and `vagus --help` loads none of
# this (issue 12, "answer at once"; tests/cli/test_startup_imports.py keeps it so).
_LAZY: Final[dict[str, str]] = {
    "App": "vagus.app._core",
    "AppError": "vagus.app.errors",
    "Assessment": "vagus.app.resonance",
    "Beat": "vagus.devices",
    "BeatFeed": "vagus.app.live",
    "BusyError": "vagus.app.errors",
    "ConflictError": "vagus.app.errors",
    "FORMATS": "vagus.formats",
    "Gate": "vagus.app.plan",
    "LiveRecording": "vagus.app.live",
    "MAX_UPLOAD_BYTES": "vagus.app.measurements",
    "MIN_MEASUREMENT_S": "vagus.app.live",
    "MORNING_BEFORE_HOUR": "vagus.app.live",
    "NotFoundError": "vagus.app.errors",
    "PACER_KEYS": "vagus.app.preferences",
    "Pace": "vagus.app.sessions",
    "Prefs": "vagus.app.preferences",
    "PushFeed": "vagus.app.live",
    "RESONANCE_EXHALE_RATIO": "vagus.app.sessions",
    "RESONANCE_RATES_BPM": "vagus.app.resonance",
    "RecordingKind": "vagus.app.live",
    "RefusedError": "vagus.app.errors",
    "ResonanceResult": "vagus.app.resonance",
    "STEP_OUTCOMES": "vagus.app.sessions",
    "SensorError": "vagus.devices",
    "SensorSpec": "vagus.app.sensors",
    "SessionRun": "vagus.app.sessions",
    "Spectrum": "vagus.app.measurements",
    "UserError": "vagus.app.errors",
    "build_app": "vagus.app._core",
    "check_exercise": "vagus.app.screening",
    "check_symptoms": "vagus.app.checkins",
    "index_rows": "vagus.app.measurements",
    "is_resting": "vagus.app.measurements",
    "known_symptoms": "vagus.app.checkins",
    "notices_json": "vagus.app.measurements",
    "report_json": "vagus.app.measurements",
    "safety_out": "vagus.app.checkins",
    "spectrum_of": "vagus.app.measurements",
    "today_overview": "vagus.app.plan",
    "utc_now": "vagus.app._core",
    "warning_text": "vagus.app.measurements",
    "write_beats_csv": "vagus.formats",
}

#: The example recording that ships with the package (see its header for source and licence).
EXAMPLE_RR_FILE: Final = "example_rr.txt"


def example_rr_path() -> Path:
    """Path of the bundled example RR recording (MIT-BIH record 100, 30 min)."""
    return Path(str(resources.files("vagus") / "data" / EXAMPLE_RR_FILE))


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vagus.app' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "FORMATS",
    "MAX_UPLOAD_BYTES",
    "MIN_MEASUREMENT_S",
    "MORNING_BEFORE_HOUR",
    "PACER_KEYS",
    "RESONANCE_EXHALE_RATIO",
    "RESONANCE_RATES_BPM",
    "STEP_OUTCOMES",
    "App",
    "AppError",
    "Assessment",
    "Beat",
    "BeatFeed",
    "BusyError",
    "ConflictError",
    "Gate",
    "LiveRecording",
    "NotFoundError",
    "Pace",
    "Prefs",
    "PushFeed",
    "RecordingKind",
    "RefusedError",
    "ResonanceResult",
    "SensorError",
    "SensorSpec",
    "SessionRun",
    "Spectrum",
    "UserError",
    "build_app",
    "check_exercise",
    "check_symptoms",
    "example_rr_path",
    "index_rows",
    "is_resting",
    "known_symptoms",
    "notices_json",
    "report_json",
    "safety_out",
    "spectrum_of",
    "today_overview",
    "utc_now",
    "warning_text",
    "write_beats_csv",
]
