"""How the web shows what the app returns: texts in the page's language, JSON for the player.

Nothing here decides or computes a rule: the app (:mod:`vagus.app`) does. These helpers only
name things (exercise names from the catalog, translated statuses, symptom labels) and shape
the app's records for the templates and the browser player.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any, Final

from vagus.app import UserError, check_exercise
from vagus.program import (
    CHECKIN_FIELDS,
    EXERCISE_IDS,
    QUESTIONNAIRES,
    BreathPattern,
    Lang,
    ScreeningResult,
    Step,
    cue_text,
    load_catalog,
    param_specs,
    red_flags,
    stop_symptoms,
    unit_label,
)
from vagus.program.safety import symptoms as symptom_list
from vagus.web._i18n import tr

#: The words that confirm "delete everything" (as ``vagus forget`` asks).
DELETE_WORDS: Final[Mapping[Lang, str]] = {"en": "DELETE", "nb": "SLETT"}
#: Session statuses with a translated word (``history.status_*`` in messages.toml).
SESSION_STATUS_KEYS: Final = frozenset(
    {"running", "completed", "stopped", "aborted", "interrupted"}
)


# --- program texts ------------------------------------------------------------------------------


def exercise_name(exercise_id: str, lang: Lang) -> str:
    if exercise_id in EXERCISE_IDS:
        return load_catalog().exercise(exercise_id).text("name", lang)
    return exercise_id


def exercise_json(exercise_id: str, lang: Lang) -> dict[str, Any]:
    """The exercise in ``lang`` with its parameters (name, default, bounds, unit, help);
    NotFoundError for an unknown id."""
    check_exercise(exercise_id)
    out = dict(load_catalog().exercise(exercise_id).to_dict(lang))
    out["params"] = [
        {
            "name": spec.name,
            "default": spec.default,
            "min": spec.min,
            "max": spec.max,
            "unit": spec.unit,
            "unit_label": unit_label(spec.unit, lang),
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


def pace_text(pattern: Mapping[str, float], lang: Lang) -> str:
    """The breathing pace in words: "4 s in, 8 s out" (with the pauses when there are any)."""
    parts = [tr("exercise.pace_in", lang, s=f"{pattern.get('inhale_s', 0):g}")]
    if pattern.get("hold_in_s"):
        parts.append(tr("exercise.pace_hold", lang, s=f"{pattern['hold_in_s']:g}"))
    parts.append(tr("exercise.pace_out", lang, s=f"{pattern.get('exhale_s', 0):g}"))
    if pattern.get("hold_out_s"):
        parts.append(tr("exercise.pace_hold", lang, s=f"{pattern['hold_out_s']:g}"))
    return ", ".join(parts)


def unit_text(unit: str, lang: Lang) -> str:
    """A plan dose's unit (``min`` or ``rounds``) in ``lang``."""
    return tr(f"today.unit_{unit}", lang) if unit in ("min", "rounds") else unit


