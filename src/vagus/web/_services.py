"""Thin services the web needs on top of :class:`vagus.app.App`, and their JSON shapes.

Everything here calls the app (and through it the journal) or the pure ``vagus.program`` and
``vagus.hrv``; the pages and the JSON API both use these functions, so a page and its JSON twin
always agree. The session-recording helpers (:func:`record_step`, :func:`finish_session`) and the
preferences (:func:`get_prefs`, :func:`set_prefs`) belong in ``app.py`` in the long run: the
browser player drives a session step by step, where the CLI drives a ``SessionRun``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, Final

import numpy as np

from vagus.app import App, ConflictError, NotFoundError
from vagus.hrv import INDICES, HrvReport, correct_rr
from vagus.program import (
    CHECKIN_FIELDS,
    EXERCISE_IDS,
    QUESTIONNAIRES,
    BreathPattern,
    Lang,
    ScreeningResult,
    Step,
    TodayPlan,
    cue_text,
    load_catalog,
    param_specs,
)
from vagus.web._i18n import tr

#: The words that confirm "delete everything" (as ``vagus forget`` asks).
DELETE_WORDS: Final[Mapping[Lang, str]] = {"en": "DELETE", "nb": "SLETT"}
#: Largest upload read, in bytes: an Apple Health export of several years is a few hundred MB;
#: larger files are refused before they fill the disk.
MAX_UPLOAD_BYTES: Final = 512 * 1024 * 1024
#: Fewest beats for which the measurement's NN series (for its plots) is computed.
MIN_NN_FOR_PLOTS: Final = 3
#: Session statuses with a translated word (``history.status_*`` in messages.toml).
SESSION_STATUS_KEYS: Final = frozenset(
    {"running", "completed", "stopped", "aborted", "interrupted"}
)


class WebError(Exception):
    """A user error: the HTTP status, one message, and the field it is about."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@contextmanager
def user_errors(status: int = 400) -> Iterator[None]:
    """Turn the core's ValueErrors (a bad field, a bad file) into a :class:`WebError`.

    The core checks before it writes (each journal call is one transaction), so a refused
    request changes nothing.
    """
    try:
        yield
    except WebError:
        raise
    except NotFoundError as error:
        raise WebError(404, str(error), error.field) from None
    except ConflictError as error:
        raise WebError(409, str(error), error.field) from None
    except ValueError as error:
        raise WebError(status, str(error), getattr(error, "field", None)) from None


# --- preferences ----------------------------------------------------------------------------


def get_prefs(app: App) -> dict[str, Any]:
    """The person's preferences (:meth:`vagus.app.App.prefs`)."""
    return app.prefs()


def set_prefs(
    app: App,
    *,
    lang: Lang | None = None,
    pacer: Mapping[str, float] | None = None,
    sensor: str | None = None,
) -> dict[str, Any]:
    """Store preferences (:meth:`vagus.app.App.set_prefs`); 400 naming a bad field."""
    with user_errors():
        return app.set_prefs(lang=lang, pacer=pacer, sensor=sensor)


# --- program ----------------------------------------------------------------------------------


def check_exercise(exercise_id: str) -> None:
    """404 for an exercise id that is not one of the seven."""
    if exercise_id not in EXERCISE_IDS:
        raise WebError(
            404,
            f"exercise_id: unknown exercise {exercise_id!r}; expected one of "
            f"{', '.join(EXERCISE_IDS)}",
            "exercise_id",
        )


def exercise_json(exercise_id: str, lang: Lang) -> dict[str, Any]:
    """The exercise in ``lang`` with its parameters (name, default, bounds, unit, help)."""
    check_exercise(exercise_id)
    out = dict(load_catalog().exercise(exercise_id).to_dict(lang))
    out["params"] = [
        {
            "name": spec.name,
            "default": spec.default,
            "min": spec.min,
            "max": spec.max,
            "unit": spec.unit,
            "choices": list(spec.choices),
            "integer": spec.integer,
            "help": spec.help(lang),
        }
        for spec in param_specs(exercise_id)
    ]
    return out


def jsonable(value: object, lang: Lang) -> object:
    """Dataclasses, mappings and tuples as JSON; a ``label`` cue id gains its ``text``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: jsonable(getattr(value, f.name), lang) for f in dataclasses.fields(value)}
        label = data.get("label")
        if isinstance(label, str):
            with suppress(KeyError, ValueError):
                data["text"] = cue_text(label, lang)
        return data
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, lang) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, lang) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v, lang) for v in value)  # type: ignore[type-var]
    return value


def pattern_json(pattern: BreathPattern) -> dict[str, float]:
    """The pacer's pattern: seconds of each phase, the cycle, and breaths a minute."""
    return {
        "inhale_s": pattern.inhale_s,
        "hold_in_s": pattern.hold_in_s,
        "exhale_s": pattern.exhale_s,
        "hold_out_s": pattern.hold_out_s,
        "cycle_s": pattern.cycle_s,
        "breaths_per_min": 60.0 / pattern.cycle_s,
    }


