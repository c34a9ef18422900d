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
from vagus.app.live import (
    COHERENCE_EVERY_S,
    COHERENCE_HIGH_FROM,
    COHERENCE_LEVELS,
    COHERENCE_MEDIUM_FROM,
    COHERENCE_WINDOW_S,
)
from vagus.hrv._constants import MAX_RR_MS, MIN_RR_MS
from vagus.program import (
    CHECKIN_FIELDS,
    EXERCISE_IDS,
    QUESTIONNAIRES,
    BreathPattern,
    Lang,
    ScreeningResult,
    Step,
    cue_text,
    format_number,
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


# --- a measurement ------------------------------------------------------------------------------


def _count(mapping: Mapping[str, Any], key: str) -> int | None:
    """``mapping[key]`` when it is a whole number (not a bool), else None: a stored analysis
    may come from an older vagus, or from an imported journal."""
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() and value >= 0 else None


def _real(mapping: Mapping[str, Any], key: str) -> float | None:
    """``mapping[key]`` when it is a finite number (not a bool), else None."""
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def measurement_summary(analysis: object, lang: Lang) -> list[str]:
    """What a measurement's page says above its figures, one paragraph each: the beats and RR
    intervals analysed over how long; how many intervals the artifact correction changed or
    left out, with RMSSD before and after it; how many impossible intervals (outside
    ``MIN_RR_MS``-``MAX_RR_MS``) were left out.

    An analysis stored before issue 12 has no ``n_intervals`` (its ``n_beats`` counted the
    intervals) and no ``changed``: it gets what it has, and a missing or malformed key leaves
    its sentence out, never an error.

    >>> measurement_summary({"n_beats": 300, "duration_s": 240.0}, "en")
    ['300 RR intervals over 4.0 min.']
    >>> measurement_summary(None, "en")
    []
    """
    if not isinstance(analysis, Mapping):
        return []
    lines: list[str] = []
    intervals = _count(analysis, "n_intervals")
    beats = _count(analysis, "n_beats")
    duration_s = _real(analysis, "duration_s")
    minutes = format_number(duration_s / 60.0 if duration_s is not None else None, lang, 1)
    if intervals is not None and beats is not None:
        lines.append(
            tr(
                "measurement.beats",
                lang,
                beats=format_number(beats, lang),
                intervals=format_number(intervals, lang),
                minutes=minutes,
            )
        )
    elif beats is not None:  # before issue 12, n_beats counted the intervals
        intervals = beats
        lines.append(
            tr("measurement.intervals", lang, intervals=format_number(beats, lang), minutes=minutes)
        )
    artifacts = analysis.get("artifacts")
    if intervals is None or not isinstance(artifacts, Mapping):
        return lines
    shown = format_number(intervals, lang)
    changed = _count(artifacts, "changed")
    before, after = _real(artifacts, "rmssd_before"), _real(artifacts, "rmssd_after")
    if changed is not None and before is not None and after is not None:
        lines.append(
            tr(
                "measurement.correction",
                lang,
                changed=format_number(changed, lang),
                intervals=shown,
                before=format_number(before, lang, 1),
                after=format_number(after, lang, 1),
            )
        )
    elif changed is not None:
        lines.append(
            tr("measurement.changed", lang, changed=format_number(changed, lang), intervals=shown)
        )
    elif (corrected := _count(artifacts, "corrected")) is not None:
        percent = _real(artifacts, "percent")
        lines.append(
            tr(
                "measurement.corrected",
                lang,
                corrected=format_number(corrected, lang),
                intervals=shown,
                percent=format_number(percent, lang, 1),
            )
        )
    out_of_range = _count(artifacts, "out_of_range")
    if out_of_range:
        lines.append(
            tr(
                "measurement.out_of_range",
                lang,
                n=format_number(out_of_range, lang),
                min=format_number(MIN_RR_MS, lang),
                max=format_number(MAX_RR_MS, lang),
            )
        )
    return lines


def coherence_summary(analysis: object, lang: Lang) -> dict[str, str] | None:
    """A live recording's coherence, as saved with its analysis (``coherence``, issue 12):
    ``text``, the share of the recording in each level (the words of ``vagus measure``), and
    ``help``, one line on what coherence is and where the levels lie. None for an analysis
    without shares (an upload, a measurement from before issue 12, a malformed entry).

    >>> coherence_summary({"coherence": {"n_windows": 0}}, "en")["text"]
    'Coherence: not measured; it needs 64 s of heartbeats.'
    >>> coherence_summary({"n_beats": 300}, "en") is None
    True
    """
    if not isinstance(analysis, Mapping):
        return None
    shares = analysis.get("coherence")
    if not isinstance(shares, Mapping) or (n := _count(shares, "n_windows")) is None:
        return None
    # The stored settings where the analysis has them (a later vagus may change them), else
    # those of this one.
    window_s = _real(shares, "window_s") or COHERENCE_WINDOW_S
    every_s = _real(shares, "every_s") or COHERENCE_EVERY_S
    thresholds = shares.get("thresholds")
    thresholds = thresholds if isinstance(thresholds, Mapping) else {}
    medium = _real(thresholds, "medium") or COHERENCE_MEDIUM_FROM
    high = _real(thresholds, "high") or COHERENCE_HIGH_FROM
    help_text = tr(
        "measurement.coherence_help",
        lang,
        window=format_number(window_s, lang, None),
        every=format_number(every_s, lang, None),
        medium=format_number(medium, lang, 1),
        high=format_number(high, lang, 1),
    )
    found = {level: _real(shares, level) for level in COHERENCE_LEVELS}
    if not n or any(share is None for share in found.values()):
        text = tr("live.coherence_none", lang, window=format_number(window_s, lang, None))
        return {"text": text, "help": help_text}
    percent = {
        level: f"{format_number(100.0 * (share or 0.0), lang, 0)} %"
        for level, share in found.items()
    }
    text = tr(
        "live.coherence_shares",
        lang,
        **percent,
        n=format_number(n, lang),
        every=format_number(every_s, lang, None),
    )
    return {"text": text, "help": help_text}