def plan_view(plan: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """The app's plan (``app.plan.today_json()``) with each item's name, unit and reason in
    ``lang`` for the templates."""

    def item(i: Mapping[str, Any]) -> dict[str, Any]:
        reason = i.get("reason") or {}
        return dict(i) | {
            "name": exercise_name(str(i["exercise_id"]), lang),
            "unit_text": unit_text(str(i.get("unit", "")), lang),
            "reason_text": reason.get(lang, "") if isinstance(reason, Mapping) else str(reason),
        }

    return {
        "day": plan.get("day"),
        "mode": plan.get("mode"),
        "items": [item(i) for i in plan.get("items", [])],
        "pending": [item(i) for i in plan.get("pending", [])],
        "excluded": [item(i) for i in plan.get("excluded", [])],
        "notices": [n.get(lang, "") if isinstance(n, Mapping) else n for n in plan["notices"]],
    }


def screening_json(result: ScreeningResult, lang: Lang) -> dict[str, Any]:
    """The screening result with each exercise's status and its reasons in ``lang``."""
    reasons = result.reasons_text(lang)
    return {
        "yes": list(result.yes),
        "exercises": [
            {
                "exercise_id": ex,
                "name": exercise_name(ex, lang),
                "status": item.status,
                "reasons": reasons.get(ex, []),
            }
            for ex, item in result.exercises.items()
        ],
    }


# --- safety texts -------------------------------------------------------------------------------


@functools.cache
def red_flag_signs() -> tuple[str, ...]:
    """Ids of the symptoms that raise a red flag (alone or with others), in file order."""
    used = {s for flag in red_flags("en") for trigger in flag.triggers for s in trigger}
    return tuple(s.id for s in symptom_list("en") if s.id in used)


def symptom_labels(lang: Lang) -> dict[str, str]:
    return {s.id: s.label for s in symptom_list(lang)}


def safety_json(lang: Lang) -> dict[str, Any]:
    """``/api/safety``: every symptom with its label, the red-flag signs, each exercise's
    stop-rule signs."""
    return {
        "symptoms": [{"id": s.id, "label": s.label} for s in symptom_list(lang)],
        "red_flag_signs": list(red_flag_signs()),
        "stop_rules": {ex: [s.id for s in stop_symptoms(ex, "en")] for ex in EXERCISE_IDS},
    }


def labelled(ids: Sequence[str], lang: Lang) -> list[dict[str, str]]:
    """Symptom ids with their labels in ``lang``, for checkboxes."""
    labels = symptom_labels(lang)
    return [{"id": s, "label": labels.get(s, s)} for s in ids]


def player_symptoms(exercise_id: str, lang: Lang) -> list[dict[str, str]]:
    """What the player's "report a symptom" form lists: the exercise's stop-rule signs, then
    the red-flag signs not among them."""
    stop = [s.id for s in stop_symptoms(exercise_id, lang)]
    return labelled([*stop, *(s for s in red_flag_signs() if s not in stop)], lang)


# --- history ------------------------------------------------------------------------------------


def local_time(iso: str) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM`` in this machine's time zone (the journal keeps UTC).

    >>> local_time("not a time")
    'not a time'
    """
    if not re.match(r"\d{4}-\d{2}-\d{2}", iso):
        return iso
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def _symptom_text(ids: Sequence[str], lang: Lang) -> str:
    labels = symptom_labels(lang)
    return ", ".join(labels.get(s, s) for s in ids)


def describe_entry(entry: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """One history row in ``lang``: ``{"type", "when", "type_text", "text", "href"}``.

    ``text`` is a one-line summary of what happened (exercise names, translated statuses,
    ratings by their labels, reported warning signs); ``href`` links to the detail page where
    there is one.
    """
    kind = str(entry.get("type"))
    href: str | None = None
    if kind == "session":
        status = str(entry.get("status"))
        parts = [
            exercise_name(str(entry.get("exercise_id")), lang),
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
        reported = [s for f in entry.get("feedback") or [] for s in f.get("symptoms") or []]
        if reported:
            parts.append(tr("history.symptoms", lang, symptoms=_symptom_text(reported, lang)))
        text = " · ".join(parts)
    elif kind == "checkin":
        parts = [
            f"{tr('checkin.' + name, lang).split(' (')[0]} {entry.get(name)}"
            for name in CHECKIN_FIELDS
        ]
        if entry.get("symptoms"):
            parts.append(
                tr("history.symptoms", lang, symptoms=_symptom_text(entry["symptoms"], lang))
            )
        text = " · ".join(parts)
    elif kind == "measurement":
        parts = [tr("history.beats", lang, n=entry.get("n_beats", 0)), str(entry.get("source"))]
        analysis = entry.get("analysis")
        indices = analysis.get("indices", {}) if isinstance(analysis, Mapping) else {}
        if indices.get("mean_hr") is not None:
            parts.append(tr("history.bpm", lang, hr=f"{indices['mean_hr']:.0f}"))
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
            severity = str(entry.get("severity"))
            with suppress(UserError):
                severity = questionnaire.band(severity).label.get(lang)
            text = f"{questionnaire.name.get(lang)}: {entry.get('score'):g} ({severity})"
            href = f"/questionnaires/{name}"
    elif kind == "screening":
        answers = (entry.get("answers") or {}).get("answers", {})
        text = tr("history.screening_yes", lang, n=sum(1 for v in answers.values() if v))
        href = "/screen"
    elif kind == "plan":
        plan = entry.get("plan") or {}
        text = " · ".join(
            f"{exercise_name(str(i.get('exercise_id')), lang)} {i.get('dose'):g} "
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


def count_imported(counts: Mapping[str, int]) -> int:
    """Entries in an import's counts, beats not counted (they belong to their measurement)."""
    return sum(n for name, n in counts.items() if name != "beats")