def step_json(step: Step, lang: Lang) -> dict[str, Any]:
    """A step for the browser player: id, kind, seconds (None: until the person continues),
    the cue in ``lang``, the pacer pattern (None when there is no pacer), round and data."""
    return {
        "id": step.id,
        "kind": step.kind,
        "duration_s": step.duration_s,
        "cue": step.cue,
        "text": cue_text(step.cue, lang),
        "pattern": None if step.pattern is None else pattern_json(step.pattern),
        "round": step.round,
        "data": jsonable(dict(step.data), lang),
    }


def plan_json(plan: TodayPlan, lang: Lang) -> dict[str, Any]:
    """Today's plan in ``lang``: every item with its dose and its one-line reason."""

    def item(i: Any) -> dict[str, Any]:
        return {
            "exercise_id": i.exercise_id,
            "name": load_catalog().exercise(i.exercise_id).text("name", lang),
            "dose": i.dose,
            "unit": i.unit,
            "unit_text": unit_text(i.unit, lang),
            "status": i.status,
            "screening": i.screening,
            "params": i.params(),
            "reason": i.reason(lang),
        }

    return {
        "day": plan.day.isoformat(),
        "mode": plan.mode,
        "items": [item(i) for i in plan.items],
        "pending": [item(i) for i in plan.pending],
        "excluded": [item(i) for i in plan.excluded],
        "notices": [n(lang) for n in plan.notices],
    }


def screening_json(result: ScreeningResult, lang: Lang) -> dict[str, Any]:
    """The screening result with each exercise's status and its reasons in ``lang``."""
    reasons = result.reasons_text(lang)
    catalog = load_catalog()
    return {
        "yes": list(result.yes),
        "exercises": [
            {
                "exercise_id": ex,
                "name": catalog.exercise(ex).text("name", lang),
                "status": item.status,
                "reasons": reasons.get(ex, []),
            }
            for ex, item in result.exercises.items()
        ],
    }


def today_json(app: App, lang: Lang) -> dict[str, Any]:
    """What the today page shows: the plan, whether the person checked in today, the last
    measurement, and whether the health questions were answered."""
    plan = app.today_plan()
    today = app.now().astimezone().date()
    last_checkin = app.history(["checkin"], limit=1)
    checked_in = bool(last_checkin) and (
        datetime.fromisoformat(last_checkin[0]["started_at"]).astimezone().date() == today
    )
    measurements = app.history(["measurement"], limit=1)
    return {
        "plan": plan_json(plan, lang),
        "screened": app.journal.latest_screening() is not None,
        "checked_in_today": checked_in,
        "last_measurement": measurements[0] if measurements else None,
    }


# --- sessions recorded by the browser ----------------------------------------------------


def start_session(
    app: App, exercise_id: str, params: Mapping[str, Any], lang: Lang
) -> dict[str, Any]:
    """Open a session in the journal and return its id and steps for the browser player.

    A breathing session without its own pattern uses the person's pacer defaults when they
    set some (else the app's: their resonance rate, else 4 s in / 8 s out).
    """
    check_exercise(exercise_id)
    with user_errors():
        run = app.start_session(exercise_id, dict(params))
    steps = [step_json(step, lang) for step in run.steps]
    return {
        "id": run.session_id,
        "exercise_id": exercise_id,
        "params": run.params,
        "steps": steps,
        "total_s": sum(s["duration_s"] or 0.0 for s in steps),
    }


def get_session(app: App, session_id: int) -> dict[str, Any]:
    """A session as the journal stores it (404 when there is none)."""
    with user_errors():
        return app.session(session_id)


def record_step(app: App, session_id: int, event: Mapping[str, Any]) -> dict[str, Any]:
    """Store one ended step the browser reports (:meth:`vagus.app.App.record_step`).

    ``event`` has ``step_id``, ``kind``, ``started_at``, ``ended_at`` (aware datetimes),
    ``active_s`` (seconds, pauses excluded) and ``outcome`` (completed, skipped, aborted).
    404 for an unknown session, 409 for a step already recorded, 400 for a wrong step.
    """
    with user_errors():
        row = app.record_step(
            session_id,
            event["step_id"],
            event["kind"],
            event["started_at"],
            event["ended_at"],
            event["active_s"],
            event["outcome"],
        )
    return {"id": row, "session_id": session_id, "step_id": event["step_id"]}


