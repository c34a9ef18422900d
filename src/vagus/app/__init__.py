"""The application layer: one :class:`App` (settings, journal, clock) with a service per resource.

Every rule a person meets lives here once, so the CLI and the web app cannot disagree. The
faces (``vagus.cli``, ``vagus.web``) import this package and the record types it exports,
nothing else of ours.

Services (``app.<name>``): ``prefs`` (language, pacer, the web's sensor), ``screening``,
``plan`` (today's plan, and the gate every session start passes), ``sessions``, ``checkins``
(with their warning signs and the red-flag state), ``measurements`` (files, stored recordings,
trends), ``live`` (sensors and recordings beat by beat), ``resonance``, ``transfer`` (history,
export, import, delete-all), ``insights`` (reserved for issue 13).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

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

#: The example recording that ships with the package (see its header for source and licence).
EXAMPLE_RR_FILE: Final = "example_rr.txt"


def example_rr_path() -> Path:
    """Path of the bundled example RR recording (MIT-BIH record 100, 30 min)."""
    return Path(str(resources.files("vagus") / "data" / EXAMPLE_RR_FILE))


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
