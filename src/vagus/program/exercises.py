"""Step programs for the seven home exercises, their parameters, and the cue texts.

For each exercise id there is a parameter spec (name, default, range, unit, help in nb and en)
and a builder that turns validated parameters into the :class:`~vagus.program.session.Step`
list a :class:`~vagus.program.session.GuidedSession` runs. The facts and numbers come from the
program brief (PROGRAM.md, "The seven home exercises") and the safety brief (SAFETY.md, "Per
exercise"); each builder's docstring says which.

Cue texts live in ``program/data/cues.toml`` (nb and en, short: they are shown and spoken during
the exercise). :func:`parse_cues` refuses unknown keys, a missing translation and empty or long
texts; a test checks that every cue any program can produce has both texts.

>>> steps = build_steps("breathing")
>>> [(s.kind, s.duration_s) for s in steps]
[('prepare', None), ('do', 180.0), ('finish', None)]
>>> total_duration_s(steps), default_minutes("breathing")
(180.0, 3.0)
>>> cue_text("pacer.exhale", "nb")
'Pust ut'
>>> build_steps("breathing", minutes=7)
Traceback (most recent call last):
...
vagus.errors.UserError: breathing: minutes = 7 is outside the allowed 2-5 min
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from vagus.errors import UserError
from vagus.program.catalog import EXERCISE_IDS as CATALOG_EXERCISE_IDS
from vagus.program.i18n import LANGS, Lang
from vagus.program.pacer import PHASES, BreathPattern, Phase, to_ms
from vagus.program.session import Step

ParamValue = int | float | str

# The exercise ids are declared once, with the catalog; the step programs cover exactly them.
EXERCISE_IDS: Final[tuple[str, ...]] = CATALOG_EXERCISE_IDS

#: Cue shown with each phase of the breathing pacer.
PHASE_CUES: Final[Mapping[Phase, str]] = {p: f"pacer.{p}" for p in PHASES}

#: A cue is read at a glance or spoken in a few seconds: about 20 words at most.
MAX_CUE_CHARS: Final[int] = 140
CUES_RESOURCE: Final[str] = "data/cues.toml"
_CUE_ID = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$")

# --- facts from the briefs, as named constants ---------------------------------------------------
#: Diaphragmatic breathing: 2-5 minutes, e.g. 4 s in, 8 s out (PROGRAM.md, exercise 1).
BREATHING_MINUTES: Final[tuple[float, float]] = (2.0, 5.0)
BREATHING_DEFAULT_MINUTES: Final[float] = 3.0
#: Holds are optional; 4 s is the hold of "box" breathing. Longer holds are not offered, and the
#: help says to leave them at 0 in pregnancy (SAFETY.md: no breath-holds in pregnancy).
MAX_HOLD_S: Final[float] = 4.0
#: Cold water: a bowl for the face 5-10 s, or a shower on face and neck 20-30 s, 2-3 rounds
#: (PROGRAM.md, exercise 2); SAFETY.md: start at 10-15 s. Face rounds may therefore reach 15 s and
#: shower rounds start at 10 s; the default is the short start both briefs ask for.
COLD_FACE_S: Final[tuple[float, float]] = (5.0, 15.0)
COLD_SHOWER_S: Final[tuple[float, float]] = (10.0, 30.0)
COLD_DEFAULT_ROUND_S: Final[float] = 10.0
#: One round is allowed as a gentle start ("start gently and build tolerance over time").
COLD_ROUNDS: Final[tuple[int, int]] = (1, 3)
#: Humming: 1-3 minutes (PROGRAM.md, exercise 3).
HUMMING_MINUTES: Final[tuple[float, float]] = (1.0, 3.0)
#: Neck: three single-plane movements and three massage areas share the time equally.
NECK_MINUTES: Final[tuple[float, float]] = (2.0, 6.0)
#: One slow movement out and back takes about this long; it sets the suggested repetitions.
NECK_MOVE_PACE_S: Final[float] = 5.0
#: Gentle activity: "even 10 minutes a day" (PROGRAM.md, exercise 7).
ACTIVITY_DEFAULT_MINUTES: Final[float] = 10.0


class CueError(ValueError):
    """The cue file is malformed, or a cue id is unknown (the message names the cue)."""


# --- parameters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an exercise program.

    Attributes
    ----------
    name : str
        Keyword accepted by :func:`build_steps`.
    default : int, float or str
        Value used when the parameter is not given.
    min, max : float or None
        Inclusive numeric range (None for a choice).
    unit : str
        ``"min"``, ``"s"``, ``"rounds"``, ``"entries"`` or ``""`` for a choice.
    help_en, help_nb : str
        One sentence each, shown next to the setting.
    choices : tuple of str
        Allowed values of a choice parameter (empty for a number).
    integer : bool
        The value must be a whole number.
    """

    name: str
    default: ParamValue
    min: float | None
    max: float | None
    unit: str
    help_en: str
    help_nb: str
    choices: tuple[str, ...] = ()
    integer: bool = False

    def help(self, lang: Lang) -> str:
        """The help text in ``lang``."""
        return self.help_nb if lang == "nb" else self.help_en

    def check(self, exercise_id: str, value: object) -> ParamValue:
        """Return ``value`` if it is allowed, else raise ValueError naming parameter and range."""
        where = f"{exercise_id}: {self.name}"
        if self.choices:
            if not isinstance(value, str) or value not in self.choices:
                raise UserError(f"{where} = {value!r} is not one of {', '.join(self.choices)}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(f"{where} must be a number ({self.unit}), got {value!r}")
        lo = self.min if self.min is not None else -math.inf
        hi = self.max if self.max is not None else math.inf
        if not (math.isfinite(value) and lo <= value <= hi):
            raise UserError(
                f"{where} = {value:g} is outside the allowed {lo:g}-{hi:g} {self.unit}",
                self.name,
                key="errors.param_range",
                name=self.name,
                value=float(value),
                low=lo,
                high=hi,
                unit=self.unit,
            )
        if self.integer:
            if value != int(value):
                raise UserError(f"{where} must be a whole number, got {value:g}")
            return int(value)
        return float(value)


def _number(
    name: str,
    default: float,
    lo: float,
    hi: float,
    unit: str,
    en: str,
    nb: str,
    *,
    integer: bool = False,
) -> ParamSpec:
    return ParamSpec(name, default, lo, hi, unit, en, nb, integer=integer)


def _choice(name: str, default: str, choices: tuple[str, ...], en: str, nb: str) -> ParamSpec:
    return ParamSpec(name, default, None, None, "", en, nb, choices=choices)


_BREATH_SPECS: Final = (
    _number(
        "inhale_s",
        4.0,
        2.0,
        8.0,
        "s",
        "Length of the in-breath, through the nose.",
        "Lengden på innpusten, gjennom nesen.",
    ),
    _number(
        "exhale_s",
        8.0,
        2.0,
        12.0,
        "s",
        "Length of the out-breath; about twice the in-breath calms the most.",
        "Lengden på utpusten; omtrent dobbelt så lang som innpusten roer mest.",
    ),
)

PARAM_SPECS: Final[Mapping[str, tuple[ParamSpec, ...]]] = {
    "breathing": (
        _number(
            "minutes",
            BREATHING_DEFAULT_MINUTES,
            *BREATHING_MINUTES,
            "min",
            "How long to breathe with the pacer, rounded to whole breaths.",
            "Hvor lenge du puster med pusteguiden, avrundet til hele pust.",
        ),
        *_BREATH_SPECS,
        _number(
            "hold_in_s",
            0.0,
            0.0,
            MAX_HOLD_S,
            "s",
            "Optional pause after the in-breath; leave at 0 if pregnant or unsure.",
            "Valgfri pause etter innpusten; la den stå på 0 om du er gravid eller usikker.",
        ),
        _number(
            "hold_out_s",
            0.0,
            0.0,
            MAX_HOLD_S,
            "s",
            "Optional pause after the out-breath; leave at 0 if pregnant or unsure.",
            "Valgfri pause etter utpusten; la den stå på 0 om du er gravid eller usikker.",
        ),
    ),
    "cold-water": (
        _choice(
            "mode",
            "face",
            ("face", "shower"),
            "Cool water splashed on the face, or a cool shower on face and neck.",
            "Kjølig vann skvettet i ansiktet, eller en kjølig dusj på ansikt og nakke.",
        ),
        _number(
            "round_s",
            COLD_DEFAULT_ROUND_S,
            COLD_FACE_S[0],
            COLD_SHOWER_S[1],
            "s",
            "Length of each round: face 5-15 s, shower 10-30 s; start short.",
            "Lengden på hver runde: ansikt 5-15 s, dusj 10-30 s; start kort.",
        ),
        _number(
            "rounds",
            2,
            *COLD_ROUNDS,
            "rounds",
            "How many rounds, with a rest between them.",
            "Hvor mange runder, med hvile mellom.",
            integer=True,
        ),
        _number(
            "rest_s",
            30.0,
            15.0,
            120.0,
            "s",
            "Rest between rounds.",
            "Hvile mellom rundene.",
        ),
    ),
    "humming": (
        _number(
            "minutes",
            2.0,
            *HUMMING_MINUTES,
            "min",
            "How long to hum, rounded to whole breaths.",
            "Hvor lenge du nynner, avrundet til hele pust.",
        ),
        _number(
            "inhale_s",
            4.0,
            2.0,
            6.0,
            "s",
            "Length of the in-breath, through the nose.",
            "Lengden på innpusten, gjennom nesen.",
        ),
        _number(
            "exhale_s",
            8.0,
            4.0,
            12.0,
            "s",
            "Length of the hum on the out-breath.",
            "Lengden på nynningen på utpusten.",
        ),
    ),
    "neck": (
        _number(
            "minutes",
            3.0,
            *NECK_MINUTES,
            "min",
            "Total time, shared equally by three movements and three massage areas.",
            "Samlet tid, delt likt på tre bevegelser og tre massasjeområder.",
        ),
    ),
    "laughter": (
        _number(
            "minutes",
            5.0,
            1.0,
            30.0,
            "min",
            "Time for something funny or a good talk; then a short log.",
            "Tid til noe morsomt eller en god prat; deretter en kort logg.",
        ),
    ),
    "meditation": (
        _number(
            "minutes",
            3.0,
            1.0,
            10.0,
            "min",
            "Time following the breath; short is fine.",
            "Tid du følger pusten; kort er helt greit.",
        ),
        _choice(
            "eyes",
            "open",
            ("open", "closed"),
            "Eyes open with a resting gaze, or closed if that feels safe.",
            "Øynene åpne med hvilende blikk, eller lukket om det kjennes trygt.",
        ),
        _number(
            "gratitude",
            3,
            0,
            3,
            "entries",
            "How many things you are grateful for to write down.",
            "Hvor mange ting du er takknemlig for som du skriver ned.",
            integer=True,
        ),
    ),
    "activity": (
        _number(
            "minutes",
            ACTIVITY_DEFAULT_MINUTES,
            2.0,
            60.0,
            "min",
            "Time for a calm activity; calm flow, not a high pulse.",
            "Tid til en rolig aktivitet; rolig flyt, ikke høy puls.",
        ),
        _choice(
            "kind",
            "walk",
            ("walk", "yoga", "relaxation", "seated", "other"),
            "What you do; choose seated if standing makes you dizzy.",
            "Hva du gjør; velg sittende om du blir svimmel av å stå.",
        ),
    ),
}

#: A gentler meditation for people with trauma history or PTSD symptoms (SAFETY.md: short,
#: eyes open, permission to stop, a grounding exit; the last two are in every program).
TRAUMA_SENSITIVE_MEDITATION: Final[Mapping[str, ParamValue]] = {"minutes": 2.0, "eyes": "open"}


def param_specs(exercise_id: str) -> tuple[ParamSpec, ...]:
    """The parameter specs of an exercise, in display order.

    >>> [p.name for p in param_specs("cold-water")]
    ['mode', 'round_s', 'rounds', 'rest_s']
    """
    _require_exercise(exercise_id)
    return PARAM_SPECS[exercise_id]


def defaults(exercise_id: str) -> dict[str, ParamValue]:
    """The default parameters of an exercise."""
    return {p.name: p.default for p in param_specs(exercise_id)}


def validate_params(exercise_id: str, params: Mapping[str, object]) -> dict[str, ParamValue]:
    """Check ``params`` against the spec and fill in defaults.

    Raises
    ------
    ValueError
        Unknown exercise or parameter, or a value outside its range, naming both.
    """
    specs = {p.name: p for p in param_specs(exercise_id)}
    unknown = sorted(set(params) - set(specs))
    if unknown:
        raise UserError(
            f"{exercise_id}: unknown parameter {unknown[0]!r} (known: {', '.join(specs)})"
        )
    out = {
        name: spec.check(exercise_id, params.get(name, spec.default))
        for name, spec in specs.items()
    }
    return out


def _require_exercise(exercise_id: str) -> None:
    if exercise_id not in PARAM_SPECS:
        raise UserError(
            f"unknown exercise {exercise_id!r} (known: {', '.join(EXERCISE_IDS)})",
            "exercise_id",
            key="errors.unknown_exercise",
            exercise=exercise_id,
        )


# --- log fields ---------------------------------------------------------------------------------
LogType = Literal["text", "choice", "scale"]


@dataclass(frozen=True)
class LogField:
    """A field a log step asks the person to fill in (stored with the session in the journal).

    Attributes
    ----------
    id : str
        Key in the stored log.
    type : LogType
        ``"text"`` (free text), ``"choice"`` (one of ``choices``) or ``"scale"`` (0-10).
    label : str
        Cue id of the question; a choice's options have cue ids ``f"{label}.{choice}"``.
    choices : tuple of str
        Options of a choice field.
    required : bool
        Whether the step needs an answer to continue (all fields are optional by default).
    """

    id: str
    type: LogType
    label: str
    choices: tuple[str, ...] = ()
    required: bool = False

    def cue_ids(self) -> tuple[str, ...]:
        """Cue ids of the label and each option."""
        return (self.label, *(f"{self.label}.{c}" for c in self.choices))


LOG_NOTE: Final = LogField("note", "text", "log.note")


# --- builders -------------------------------------------------------------------------------------
def _whole_breaths_s(minutes: float, pattern: BreathPattern) -> float:
    """``minutes`` rounded to the nearest whole number of breath cycles (at least one), in s.

    A paced stretch that ends mid-breath would cut an out-breath short; ending on a full cycle
    differs from the asked time by at most half a cycle (10 s at the slowest rate).
    """
    cycles = max(1, math.floor(to_ms(minutes * 60.0) / pattern.cycle_ms + 0.5))
    return cycles * pattern.cycle_ms / 1000


def _breathing(p: Mapping[str, ParamValue]) -> list[Step]:
    """PROGRAM.md 1: hand on chest and belly, in through the nose, out about twice as long,
    2-5 minutes; SAFETY.md: coach "low and slow", smaller breaths (beginners over-breathe)."""
    pattern = BreathPattern(
        inhale_s=float(p["inhale_s"]),
        exhale_s=float(p["exhale_s"]),
        hold_in_s=float(p["hold_in_s"]),
        hold_out_s=float(p["hold_out_s"]),
    )
    return [
        Step("prepare", "prepare", None, "breathing.prepare"),
        Step(
            "breathe",
            "do",
            _whole_breaths_s(float(p["minutes"]), pattern),
            "breathing.do",
            pattern=pattern,
        ),
        Step("finish", "finish", None, "breathing.finish"),
    ]


def _cold_water(p: Mapping[str, ParamValue]) -> list[Step]:
    """PROGRAM.md 2: face 5-10 s or shower 20-30 s, 2-3 rounds, start gently. SAFETY.md: seated,
    cool (10-15 C) not ice water, start at 10-15 s, no breath-holds: the face round is cool water
    splashed or a wet cloth, so the person keeps breathing (no immersion)."""
    mode = str(p["mode"])
    round_s = float(p["round_s"])
    lo, hi = COLD_FACE_S if mode == "face" else COLD_SHOWER_S
    if not lo <= round_s <= hi:
        raise UserError(
            f"cold-water: round_s = {round_s:g} is outside the allowed {lo:g}-{hi:g} s "
            f"for mode {mode!r}"
        )
    rounds = int(p["rounds"])
    prepare = "cold-water.prepare" if mode == "face" else "cold-water.prepare_shower"
    steps = [Step("prepare", "prepare", None, prepare, data={"mode": mode})]
    for r in range(1, rounds + 1):
        steps.append(
            Step(f"round-{r}", "do", round_s, f"cold-water.{mode}", round=r, data={"mode": mode})
        )
        if r < rounds:
            steps.append(Step(f"rest-{r}", "rest", float(p["rest_s"]), "cold-water.rest", round=r))
    steps.append(Step("finish", "finish", None, "cold-water.finish"))
    return steps


def _humming(p: Mapping[str, ParamValue]) -> list[Step]:
    """PROGRAM.md 3: breathe in deeply, hum a low "mmm" on the out-breath, 1-3 minutes; the
    pacer paces it (hum during the exhale phase)."""
    pattern = BreathPattern(inhale_s=float(p["inhale_s"]), exhale_s=float(p["exhale_s"]))
    return [
        Step("prepare", "prepare", None, "humming.prepare"),
        Step(
            "hum",
            "do",
            _whole_breaths_s(float(p["minutes"]), pattern),
            "humming.do",
            pattern=pattern,
            data={"sound_on": "exhale"},
        ),
        Step("finish", "finish", None, "humming.finish"),
    ]


#: (step id, kind, cue id). Single-plane movements in a pain-free range and chin nods rather than
#: head rolls through end-range extension-rotation; massage of the skull base, behind the ears and
#: the back of the neck only, never the front (carotid sinus) (SAFETY.md, neck).
_NECK_PARTS: Final[tuple[tuple[str, Literal["repeat", "do"], str], ...]] = (
    ("chin-nods", "repeat", "neck.nod"),
    ("turn", "repeat", "neck.turn"),
    ("tilt", "repeat", "neck.tilt"),
    ("massage-skull-base", "do", "neck.massage_skull"),
    ("massage-behind-ears", "do", "neck.massage_ears"),
    ("massage-back-of-neck", "do", "neck.massage_back"),
)


def _neck(p: Mapping[str, ParamValue]) -> list[Step]:
    """PROGRAM.md 4 (sit upright, move the head slowly side to side, massage the skull base,
    behind the ears and down to the root of the neck, breathe deeply), made safer per SAFETY.md:
    no full circles, one plane at a time, back of the neck only."""
    part_s = float(p["minutes"]) * 60.0 / len(_NECK_PARTS)
    steps = [Step("prepare", "prepare", None, "neck.prepare")]
    for step_id, kind, cue in _NECK_PARTS:
        data: dict[str, object] = {}
        if kind == "repeat":
            data["reps"] = max(1, math.floor(part_s / NECK_MOVE_PACE_S))
        steps.append(Step(step_id, kind, part_s, cue, data=data))
    steps.append(Step("finish", "finish", None, "neck.finish"))
    return steps


#: The laughter log: what was done (for "what works for whom"), how much laughing, a note.
LAUGHTER_LOG: Final[tuple[LogField, ...]] = (
    LogField("what", "choice", "log.what", choices=("video", "talk", "company", "other")),
    LogField("laughed", "scale", "log.laughed"),
    LOG_NOTE,
)


def _laughter(p: Mapping[str, ParamValue]) -> list[Step]:
    """PROGRAM.md 5: a funny video, a talk with someone you like; a timer, then a log.
    SAFETY.md: in ME/CFS laughter counts as exertion (the plan doses it like activity)."""
    return [
        Step("prepare", "prepare", None, "laughter.prepare"),
        Step("laugh", "do", float(p["minutes"]) * 60.0, "laughter.do"),
        Step("log", "finish", None, "laughter.log", data={"log": LAUGHTER_LOG}),
    ]


def _meditation(p: Mapping[str, ParamValue]) -> list[Step]:
    """PROGRAM.md 6: follow the breath, then three things you are grateful for. SAFETY.md
    (trauma-sensitive design): short, eyes-open option (the default), an external anchor (a spot
    on the floor), explicit permission to stop, and a grounding exit."""
    cue = "meditation.breath_open" if p["eyes"] == "open" else "meditation.breath_closed"
    steps = [
        Step("prepare", "prepare", None, "meditation.prepare", data={"eyes": p["eyes"]}),
        Step("breath-focus", "do", float(p["minutes"]) * 60.0, cue),
    ]
    gratitude_log = (LogField("gratitude", "text", "log.gratitude", required=True),)
    for r in range(1, int(p["gratitude"]) + 1):
        steps.append(
            Step(
                f"gratitude-{r}",
                "do",
                None,
                "meditation.gratitude",
                round=r,
                data={"log": gratitude_log},
            )
        )
    steps.append(Step("grounding", "finish", None, "meditation.grounding"))
    return steps


def _activity(p: Mapping[str, ParamValue]) -> list[Step]:
    """PROGRAM.md 7: a calm walk, simple yoga or relaxation; calm flow, not a high pulse; even
    10 minutes a day. SAFETY.md: orthostatic intolerance starts lying or seated (kind
    ``seated``); the kind is logged with the session."""
    kind = str(p["kind"])
    return [
        Step("prepare", "prepare", None, "activity.prepare", data={"kind": kind}),
        Step("activity", "do", float(p["minutes"]) * 60.0, f"activity.{kind}", data={"kind": kind}),
        Step("log", "finish", None, "activity.finish", data={"kind": kind, "log": (LOG_NOTE,)}),
    ]


_BUILDERS: Final[Mapping[str, Callable[[Mapping[str, ParamValue]], list[Step]]]] = {
    "breathing": _breathing,
    "cold-water": _cold_water,
    "humming": _humming,
    "neck": _neck,
    "laughter": _laughter,
    "meditation": _meditation,
    "activity": _activity,
}


def build_steps(exercise_id: str, **params: object) -> list[Step]:
    """The step program of an exercise.

    Parameters
    ----------
    exercise_id : str
        One of :data:`EXERCISE_IDS`.
    **params
        Parameters from :func:`param_specs`; missing ones take their default.

    Returns
    -------
    list of Step
        Ready for :class:`~vagus.program.session.GuidedSession`.

    Raises
    ------
    ValueError
        An unknown exercise or parameter, or a value outside its range (the message names the
        parameter, the value and the allowed range); a breathing pattern outside 3-12
        breaths/min raises :class:`~vagus.program.pacer.PacerError`, also a ValueError.

    >>> [s.id for s in build_steps("cold-water", rounds=3)]
    ['prepare', 'round-1', 'rest-1', 'round-2', 'rest-2', 'round-3', 'finish']
    >>> build_steps("cold-water", mode="shower", round_s=40)
    Traceback (most recent call last):
    ...
    vagus.errors.UserError: cold-water: round_s = 40 is outside the allowed 5-30 s
    """
    checked = validate_params(exercise_id, params)
    return _BUILDERS[exercise_id](checked)


def total_duration_s(steps: Iterable[Step]) -> float:
    """Sum of the timed steps' lengths in seconds (untimed steps count 0).

    >>> total_duration_s(build_steps("cold-water"))  # 2 rounds of 10 s and one 30 s rest
    50.0
    """
    return float(sum(s.duration_s for s in steps if s.duration_s is not None))


def default_minutes(exercise_id: str) -> float:
    """Timed minutes of the default program of an exercise.

    >>> default_minutes("activity"), default_minutes("neck")
    (10.0, 3.0)
    """
    return total_duration_s(build_steps(exercise_id)) / 60.0


def cue_ids(steps: Iterable[Step]) -> set[str]:
    """Every cue id a program shows: step cues, pacer phase cues, log labels and options."""
    out: set[str] = set()
    for s in steps:
        out.add(s.cue)
        if s.pattern is not None:
            out.update(
                PHASE_CUES[ph]
                for ph, ms in zip(PHASES, s.pattern.durations_ms(), strict=True)
                if ms
            )
        log = s.data.get("log", ())
        if isinstance(log, tuple):
            for f in log:
                if isinstance(f, LogField):
                    out.update(f.cue_ids())
    return out


# --- cue texts ------------------------------------------------------------------------------------
def parse_cues(text: str, source: str = "cues.toml") -> dict[str, dict[Lang, str]]:
    """Parse and check a cue file.

    Parameters
    ----------
    text : str
        TOML: one table per cue id with exactly the keys ``nb`` and ``en``.
    source : str
        Name used in error messages.

    Returns
    -------
    dict
        ``{cue_id: {"nb": ..., "en": ...}}``.

    Raises
    ------
    CueError
        Invalid TOML (with tomllib's line and column), a value that is not a table, a bad cue id,
        an unknown key, a missing translation, or an empty or overlong text.

    >>> parse_cues('["x.y"]\\nnb = "Hei"\\nen = "Hi"\\n')
    {'x.y': {'nb': 'Hei', 'en': 'Hi'}}
    >>> parse_cues('["x.y"]\\nnb = "Hei"\\nde = "Hallo"\\n')
    Traceback (most recent call last):
    ...
    vagus.program.exercises.CueError: cues.toml: cue 'x.y': unknown key 'de' (expected nb, en)
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CueError(f"{source}: not valid TOML: {exc}") from exc
    out: dict[str, dict[Lang, str]] = {}
    for cue_id, table in raw.items():
        where = f"{source}: cue {cue_id!r}"
        if not _CUE_ID.match(cue_id):
            raise CueError(f"{where}: a cue id is lower-case words joined by '.', '-' or '_'")
        if not isinstance(table, dict):
            raise CueError(f"{where}: expected a table with nb and en, got {table!r}")
        for key in table:
            if key not in LANGS:
                raise CueError(f"{where}: unknown key {key!r} (expected {', '.join(LANGS)})")
        texts: dict[Lang, str] = {}
        for lang in LANGS:
            if lang not in table:
                raise CueError(f"{where}: missing the {lang} text")
            value = table[lang]
            if not isinstance(value, str) or not value.strip():
                raise CueError(f"{where}: {lang} must be a non-empty string, got {value!r}")
            if len(value) > MAX_CUE_CHARS:
                raise CueError(
                    f"{where}: {lang} has {len(value)} characters; a cue has at most "
                    f"{MAX_CUE_CHARS}"
                )
            texts[lang] = value
        out[cue_id] = texts
    return out


@functools.cache
def load_cues() -> Mapping[str, Mapping[Lang, str]]:
    """The package's cue texts (``program/data/cues.toml``), read once."""
    resource = importlib.resources.files("vagus.program").joinpath(CUES_RESOURCE)
    return parse_cues(resource.read_text(encoding="utf-8"), source=f"vagus/program/{CUES_RESOURCE}")


def cue_text(cue_id: str, lang: Lang) -> str:
    """The text of a cue in ``lang``.

    Raises
    ------
    CueError
        The cue id is not in the cue file.
    """
    cues = load_cues()
    if cue_id not in cues:
        raise CueError(f"unknown cue id {cue_id!r}")
    return cues[cue_id][lang]