def finish_session(app: App, session_id: int, status: str) -> dict[str, Any]:
    """Close a running session (completed, stopped or aborted)."""
    with user_errors():
        return app.finish_session(session_id, status)


def rate_session(app: App, session_id: int, moment: str, calm: int) -> dict[str, Any]:
    """A 0-10 calm rating before or after a session (one of each)."""
    with user_errors():
        row = app.rate_session(session_id, moment, calm)
    return {"id": row, "session_id": session_id, "moment": moment, "calm": calm}


# --- HRV ------------------------------------------------------------------------------------


def analyze_upload(app: App, filename: str, data: bytes) -> HrvReport:
    """Analyse an uploaded recording of any format ``vagus.formats`` reads.

    The bytes go to a private temporary folder under their own base name (the name's suffix
    helps EDF, WFDB and zip files) and are deleted afterwards; nothing is stored.

    Raises
    ------
    WebError
        400 with the reader's message (``RrDataError``) when the file is not usable.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise WebError(413, f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MB", "file")
    if not data:
        raise WebError(400, "file: the file is empty", "file")
    name = PurePath(filename or "upload.txt").name or "upload.txt"
    with tempfile.TemporaryDirectory(prefix="vagus-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with user_errors():
            report = app.analyze_file(path)
    return report


def index_rows(indices: Mapping[str, float | None], lang: Lang) -> list[dict[str, Any]]:
    """One row per registered index (``vagus.hrv.INDICES``): name, label, domain, value, unit,
    one-line meaning and reference, in the registry's order."""
    return [
        {
            "name": index.name,
            "label": index.label,
            "domain": index.domain,
            "value": indices.get(index.name),
            "unit": index.unit,
            "meaning": index.meaning(lang),
            "reference": index.reference,
        }
        for index in INDICES
    ]


def report_json(report: HrvReport, lang: Lang) -> dict[str, Any]:
    """The analysis (the shape of ``vagus hrv --json``), the NN series and the index table."""
    out = report.to_dict()
    out["nn_ms"] = [float(x) for x in report.nn_ms]
    out["table"] = index_rows(report.indices, lang)
    return out


def measurement_json(app: App, recording_id: int, lang: Lang) -> dict[str, Any]:
    """One stored measurement: the entry with its stored analysis, its RR and the index table."""
    try:
        entry = app.journal.recording(recording_id)
    except ValueError:  # the journal's error for an unknown id
        raise WebError(404, f"id: no measurement {recording_id}", "id") from None
    rr = app.journal.recording_rr(recording_id)
    analysis = entry.get("analysis")
    indices = analysis.get("indices", {}) if isinstance(analysis, Mapping) else {}
    # The NN series the stored analysis was computed from (artifacts corrected the same way),
    # for the plots; None when there are too few beats to validate.
    nn: list[float] | None = None
    if len(rr) >= MIN_NN_FOR_PLOTS:
        with suppress(ValueError):
            corrected, _ = correct_rr(np.asarray(rr, dtype=np.float64))
            nn = [float(x) for x in corrected]
    return entry | {"rr_ms": rr, "nn_ms": nn, "table": index_rows(indices, lang)}


# --- history ------------------------------------------------------------------------------


def _exercise_name(exercise_id: str, lang: Lang) -> str:
    if exercise_id in EXERCISE_IDS:
        return load_catalog().exercise(exercise_id).text("name", lang)
    return exercise_id


def local_time(iso: str) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM`` in this machine's time zone (the journal keeps UTC).

    >>> local_time("not a time")
    'not a time'
    """
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def unit_text(unit: str, lang: Lang) -> str:
    """A plan dose's unit (``min`` or ``rounds``) in ``lang``."""
    return tr(f"today.unit_{unit}", lang) if unit in ("min", "rounds") else unit


