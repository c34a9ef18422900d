"""The gradual plan: today's exercises and doses, from rules that are data.

PROGRAM.md: start small, build tolerance, do not take up every measure at once; people with
ME/CFS or fibromyalgia can be set back by too much, so the dose follows the symptoms. SAFETY.md:
in ME/CFS no fixed increments (NICE NG206), start below the person's baseline, and look for
post-exertional worsening 12-72 hours later. vagus applies rules that the person or their
clinician can read and change (``program/data/plan_rules.toml``) and says in plain words, with the
numbers, why each dose is what it is; it does not decide treatment. The wording of those reasons,
in nb and en, is in ``program/data/plan_messages.toml``.

Inputs are plain values (no database): screening status per exercise, the current plan (the
previous day's :meth:`TodayPlan.current`), recent :class:`~vagus.program.checkin.CheckIn` s,
recent :class:`SessionOutcome` s, the profile mode and :class:`Overrides`. Output:
:class:`TodayPlan`. The function is pure and deterministic.

How a day is judged. Each check-in rating is turned so that higher is worse (``10 - sleep``;
:mod:`vagus.program.checkin`) and compared with the person's **usual**: the median of that
rating over the check-ins of the ``baseline_days`` days before. A rating ``worse_points`` or more
above usual makes a **worse** day; a day with a usual and nothing worse is **steady**; a day with
too few earlier check-ins to know the usual is **unknown** (neither).

What happens to an exercise already in the plan, in this order (first match wins):

1. screening ``stop`` -> excluded; ``clinician`` -> pending until ``cleared``; not screened ->
   excluded; left out by an override -> excluded; a fixed dose -> that dose.
2. above its ceiling (a lowered max dose, or the ME/CFS baseline) -> down to the ceiling.
3. a stop-rule symptom in one of its sessions since the last change -> one step down.
4. a worse day within ``undo_increase_within_days`` after a rise -> the rise is undone.
5. a worse check-in ``post_session_window_h`` hours after one of its sessions -> step down
   (ME/CFS: post-exertional worsening).
6. ``worse_days_to_step_back`` worse check-ins in a row -> step down; one worse day -> kept.
7. held (override) or no recent check-in -> kept.
8. ``stable_days_to_increase`` steady check-ins in a row and ``min_sessions_to_increase``
   sessions since the last change, below the ceiling -> up (a step, or in ME/CFS half the way
   to the ceiling), at most ``max_increases_per_day`` rises or additions per day.

>>> from datetime import date
>>> plan = plan_today(date(2025, 3, 3), {"breathing": "ok", "humming": "ok", "cold-water": "stop"},
...                   current=(), checkins=(), outcomes=())
>>> [(i.exercise_id, i.dose, i.status) for i in plan.items]
[('breathing', 2.0, 'new'), ('humming', 1.0, 'new')]
>>> plan.items[0].reason("en")
'new: starting at 2 minutes, a small dose to begin with'
>>> [i.exercise_id for i in plan.excluded]  # "stop", and those not screened yet
['meditation', 'neck', 'activity', 'laughter', 'cold-water']
>>> plan.excluded[-1].reason("en")
'not in the plan: your screening answers say this exercise is not for you now'
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import statistics
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Literal, cast

from vagus.errors import UserError
from vagus.program.checkin import FIELDS, HIGHER_IS_BETTER, LABELS_DEFINITE, CheckIn, Field
from vagus.program.exercises import EXERCISE_IDS, PARAM_SPECS
from vagus.program.i18n import Lang, Messages, data_dir, load_messages

ScreeningStatus = Literal["ok", "adapt", "clinician", "cleared", "stop"]
SCREENING_STATUSES: Final[tuple[ScreeningStatus, ...]] = (
    "ok",
    "adapt",
    "clinician",
    "cleared",
    "stop",
)
#: Screening answers that allow an exercise in the plan ("adapt": with the screening's changes).
ALLOWED: Final[frozenset[ScreeningStatus]] = frozenset({"ok", "adapt", "cleared"})
Mode = Literal["standard", "mecfs"]
MODES: Final[tuple[Mode, ...]] = ("standard", "mecfs")
Status = Literal["new", "increase", "keep", "decrease", "fixed", "clinician", "excluded"]
SetBy = Literal["person", "clinician"]
DoseUnit = Literal["min", "rounds"]
RULES_RESOURCE: Final[str] = "data/plan_rules.toml"
#: The plan's reasons and notices in nb and en (``program/data/plan_messages.toml``).
MESSAGES_FILE: Final[str] = "plan_messages.toml"
RULES_SCHEMA: Final[int] = 1
#: Doses are compared after rounding to this many decimals, so 0.1 + 0.2 style float noise never
#: turns "at the ceiling" into "just below it".
DOSE_DECIMALS: Final[int] = 6
SECONDS_PER_HOUR: Final[float] = 3600.0


class PlanError(UserError):
    """Bad plan input or rules (the message names the field or key and what was expected)."""


# --- inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanEntry:
    """One exercise in the current plan (as :meth:`TodayPlan.current` returns it).

    Attributes
    ----------
    exercise_id : str
        The exercise.
    dose : float
        Minutes or rounds (the unit is the rules' ``unit`` for the exercise).
    started : date
        First day the exercise was in the plan.
    since : date
        Day the dose was last set (``started`` until the first change).
    previous_dose : float or None
        The dose before the last change (to undo a rise).
    last_change : Status
        What the last change was (``"new"``, ``"increase"``, ``"decrease"``, ``"fixed"``).
    """

    exercise_id: str
    dose: float
    started: date
    since: date
    previous_dose: float | None = None
    last_change: Status = "new"


@dataclass(frozen=True)
class SessionOutcome:
    """A session as the journal recorded it.

    Attributes
    ----------
    at : datetime
        When the session started (naive or aware, like the check-ins' times).
    exercise_id : str
        The exercise.
    completed : bool
        The program ran to its end (not aborted).
    stop_symptoms : tuple of str
        Ids of stop-rule symptoms the person noted during or right after it (empty if none).
    """

    at: datetime
    exercise_id: str
    completed: bool = True
    stop_symptoms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExerciseOverride:
    """Choices the person or their clinician made for one exercise; they beat the rules.

    Attributes
    ----------
    fixed_dose : float or None
        Always this dose; the plan never changes it.
    excluded : bool
        Keep the exercise out of the plan.
    max_dose : float or None
        Never above this.
    step : float or None
        Step for rises and step-downs instead of the rules' step.
    hold : bool
        No rises (step-downs after worse days still happen).
    baseline : float or None
        ME/CFS mode: the dose the person manages now without worsening; the plan stays below it.
    set_by : SetBy
        ``"person"`` or ``"clinician"`` (named in the reasons).
    """

    fixed_dose: float | None = None
    excluded: bool = False
    max_dose: float | None = None
    step: float | None = None
    hold: bool = False
    baseline: float | None = None
    set_by: SetBy = "person"


@dataclass(frozen=True)
class Overrides:
    """All overrides: per exercise, a hold on the whole plan, and exercises to add now.

    ``readiness_hold`` is the one way morning HRV reaches the plan (issue 13): a rule the
    person or clinician (``readiness_set_by``) turns on, under which no dose rises and no
    exercise is added while this week's morning HRV is below their normal range. Off, the
    plan never looks at HRV.
    """

    exercises: Mapping[str, ExerciseOverride] = field(default_factory=dict)
    hold_all: bool = False
    include: tuple[str, ...] = ()
    set_by: SetBy = "person"
    readiness_hold: bool = False
    readiness_set_by: SetBy = "person"


# --- rules ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckinRules:
    """How a check-in day is judged (see ``plan_rules.toml``)."""

    worse_points: float
    baseline_days: int
    min_baseline_checkins: int
    max_age_days: int


@dataclass(frozen=True)
class ModeRules:
    """The plan's behaviour in one profile mode (see ``plan_rules.toml``)."""

    start_exercises: int
    stable_days_to_increase: int
    min_sessions_to_increase: int
    increase: Literal["step", "halfway"]
    ceiling: Literal["max", "below_baseline"]
    baseline_fraction: float
    undo_increase_within_days: int
    post_session_window_h: tuple[float, float] | None
    worse_days_to_step_back: int
    decrease: Literal["step", "fraction"]
    decrease_fraction: float
    add_every_days: int
    max_exercises: int
    max_increases_per_day: int
    worse_days_notice: int


@dataclass(frozen=True)
class ExerciseRules:
    """The dose of one exercise (see ``plan_rules.toml``)."""

    param: str
    unit: DoseUnit
    start: float
    step: float
    min: float
    max: float
    grain: float


@dataclass(frozen=True)
class PlanRules:
    """Everything in ``plan_rules.toml``, checked."""

    order: tuple[str, ...]
    checkins: CheckinRules
    modes: Mapping[Mode, ModeRules]
    exercises: Mapping[str, ExerciseRules]


class _Table:
    """A TOML table read key by key; :meth:`done` refuses keys nobody asked for."""

    def __init__(self, raw: object, where: str) -> None:
        if not isinstance(raw, dict):
            raise PlanError(f"{where}: expected a table, got {raw!r}")
        self.raw: dict[str, object] = raw
        self.where = where
        self.seen: set[str] = set()

    def get(self, key: str) -> object:
        if key not in self.raw:
            raise PlanError(f"{self.where}: missing key {key!r}")
        self.seen.add(key)
        return self.raw[key]

    def integer(self, key: str, lo: int = 0) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise PlanError(f"{self.where}: {key} must be a whole number >= {lo}, got {value!r}")
        return value

    def number(self, key: str, lo: float = 0.0, *, strict: bool = False) -> float:
        value = self.get(key)
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if bad or not math.isfinite(float(cast(float, value))):
            raise PlanError(f"{self.where}: {key} must be a number, got {value!r}")
        number = float(cast(float, value))
        if number < lo or (strict and number == lo):
            sign = ">" if strict else ">="
            raise PlanError(f"{self.where}: {key} must be {sign} {lo:g}, got {number:g}")
        return number

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.get(key)
        if value not in choices:
            raise PlanError(
                f"{self.where}: {key} must be one of {', '.join(choices)}, got {value!r}"
            )
        return str(value)

    def done(self) -> None:
        extra = sorted(set(self.raw) - self.seen)
        if extra:
            raise PlanError(f"{self.where}: unknown key {extra[0]!r}")


def parse_rules(text: str, source: str = "plan_rules.toml") -> PlanRules:
    """Parse and check plan rules.

    Raises
    ------
    PlanError
        Invalid TOML (with tomllib's line and column), a missing or unknown key, a value of the
        wrong type or range, an exercise missing from ``order`` or ``[exercises]``, or dose
        bounds outside the exercise's own parameter range (naming the table and key).
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from exc
    top = _Table(raw, source)
    if top.get("schema") != RULES_SCHEMA:
        raise PlanError(f"{source}: schema must be {RULES_SCHEMA}, got {raw.get('schema')!r}")
    order_raw = top.get("order")
    if not isinstance(order_raw, list) or sorted(map(str, order_raw)) != sorted(EXERCISE_IDS):
        raise PlanError(
            f"{source}: order must list every exercise once ({', '.join(EXERCISE_IDS)}), "
            f"got {order_raw!r}"
        )
    order = tuple(str(x) for x in order_raw)

    c = _Table(top.get("checkins"), f"{source} [checkins]")
    checkins = CheckinRules(
        worse_points=c.number("worse_points", 0.0, strict=True),
        baseline_days=c.integer("baseline_days", 1),
        min_baseline_checkins=c.integer("min_baseline_checkins", 1),
        max_age_days=c.integer("max_age_days", 0),
    )
    c.done()

    modes_t = _Table(top.get("modes"), f"{source} [modes]")
    modes: dict[Mode, ModeRules] = {}
    for mode in MODES:
        m = _Table(modes_t.get(mode), f"{source} [modes.{mode}]")
        window_raw = m.get("post_session_window_h")
        window: tuple[float, float] | None = None
        if not isinstance(window_raw, list) or len(window_raw) not in (0, 2):
            raise PlanError(f"{m.where}: post_session_window_h must be [] or [from, to] hours")
        if window_raw:
            lo, hi = (float(x) for x in window_raw)
            if not 0 <= lo < hi:
                raise PlanError(f"{m.where}: post_session_window_h needs 0 <= from < to")
            window = (lo, hi)
        modes[mode] = ModeRules(
            start_exercises=m.integer("start_exercises", 1),
            stable_days_to_increase=m.integer("stable_days_to_increase", 1),
            min_sessions_to_increase=m.integer("min_sessions_to_increase", 0),
            increase=cast(Literal["step", "halfway"], m.choice("increase", ("step", "halfway"))),
            ceiling=cast(
                Literal["max", "below_baseline"], m.choice("ceiling", ("max", "below_baseline"))
            ),
            baseline_fraction=m.number("baseline_fraction", 0.0, strict=True),
            undo_increase_within_days=m.integer("undo_increase_within_days", 0),
            post_session_window_h=window,
            worse_days_to_step_back=m.integer("worse_days_to_step_back", 1),
            decrease=cast(Literal["step", "fraction"], m.choice("decrease", ("step", "fraction"))),
            decrease_fraction=m.number("decrease_fraction", 0.0, strict=True),
            add_every_days=m.integer("add_every_days", 0),
            max_exercises=m.integer("max_exercises", 1),
            max_increases_per_day=m.integer("max_increases_per_day", 0),
            worse_days_notice=m.integer("worse_days_notice", 1),
        )
        if modes[mode].baseline_fraction > 1 or modes[mode].decrease_fraction > 1:
            raise PlanError(f"{m.where}: baseline_fraction and decrease_fraction must be <= 1")
        m.done()
    modes_t.done()

    ex_t = _Table(top.get("exercises"), f"{source} [exercises]")
    exercises: dict[str, ExerciseRules] = {}
    for ex in EXERCISE_IDS:
        e = _Table(ex_t.get(ex), f"{source} [exercises.{ex}]")
        specs = {p.name: p for p in PARAM_SPECS[ex]}
        param = e.get("param")
        if param not in specs or specs[str(param)].choices:
            numeric = [n for n, p in specs.items() if not p.choices]
            raise PlanError(
                f"{e.where}: param must be a numeric parameter of {ex} "
                f"({', '.join(numeric)}), got {param!r}"
            )
        spec = specs[str(param)]
        unit = e.choice("unit", ("min", "rounds"))
        if unit != spec.unit:
            raise PlanError(f"{e.where}: unit must be {spec.unit!r} (the unit of {ex}.{param})")
        rules = ExerciseRules(
            param=str(param),
            unit=cast(DoseUnit, unit),
            start=e.number("start", 0.0, strict=True),
            step=e.number("step", 0.0, strict=True),
            min=e.number("min", 0.0, strict=True),
            max=e.number("max", 0.0, strict=True),
            grain=e.number("grain", 0.0, strict=True),
        )
        e.done()
        assert spec.min is not None  # a numeric spec has both bounds
        assert spec.max is not None
        if not spec.min <= rules.min <= rules.start <= rules.max <= spec.max:
            raise PlanError(
                f"{e.where}: need {spec.min:g} <= min <= start <= max <= {spec.max:g} "
                f"(the range of {ex}.{param}), got min {rules.min:g}, start {rules.start:g}, "
                f"max {rules.max:g}"
            )
        exercises[ex] = rules
    ex_t.done()
    top.done()
    return PlanRules(order=order, checkins=checkins, modes=modes, exercises=exercises)


@functools.cache
def load_rules() -> PlanRules:
    """The package's rules (``program/data/plan_rules.toml``), read once."""
    resource = importlib.resources.files("vagus.program").joinpath(RULES_RESOURCE)
    return parse_rules(
        resource.read_text(encoding="utf-8"), source=f"vagus/program/{RULES_RESOURCE}"
    )


# --- output ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    """One sentence in both languages."""

    nb: str
    en: str

    def __call__(self, lang: Lang) -> str:
        """The sentence in ``lang``."""
        return self.nb if lang == "nb" else self.en


@dataclass(frozen=True)
class PlanItem:
    """One exercise of today's plan, with why.

    Attributes
    ----------
    exercise_id : str
        The exercise.
    dose : float
        Minutes or rounds (see ``unit``); for a pending exercise, the dose it will start at.
    unit : DoseUnit
        ``"min"`` or ``"rounds"``.
    param : str
        The :func:`~vagus.program.exercises.build_steps` parameter the dose sets.
    status : Status
        ``"new"``, ``"increase"``, ``"keep"``, ``"decrease"``, ``"fixed"`` (to do today),
        ``"clinician"`` (pending clearance) or ``"excluded"``.
    screening : ScreeningStatus or None
        The screening answer (None: not screened).
    text : Text
        The reason, one sentence in nb and en, with the numbers.
    """

    exercise_id: str
    dose: float
    unit: DoseUnit
    param: str
    status: Status
    screening: ScreeningStatus | None
    text: Text
    entry: PlanEntry | None = field(default=None, repr=False, compare=False)

    def reason(self, lang: Lang) -> str:
        """The reason in ``lang``."""
        return self.text(lang)

    def params(self) -> dict[str, float | int]:
        """Keyword arguments for :func:`~vagus.program.exercises.build_steps`."""
        return {self.param: int(self.dose) if self.unit == "rounds" else self.dose}


@dataclass(frozen=True)
class TodayPlan:
    """Today's plan.

    Attributes
    ----------
    day : date
        The day planned.
    mode : Mode
        The profile mode used.
    items : tuple of PlanItem
        To do today, in the rules' order.
    pending : tuple of PlanItem
        Marked "ask your clinician first" until the screening says ``cleared``.
    excluded : tuple of PlanItem
        Not in the plan, with why (screening ``stop``, left out, not screened).
    notices : tuple of Text
        Plan-wide messages (worse several days in a row, no recent check-in).
    """

    day: date
    mode: Mode
    items: tuple[PlanItem, ...]
    pending: tuple[PlanItem, ...] = ()
    excluded: tuple[PlanItem, ...] = ()
    notices: tuple[Text, ...] = ()

    def current(self) -> tuple[PlanEntry, ...]:
        """The plan to pass as ``current`` tomorrow."""
        return tuple(i.entry for i in self.items if i.entry is not None)

    def dose(self, exercise_id: str) -> float | None:
        """Today's dose of an exercise, None if it is not among today's items."""
        for i in self.items:
            if i.exercise_id == exercise_id:
                return i.dose
        return None


# --- wording --------------------------------------------------------------------------------------
@functools.cache
def plan_messages() -> Messages:
    """The plan's reasons and notices (``program/data/plan_messages.toml``), read once.

    >>> plan_messages().texts["who.clinician"].en
    'your clinician'
    """
    return load_messages(data_dir() / MESSAGES_FILE)


def _msg(key: str, **fields: str | int | Text) -> Text:
    """Message ``key`` of ``plan_messages.toml`` in both languages, with ``fields`` filled in.

    A field is the same in both languages (a count), or a :class:`Text` (a dose, a name).

    >>> _msg("new.start", dose=_dose(2.0, "min"))
    Text(nb='ny: starter på 2 minutter, en liten dose til å begynne med', \
en='new: starting at 2 minutes, a small dose to begin with')
    """
    try:
        template = plan_messages().texts[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in {MESSAGES_FILE}") from None

    def fill(lang: Lang, text: str) -> str:
        values = {k: v(lang) if isinstance(v, Text) else v for k, v in fields.items()}
        try:
            return text.format(**values)
        except KeyError as exc:
            raise KeyError(f"message {key!r} needs the field {exc.args[0]!r}") from None

    return Text(fill("nb", template.nb), fill("en", template.en))


def _who(set_by: SetBy) -> Text:
    """Who set an override: "you" or "your clinician"."""
    return _msg("who.clinician") if set_by == "clinician" else _msg("who.person")


def _num(x: float, lang: Lang) -> str:
    s = f"{round(x, 2):g}"
    return s.replace(".", ",") if lang == "nb" else s


def _number(x: float) -> Text:
    """A number as each language writes it (a decimal comma in nb)."""
    return Text(_num(x, "nb"), _num(x, "en"))


def _dose(x: float, unit: DoseUnit) -> Text:
    """A dose with its unit in both languages: "2,5 minutter" / "2.5 minutes"."""
    number = _number(x)
    one = math.isclose(x, 1.0)
    if unit == "min":
        return _msg("dose.minute", number=number) if one else _msg("dose.minutes", number=number)
    return _msg("dose.round", number=number) if one else _msg("dose.rounds", number=number)


def _when(d: date, today: date) -> Text:
    days = (today - d).days
    if days == 0:
        return _msg("when.today")
    if days == 1:
        return _msg("when.yesterday")
    return _msg("when.days_ago", days=days)


# --- check-in days --------------------------------------------------------------------------------
@dataclass(frozen=True)
class DayJudgement:
    """A check-in day judged against the person's usual.

    ``kind`` is ``"worse"``, ``"steady"`` or ``"unknown"``; ``field``, ``value`` and ``usual``
    name the rating that rose most (the rating as entered, and the usual on the same scale).
    """

    day: date
    at: datetime
    kind: Literal["worse", "steady", "unknown"]
    field: Field | None = None
    value: int | None = None
    usual: float | None = None

    def says(self, today: date, lang: Lang) -> str:
        """``"fatigue was 7 yesterday (usually 4)"`` for a worse day."""
        return self.text(today)(lang)

    def text(self, today: date) -> Text:
        """:meth:`says` in both languages."""
        assert self.field is not None
        assert self.value is not None
        assert self.usual is not None
        labels = LABELS_DEFINITE[self.field]
        return _msg(
            "worse_day",
            rating=Text(labels["nb"], labels["en"]),
            value=self.value,
            when=_when(self.day, today),
            usual=_number(self.usual),
        )


def judge_days(checkins: Sequence[CheckIn], today: date, rules: CheckinRules) -> list[DayJudgement]:
    """Judge every check-in day up to ``today`` (the last check-in of a day counts), oldest first.

    >>> from datetime import datetime
    >>> rules = load_rules().checkins
    >>> days = [CheckIn(6, 2, 2, 2, 3, f, at=datetime(2025, 3, d, 8))
    ...         for d, f in [(1, 4), (2, 4), (3, 5), (4, 7)]]
    >>> judged = judge_days(days, date(2025, 3, 4), rules)
    >>> [j.kind for j in judged]  # three earlier check-ins are needed to know the usual
    ['unknown', 'unknown', 'unknown', 'worse']
    >>> judged[-1].says(date(2025, 3, 5), "nb")
    'utmattelsen var 7 i går (vanligvis 4)'
    """
    by_day: dict[date, CheckIn] = {}
    for c in sorted(checkins, key=lambda c: c.at):
        if c.at.date() <= today:
            by_day[c.at.date()] = c
    days = sorted(by_day)
    out: list[DayJudgement] = []
    for d in days:
        c = by_day[d]
        window_start = d - timedelta(days=rules.baseline_days)
        earlier = [by_day[e] for e in days if window_start <= e < d]
        if len(earlier) < rules.min_baseline_checkins:
            out.append(DayJudgement(d, c.at, "unknown"))
            continue
        best: tuple[float, Field, float] | None = None
        for name in FIELDS:
            usual_burden = statistics.median(e.burden(name) for e in earlier)
            rise = c.burden(name) - usual_burden
            if rise >= rules.worse_points and (best is None or rise > best[0]):
                best = (rise, name, usual_burden)
        if best is None:
            out.append(DayJudgement(d, c.at, "steady"))
        else:
            _, name, usual_burden = best
            usual = 10 - usual_burden if name in HIGHER_IS_BETTER else usual_burden
            out.append(DayJudgement(d, c.at, "worse", name, c.rating(name), float(usual)))
    return out


def _trailing(judged: Sequence[DayJudgement], kind: str) -> int:
    n = 0
    for j in reversed(judged):
        if j.kind != kind:
            break
        n += 1
    return n


# --- the plan -------------------------------------------------------------------------------------
def _round(x: float) -> float:
    return round(x, DOSE_DECIMALS)


def _floor_grain(x: float, grain: float) -> float:
    # The 1e-9 keeps 3.0 / 0.5 = 5.999999999 from flooring to 5.
    return _round(math.floor(x / grain + 1e-9) * grain)


@dataclass
class _Ctx:
    today: date
    rules: PlanRules
    mrules: ModeRules
    screening: Mapping[str, ScreeningStatus]
    overrides: Overrides
    judged: list[DayJudgement]
    outcomes: Sequence[SessionOutcome]
    recent: DayJudgement | None  # the latest check-in, if not older than max_age_days
    upward_left: int
    readiness: str | None = None  # this week's morning HRV status, when a rule asks for it

    @property
    def readiness_holds(self) -> bool:
        """The person's or clinician's readiness rule applies today."""
        return self.overrides.readiness_hold and self.readiness == "below"


def _ceiling(ex: str, ctx: _Ctx) -> tuple[float, Literal["max", "override", "baseline"]]:
    """Highest dose allowed today, and what sets it."""
    r = ctx.rules.exercises[ex]
    o = ctx.overrides.exercises.get(ex, ExerciseOverride())
    ceiling = r.max
    why: Literal["max", "override", "baseline"] = "max"
    if ctx.mrules.ceiling == "below_baseline":
        below = (
            _floor_grain(o.baseline * ctx.mrules.baseline_fraction, r.grain)
            if o.baseline is not None
            else r.start
        )
        if below < ceiling:
            ceiling, why = below, "baseline"
    if o.max_dose is not None and o.max_dose < ceiling:
        ceiling, why = o.max_dose, "override"
    return _round(ceiling), why


def _step_down(ex: str, dose: float, ctx: _Ctx) -> float:
    r = ctx.rules.exercises[ex]
    o = ctx.overrides.exercises.get(ex, ExerciseOverride())
    if ctx.mrules.decrease == "fraction":
        lower = _floor_grain(dose * ctx.mrules.decrease_fraction, r.grain)
    else:
        lower = _round(dose - (o.step if o.step is not None else r.step))
    return max(r.min, lower)


def _step_up(ex: str, dose: float, ceiling: float, ctx: _Ctx) -> float:
    r = ctx.rules.exercises[ex]
    o = ctx.overrides.exercises.get(ex, ExerciseOverride())
    if ctx.mrules.increase == "halfway":
        # Half the gap to the ceiling, on the grain; at least one grain; never past the ceiling.
        higher = max(_floor_grain(dose + (ceiling - dose) / 2, r.grain), _round(dose + r.grain))
    else:
        higher = _round(dose + (o.step if o.step is not None else r.step))
    return min(ceiling, higher)


def _hours(later: datetime, earlier: datetime) -> float:
    try:
        return (later - earlier).total_seconds() / SECONDS_PER_HOUR
    except TypeError as exc:
        raise PlanError(
            "check-in and session times must all carry a time zone, or all not"
        ) from exc


def _item(
    ex: str,
    dose: float,
    status: Status,
    ctx: _Ctx,
    text: Text,
    entry: PlanEntry | None,
) -> PlanItem:
    r = ctx.rules.exercises[ex]
    return PlanItem(ex, dose, r.unit, r.param, status, ctx.screening.get(ex), text, entry)


def _changed(entry: PlanEntry, dose: float, status: Status, ctx: _Ctx, text: Text) -> PlanItem:
    new_entry = PlanEntry(entry.exercise_id, dose, entry.started, ctx.today, entry.dose, status)
    return _item(entry.exercise_id, dose, status, ctx, text, new_entry)


def _kept(entry: PlanEntry, ctx: _Ctx, text: Text) -> PlanItem:
    return _item(entry.exercise_id, entry.dose, "keep", ctx, text, entry)


def _decide(entry: PlanEntry, ctx: _Ctx) -> tuple[PlanItem, bool]:
    """Today's item for an exercise in the plan, and whether it wants to go up (not yet applied).

    The second value is True only for a rise candidate; the caller applies the daily limit.
    """
    ex, dose, today = entry.exercise_id, entry.dose, ctx.today
    r = ctx.rules.exercises[ex]
    o = ctx.overrides.exercises.get(ex, ExerciseOverride())
    m = ctx.mrules

    def d(x: float) -> Text:
        return _dose(x, r.unit)

    def kept_because(key: str, **fields: str | int | Text) -> PlanItem:
        return _kept(entry, ctx, _msg(key, dose=d(dose), **fields))

    # 2. above the ceiling (a lowered max dose, or the ME/CFS baseline): an explicit choice
    ceiling, why = _ceiling(ex, ctx)
    if dose > ceiling:
        if why == "baseline" and o.baseline is not None:
            text = _msg("down.below_baseline", dose=d(ceiling), baseline=d(o.baseline))
        elif why == "baseline":
            text = _msg("down.no_baseline", dose=d(ceiling))
        else:
            text = _msg("down.most_set", dose=d(ceiling), who=_who(o.set_by))
        return _changed(entry, ceiling, "decrease", ctx, text), False

    # 3. a stop-rule symptom in one of its sessions since the last change
    stops = [
        s
        for s in ctx.outcomes
        if s.exercise_id == ex and s.stop_symptoms and entry.since <= s.at.date() < today
    ]
    if stops:
        last = max(stops, key=lambda s: s.at).at.date()
        lower = _step_down(ex, dose, ctx)
        if lower < dose:
            text = _msg("down.stop_symptom", dose=d(lower), when=_when(last, today))
            return _changed(entry, lower, "decrease", ctx, text), False
        return kept_because("kept.after_stop_symptom", when=_when(last, today)), False

    after = [j for j in ctx.judged if j.day > entry.since]
    worse_after = [j for j in after if j.kind == "worse"]

    # 4. a worse day soon after a rise undoes the rise
    if entry.last_change == "increase" and entry.previous_dose is not None:
        limit = entry.since + timedelta(days=m.undo_increase_within_days)
        early = [j for j in worse_after if j.day <= limit]
        if early:
            j = early[0]
            back = max(r.min, min(entry.previous_dose, dose))
            text = _msg(
                "back.undo_increase",
                dose=d(back),
                worse_day=j.text(today),
                days=m.undo_increase_within_days,
            )
            return _changed(entry, back, "decrease", ctx, text), False

    # 5. a worse check-in in the window after one of its sessions (post-exertional worsening)
    if m.post_session_window_h is not None:
        lo, hi = m.post_session_window_h
        for j in worse_after:
            hours = [
                _hours(j.at, s.at)
                for s in ctx.outcomes
                if s.exercise_id == ex and s.at.date() >= entry.since
            ]
            linked = [h for h in hours if lo <= h <= hi]
            if linked:
                lower = _step_down(ex, dose, ctx)
                h = round(min(linked))
                if lower < dose:
                    text = _msg(
                        "down.after_session", dose=d(lower), worse_day=j.text(today), hours=h
                    )
                    return _changed(entry, lower, "decrease", ctx, text), False
                return kept_because("kept.after_session", worse_day=j.text(today), hours=h), False

    # 6. worse check-ins in a row: step down; one worse day: keep
    in_a_row = _trailing(after, "worse")
    if in_a_row >= m.worse_days_to_step_back:
        j = after[-1]
        lower = _step_down(ex, dose, ctx)
        if lower < dose:
            text = _msg(
                "down.worse_in_a_row", dose=d(lower), days=in_a_row, worse_day=j.text(today)
            )
            return _changed(entry, lower, "decrease", ctx, text), False
    if after and after[-1].kind == "worse":
        return kept_because("kept.worse_day", worse_day=after[-1].text(today)), False

    # 7. held, or nothing to go on
    if o.hold or ctx.overrides.hold_all:
        who = _who(o.set_by if o.hold else ctx.overrides.set_by)
        return kept_because("kept.on_hold", who=who), False
    if ctx.readiness_holds:
        who = _who(ctx.overrides.readiness_set_by)
        return kept_because("kept.readiness_below", who=who), False
    if ctx.recent is None:
        if not ctx.judged:
            return kept_because("kept.no_checkin_yet"), False
        age = ctx.rules.checkins.max_age_days
        return kept_because("kept.no_recent_checkin", days=age), False

    # 8. steady long enough, enough sessions, below the ceiling: a rise candidate
    if dose >= ceiling:
        if why == "baseline" and o.baseline is not None:
            return kept_because("kept.below_baseline", baseline=d(o.baseline)), False
        if why == "baseline":
            return kept_because("kept.no_baseline"), False
        if why == "override":
            return kept_because("kept.most_set", who=_who(o.set_by)), False
        return kept_because("kept.plan_max"), False
    steady = _trailing(after, "steady")
    need = m.stable_days_to_increase
    if steady < need:
        return kept_because("kept.steady_days", steady=steady, need=need), False
    sessions = sum(
        1
        for s in ctx.outcomes
        if s.exercise_id == ex and s.completed and entry.since <= s.at.date() < today
    )
    if sessions < m.min_sessions_to_increase:
        return kept_because(
            "kept.sessions", sessions=sessions, need=m.min_sessions_to_increase
        ), False
    higher = _step_up(ex, dose, ceiling, ctx)
    if m.increase == "halfway":
        text = _msg("up.halfway", dose=d(higher), ceiling=d(ceiling), steady=steady)
    else:
        text = _msg("up.step", dose=d(higher), steady=steady, sessions=sessions)
    return _changed(entry, higher, "increase", ctx, text), True


def _start_dose(ex: str, ctx: _Ctx) -> tuple[float | None, Text]:
    """The first dose of an exercise, with why; None when it cannot start below the baseline."""
    r = ctx.rules.exercises[ex]
    o = ctx.overrides.exercises.get(ex, ExerciseOverride())

    def d(x: float) -> Text:
        return _dose(x, r.unit)

    ceiling, why = _ceiling(ex, ctx)
    dose = min(r.start, ceiling)
    if dose < r.min:
        if why == "baseline" and o.baseline is not None:
            return None, _msg(
                "not_started.not_below_baseline", smallest=d(r.min), baseline=d(o.baseline)
            )
        return None, _msg("not_started.most_set", who=_who(o.set_by), smallest=d(r.min))
    if why == "baseline" and o.baseline is not None:
        return dose, _msg("new.below_baseline", dose=d(dose), baseline=d(o.baseline))
    return dose, _msg("new.start", dose=d(dose))


def _check_inputs(
    screening: Mapping[str, ScreeningStatus],
    current: Sequence[PlanEntry],
    overrides: Overrides,
    mode: str,
    rules: PlanRules,
) -> None:
    if mode not in MODES:
        raise PlanError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    for ex, status in screening.items():
        if ex not in rules.exercises:
            raise PlanError(f"screening: unknown exercise {ex!r}")
        if status not in SCREENING_STATUSES:
            raise PlanError(
                f"screening[{ex!r}]: status must be one of {', '.join(SCREENING_STATUSES)}, "
                f"got {status!r}"
            )
    seen: set[str] = set()
    for e in current:
        if e.exercise_id not in rules.exercises:
            raise PlanError(f"current plan: unknown exercise {e.exercise_id!r}")
        if e.exercise_id in seen:
            raise PlanError(f"current plan: {e.exercise_id!r} is listed twice")
        seen.add(e.exercise_id)
        spec = {p.name: p for p in PARAM_SPECS[e.exercise_id]}[rules.exercises[e.exercise_id].param]
        lo, hi = spec.min or 0.0, spec.max or math.inf
        if not (math.isfinite(e.dose) and lo <= e.dose <= hi):
            raise PlanError(
                f"current plan: {e.exercise_id} dose = {e.dose!r} is outside the allowed "
                f"{lo:g}-{hi:g} {spec.unit}"
            )
    for ex in (*overrides.exercises, *overrides.include):
        if ex not in rules.exercises:
            raise PlanError(f"overrides: unknown exercise {ex!r}")
    for ex, o in overrides.exercises.items():
        spec = {p.name: p for p in PARAM_SPECS[ex]}[rules.exercises[ex].param]
        lo, hi = spec.min or 0.0, spec.max or math.inf
        if o.fixed_dose is not None and not lo <= o.fixed_dose <= hi:
            raise PlanError(
                f"overrides[{ex!r}].fixed_dose = {o.fixed_dose:g} is outside the allowed "
                f"{lo:g}-{hi:g} {spec.unit}"
            )
        if o.max_dose is not None and not lo <= o.max_dose <= hi:
            raise PlanError(
                f"overrides[{ex!r}].max_dose = {o.max_dose:g} is outside the allowed "
                f"{lo:g}-{hi:g} {spec.unit}"
            )
        for name in ("step", "baseline"):
            value = getattr(o, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise PlanError(f"overrides[{ex!r}].{name} must be > 0, got {value!r}")


def plan_today(
    today: date,
    screening: Mapping[str, ScreeningStatus],
    current: Sequence[PlanEntry],
    checkins: Sequence[CheckIn],
    outcomes: Sequence[SessionOutcome],
    mode: Mode = "standard",
    overrides: Overrides | None = None,
    rules: PlanRules | None = None,
    *,
    readiness: str | None = None,
) -> TodayPlan:
    """Today's plan (see the module docstring for the rules, and ``plan_rules.toml``).

    Parameters
    ----------
    today : date
        The day to plan. Check-ins up to and including today count; sessions count from the day
        of the last change up to yesterday (today's sessions follow today's plan).
    screening : Mapping[str, ScreeningStatus]
        Screening answer per exercise; an exercise not listed is not screened (excluded).
    current : Sequence[PlanEntry]
        The plan before today: yesterday's :meth:`TodayPlan.current`; empty for a new plan.
    checkins : Sequence[CheckIn]
        Recent check-ins (at least the last ``baseline_days`` + a few days).
    outcomes : Sequence[SessionOutcome]
        Recent sessions.
    mode : Mode
        ``"standard"`` or ``"mecfs"``.
    overrides : Overrides or None
        Choices of the person or the clinician.
    rules : PlanRules or None
        Defaults to the package's ``plan_rules.toml``.
    readiness : str or None
        This week's morning HRV against the person's normal range (``"below"``, ``"within"``,
        ``"above"``, ``"too-few"``; :mod:`vagus.insights`). Used only by the rule
        ``overrides.readiness_hold``.

    Returns
    -------
    TodayPlan
        Compute it once a day from yesterday's plan; the same inputs always give the same plan.

    Raises
    ------
    PlanError
        Unknown mode, exercise or screening status, a duplicate or non-positive current dose, or
        an override outside the exercise's range.
    """
    rules = rules if rules is not None else load_rules()
    overrides = overrides if overrides is not None else Overrides()
    _check_inputs(screening, current, overrides, mode, rules)
    mrules = rules.modes[mode]
    judged = judge_days(checkins, today, rules.checkins)
    recent = None
    if judged and (today - judged[-1].day).days <= rules.checkins.max_age_days:
        recent = judged[-1]
    ctx = _Ctx(
        today=today,
        rules=rules,
        mrules=mrules,
        screening=screening,
        overrides=overrides,
        judged=judged,
        outcomes=tuple(outcomes),
        recent=recent,
        upward_left=mrules.max_increases_per_day,
        readiness=readiness,
    )
    by_id = {e.exercise_id: e for e in current}
    items: list[PlanItem] = []
    pending: list[PlanItem] = []
    excluded: list[PlanItem] = []

    # Screening and overrides first: every exercise that may not be done is listed with why,
    # whether or not it was in the plan (a "stop" never reaches `items`).
    available: list[str] = []
    for ex in rules.order:
        gated = _gate(ex, ctx)
        if gated is None:
            available.append(ex)
        elif gated.status == "clinician":
            pending.append(gated)
        else:
            excluded.append(gated)

    # Exercises already in the plan, in the rules' order.
    candidates: list[int] = []  # indexes into `items` of exercises that want to go up
    for ex in available:
        if ex not in by_id:
            continue
        entry = by_id[ex]
        item = _fixed(ex, entry, ctx)
        if item is None:
            blocked = _cannot_start(ex, ctx)
            if blocked is not None:
                excluded.append(blocked)
                continue
            item, wants_up = _decide(entry, ctx)
            if wants_up:
                candidates.append(len(items))
        items.append(item)
    # One change upward at a time: the first candidates in the rules' order go up, the rest wait.
    for n, index in enumerate(candidates):
        if n < ctx.upward_left:
            continue
        entry = by_id[items[index].exercise_id]
        r = rules.exercises[entry.exercise_id]
        items[index] = _kept(entry, ctx, _msg("kept.one_change", dose=_dose(entry.dose, r.unit)))
    ctx.upward_left = max(0, ctx.upward_left - len(candidates))

    # Exercises the person chose to add now (their choice, so no daily limit applies).
    planned = {i.exercise_id for i in items} | {i.exercise_id for i in excluded}
    for ex in overrides.include:
        if ex in available and ex not in planned:
            _add(ex, None, ctx, items, excluded)
            planned.add(ex)

    # A new plan starts small; an established one adds its next exercise when that is due.
    fresh = not current
    to_add = mrules.start_exercises if fresh else int(_due_to_add(items, ctx))
    for ex in available:
        if to_add <= 0 or (not fresh and len(items) >= mrules.max_exercises):
            break
        if ex in planned or ex in by_id:
            continue
        reason = None
        if not fresh:
            r = rules.exercises[ex]
            dose, _ = _start_dose(ex, ctx)
            n = _trailing(judged, "steady")
            reason = _msg("new.added", dose=_dose(dose or r.start, r.unit), days=n)
        planned.add(ex)
        if _add(ex, reason, ctx, items, excluded):
            to_add -= 1

    order = {ex: n for n, ex in enumerate(rules.order)}
    return TodayPlan(
        day=today,
        mode=mode,
        items=tuple(sorted(items, key=lambda i: order[i.exercise_id])),
        pending=tuple(pending),
        excluded=tuple(sorted(excluded, key=lambda i: order[i.exercise_id])),
        notices=_notices(ctx),
    )


def _gate(ex: str, ctx: _Ctx) -> PlanItem | None:
    """None when screening and overrides allow the exercise; else its pending or excluded item."""
    r = ctx.rules.exercises[ex]
    status = ctx.screening.get(ex)
    o = ctx.overrides.exercises.get(ex, ExerciseOverride())
    if status is None:
        return _item(ex, 0.0, "excluded", ctx, _msg("excluded.not_screened"), None)
    if status == "stop":
        return _item(ex, 0.0, "excluded", ctx, _msg("excluded.screening_stop"), None)
    if o.excluded:
        text = _msg("excluded.left_out", who=_who(o.set_by))
        return _item(ex, 0.0, "excluded", ctx, text, None)
    if status == "clinician":
        start = o.fixed_dose if o.fixed_dose is not None else min(r.start, _ceiling(ex, ctx)[0])
        start = max(start, r.min)
        text = _msg("pending.ask_clinician", dose=_dose(start, r.unit))
        return _item(ex, start, "clinician", ctx, text, None)
    return None


def _fixed(ex: str, entry: PlanEntry | None, ctx: _Ctx) -> PlanItem | None:
    """The item for a fixed-dose override, None when there is none."""
    o = ctx.overrides.exercises.get(ex, ExerciseOverride())
    if o.fixed_dose is None:
        return None
    r = ctx.rules.exercises[ex]
    text = _msg("fixed.by", dose=_dose(o.fixed_dose, r.unit), who=_who(o.set_by))
    if entry is not None and math.isclose(entry.dose, o.fixed_dose):
        new_entry = entry
    else:
        started = entry.started if entry is not None else ctx.today
        previous = entry.dose if entry is not None else None
        new_entry = PlanEntry(ex, o.fixed_dose, started, ctx.today, previous, "fixed")
    return _item(ex, o.fixed_dose, "fixed", ctx, text, new_entry)


def _cannot_start(ex: str, ctx: _Ctx) -> PlanItem | None:
    """An excluded item when even the smallest dose is above the ceiling, else None."""
    dose, text = _start_dose(ex, ctx)
    return _item(ex, 0.0, "excluded", ctx, text, None) if dose is None else None


def _add(
    ex: str, reason: Text | None, ctx: _Ctx, items: list[PlanItem], excluded: list[PlanItem]
) -> bool:
    """Start an exercise (into `items`, or `excluded` when it cannot start); True if started."""
    item = _fixed(ex, None, ctx)
    if item is None:
        dose, text = _start_dose(ex, ctx)
        if dose is None:
            excluded.append(_item(ex, 0.0, "excluded", ctx, text, None))
            return False
        entry = PlanEntry(ex, dose, ctx.today, ctx.today, None, "new")
        item = _item(ex, dose, "new", ctx, reason or text, entry)
    items.append(item)
    return True


def _due_to_add(items: Sequence[PlanItem], ctx: _Ctx) -> bool:
    """An established plan adds its next exercise when every condition in the rules holds."""
    m = ctx.mrules
    if m.add_every_days == 0 or ctx.upward_left <= 0 or ctx.overrides.hold_all:
        return False
    if ctx.readiness_holds:
        return False
    if any(i.status == "decrease" for i in items) or len(items) >= m.max_exercises:
        return False
    entries = [i.entry for i in items if i.entry is not None]
    if not entries:
        return True
    last_added = max(e.started for e in entries)
    if (ctx.today - last_added).days < m.add_every_days:
        return False
    window_start = ctx.today - timedelta(days=m.add_every_days)
    if any(j.kind == "worse" and j.day > window_start for j in ctx.judged):
        return False
    # Only a plan that is being done grows: enough sessions in that window.
    done = sum(1 for s in ctx.outcomes if s.completed and window_start <= s.at.date() < ctx.today)
    if done < m.min_sessions_to_increase:
        return False
    return ctx.recent is not None and _trailing(ctx.judged, "steady") >= m.stable_days_to_increase


def _notices(ctx: _Ctx) -> tuple[Text, ...]:
    out: list[Text] = []
    worse = _trailing(ctx.judged, "worse") if ctx.recent is not None else 0
    if worse >= ctx.mrules.worse_days_notice:
        out.append(_msg("notice.worse_in_a_row", days=worse))
    if ctx.recent is None:
        out.append(_msg("notice.check_in_daily"))
    return tuple(out)


__all__ = [
    "ALLOWED",
    "MODES",
    "SCREENING_STATUSES",
    "CheckinRules",
    "DayJudgement",
    "ExerciseOverride",
    "ExerciseRules",
    "Mode",
    "ModeRules",
    "Overrides",
    "PlanEntry",
    "PlanError",
    "PlanItem",
    "PlanRules",
    "ScreeningStatus",
    "SessionOutcome",
    "Status",
    "Text",
    "TodayPlan",
    "judge_days",
    "load_rules",
    "parse_rules",
    "plan_today",
]