def describe_entry(entry: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """One history row in ``lang``: ``{"type", "when", "type_text", "text", "href"}``.

    ``text`` is a one-line summary of what happened (exercise names, translated statuses,
    ratings by their labels); ``href`` links to the detail page where there is one.
    """
    kind = str(entry.get("type"))
    href: str | None = None
    if kind == "session":
        status = str(entry.get("status"))
        parts = [
            _exercise_name(str(entry.get("exercise_id")), lang),
            tr(f"history.status_{status}", lang) if status in SESSION_STATUS_KEYS else status,
            tr("history.steps", lang, n=len(entry.get("steps") or [])),
        ]
        ratings = entry.get("ratings") or {}
        if ratings.get("before") is not None or ratings.get("after") is not None:
            before, after = (ratings.get(m) for m in ("before", "after"))
            parts.append(
                tr(
                    "history.calm",
                    lang,
                    before="–" if before is None else before,
                    after="–" if after is None else after,
                )
            )
        text = " · ".join(parts)
    elif kind == "checkin":
        text = " · ".join(
            f"{tr('checkin.' + name, lang).split(' (')[0]} {entry.get(name)}"
            for name in CHECKIN_FIELDS
        )
    elif kind == "measurement":
        parts = [tr("history.beats", lang, n=entry.get("n_beats", 0)), str(entry.get("source"))]
        analysis = entry.get("analysis")
        indices = analysis.get("indices", {}) if isinstance(analysis, Mapping) else {}
        if indices.get("mean_hr") is not None:
            parts.append(f"{indices['mean_hr']:.0f} bpm")
        if indices.get("rmssd") is not None:
            parts.append(f"RMSSD {indices['rmssd']:.1f} ms")
        text = " · ".join(parts)
        href = f"/measurements/{entry.get('id')}"
    elif kind == "questionnaire":
        name = str(entry.get("name"))
        questionnaire = QUESTIONNAIRES.get(name)
        if questionnaire is None:
            text = f"{name}: {entry.get('score')}"
        else:
            with suppress(ValueError):
                severity = questionnaire.band(str(entry.get("severity"))).label.get(lang)
            text = f"{questionnaire.name.get(lang)}: {entry.get('score'):g} ({severity})"
            href = f"/questionnaires/{name}"
    elif kind == "screening":
        answers = (entry.get("answers") or {}).get("answers", {})
        text = tr("history.screening_yes", lang, n=sum(1 for v in answers.values() if v))
        href = "/screen"
    elif kind == "plan":
        plan = entry.get("plan") or {}
        # The day's items as stored (app.plan_to_json), each with its dose and unit; pending
        # entries are not part of the day's exercises.
        text = " · ".join(
            f"{_exercise_name(str(i.get('exercise_id')), lang)} {i.get('dose'):g} "
            + unit_text(str(i.get("unit", "")), lang)
            for i in plan.get("items", [])
        ).strip() or tr("cli.plan_empty", lang)
        href = "/"
    else:
        text = str(entry.get("id"))
    return {
        "type": kind,
        "when": local_time(str(entry.get("started_at", ""))),
        "type_text": tr(f"history.type_{kind}", lang),
        "text": text,
        "href": href,
    }


#: Tags of recordings made during an exercise (not resting): the CLI's session recording and
#: the browser's live streams.
NOT_RESTING_TAGS: Final = frozenset({"session", "web"})


def is_resting(entry: Mapping[str, Any]) -> bool:
    """A measurement made outside an exercise (morning, ``vagus measure``, the rests before
    and after a session), the kind whose trend means something day to day."""
    return not NOT_RESTING_TAGS & set(entry.get("tags") or ())


def trends_json(app: App) -> dict[str, Any]:
    """Series for the history charts, oldest first: ``ln_rmssd`` and ``resting_hr`` (one point
    per resting measurement with an analysis: ``{"at", "value", "id"}``) and ``symptoms``
    (per check-in field, ``{"at", "value"}``)."""
    ln_rmssd: list[dict[str, Any]] = []
    resting_hr: list[dict[str, Any]] = []
    for entry in reversed(app.history(["measurement"])):
        analysis = entry.get("analysis")
        if not is_resting(entry) or not isinstance(analysis, Mapping):
            continue
        indices = analysis.get("indices", {})
        at = entry["started_at"]
        if indices.get("ln_rmssd") is not None:
            ln_rmssd.append({"at": at, "value": indices["ln_rmssd"], "id": entry["id"]})
        if indices.get("mean_hr") is not None:
            resting_hr.append({"at": at, "value": indices["mean_hr"], "id": entry["id"]})
    checkins = list(reversed(app.history(["checkin"])))
    symptoms = {
        name: [{"at": c["started_at"], "value": c[name]} for c in checkins]
        for name in CHECKIN_FIELDS
    }
    return {"ln_rmssd": ln_rmssd, "resting_hr": resting_hr, "symptoms": symptoms}


def count_imported(counts: Mapping[str, int]) -> int:
    """Entries in an import's counts, beats not counted (they belong to their measurement)."""
    return sum(n for name, n in counts.items() if name != "beats")
