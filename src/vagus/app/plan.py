"""The gradual plan: rules, mode, overrides, today's plan (stored when it changes), and the gate
every session start passes: screening and plan decide whether an exercise may start, and at
which dose."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from vagus.app.errors import AppError, RefusedError
from vagus.app.screening import check_exercise
from vagus.program import (
    CHECKIN_FIELDS,
    EXERCISE_IDS,
    CheckIn,
    Lang,
    SessionOutcome,
    TodayPlan,
    plan_today,
)
from vagus.program.plan import (
    ExerciseOverride,
    Overrides,
    PlanEntry,
    PlanError,
    PlanItem,
    PlanRules,
    load_rules,
    parse_rules,
)

if TYPE_CHECKING:
    from vagus.app._core import App

#: A person's or clinician's own plan rules, beside the journal, replace the shipped ones.
PLAN_RULES_FILE: Final = "plan_rules.toml"
#: Version of the stored plan JSON.
PLAN_FORMAT: Final = 1
#: How far back check-ins and sessions are read for the plan (its rules look back 7 days for a
#: baseline and 72 h for post-exertional worsening).
PLAN_LOOKBACK_DAYS: Final = 21
SETTING_MODE: Final = "plan_mode"
SETTING_OVERRIDES: Final = "plan_overrides"
MODES: Final = ("standard", "mecfs")


def _entry_to_json(entry: PlanEntry) -> dict[str, Any]:
    return {
        "exercise_id": entry.exercise_id,
        "dose": entry.dose,
        "started": entry.started.isoformat(),
        "since": entry.since.isoformat(),
        "previous_dose": entry.previous_dose,
        "last_change": entry.last_change,
    }


def _entry_from_json(data: Mapping[str, Any]) -> PlanEntry:
    previous = data.get("previous_dose")
    return PlanEntry(
        exercise_id=str(data["exercise_id"]),
        dose=float(data["dose"]),
        started=date.fromisoformat(str(data["started"])),
        since=date.fromisoformat(str(data["since"])),
        previous_dose=None if previous is None else float(previous),
        last_change=data.get("last_change", "new"),
    )


def plan_item_to_json(item: PlanItem) -> dict[str, Any]:
    """One plan item as stored and as ``/api/plan`` and ``vagus plan --json`` print it."""
    return {
        "exercise_id": item.exercise_id,
        "dose": item.dose,
        "unit": item.unit,
        "param": item.param,
        "status": item.status,
        "screening": item.screening,
        "params": item.params(),
        "reason": {"nb": item.text("nb"), "en": item.text("en")},
    }


def plan_to_json(plan: TodayPlan, based_on: Sequence[PlanEntry]) -> dict[str, Any]:
    """The stored form of a day's plan: what it was built from, and what it says."""
    return {
        "format": PLAN_FORMAT,
        "day": plan.day.isoformat(),
        "mode": plan.mode,
        "based_on": [_entry_to_json(e) for e in based_on],
        "entries": [_entry_to_json(e) for e in plan.current()],
        "items": [plan_item_to_json(i) for i in plan.items],
        "pending": [plan_item_to_json(i) for i in plan.pending],
        "excluded": [plan_item_to_json(i) for i in plan.excluded],
        "notices": [{"nb": n("nb"), "en": n("en")} for n in plan.notices],
    }


#: The fields of one exercise's override that hold a dose (a number, or null when not set).
OVERRIDE_DOSES: Final = ("fixed_dose", "max_dose", "step", "baseline")
#: Its fields that are true or false.
OVERRIDE_FLAGS: Final = ("excluded", "hold")
SET_BY: Final = ("person", "clinician")


def parse_override(values: object) -> ExerciseOverride:
    """One exercise's override as stored; AppError naming the field that is wrong.

    >>> parse_override({"fixed_dose": 5, "set_by": "clinician"}).fixed_dose
    5.0
    >>> parse_override({"fixed_dose": "abc"})
    Traceback (most recent call last):
    vagus.app.errors.AppError: fixed_dose: expected a dose (a number >= 0) or null, got 'abc'
    """
    if not isinstance(values, Mapping):
        raise AppError(f"override: expected an object of override fields, got {values!r}", "")
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name in OVERRIDE_DOSES:
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise AppError(
                    f"{name}: expected a dose (a number >= 0) or null, got {value!r}", name
                )
            clean[name] = None if value is None else float(value)
        elif name in OVERRIDE_FLAGS:
            if not isinstance(value, bool):
                raise AppError(f"{name}: expected true or false, got {value!r}", name)
            clean[name] = value
        elif name == "set_by":
            if value not in SET_BY:
                raise AppError(f"set_by: expected person or clinician, got {value!r}", name)
            clean[name] = value
        else:
            fields = ", ".join((*OVERRIDE_DOSES, *OVERRIDE_FLAGS, "set_by"))
            raise AppError(f"{name}: expected only the fields {fields}, got {name!r}", name)
    return ExerciseOverride(**clean)


def overrides_from_json(data: Mapping[str, Any]) -> Overrides:
    """Overrides as stored in the journal's settings (see ``vagus plan set``).

    A stored value that does not read (an old or hand-edited journal) is left out, so that the
    plan is still built: an override that does not parse, an unknown exercise, a bad flag."""
    stored = data.get("exercises", {})
    exercises: dict[str, ExerciseOverride] = {}
    for ex, values in stored.items() if isinstance(stored, Mapping) else ():
        if ex not in EXERCISE_IDS:
            continue
        try:
            exercises[ex] = parse_override(values)
        except AppError:
            continue
    hold_all = data.get("hold_all", False)
    include = data.get("include", ())
    set_by = data.get("set_by", "person")
    readiness_hold = data.get("readiness_hold", False)
    readiness_set_by = data.get("readiness_set_by", "person")
    return Overrides(
        exercises=exercises,
        hold_all=hold_all if isinstance(hold_all, bool) else False,
        include=tuple(ex for ex in include if ex in EXERCISE_IDS)
        if isinstance(include, list | tuple)
        else (),
        set_by=set_by if set_by in SET_BY else "person",
        readiness_hold=readiness_hold if isinstance(readiness_hold, bool) else False,
        readiness_set_by=readiness_set_by if readiness_set_by in SET_BY else "person",
    )


@dataclass(frozen=True)
class Gate:
    """Whether an exercise may start today, and at which dose.

    ``status`` is ``"planned"`` (in today's plan, at ``params``), ``"open"`` (allowed, not in
    today's plan: its default dose), or ``"cleared"`` (it needed the clinician's clearance, and
    the person confirmed it just now).
    """

    exercise_id: str
    status: str
    params: dict[str, float | int]
    item: PlanItem | None


@dataclass(frozen=True)
class ExerciseStatus:
    """Where one exercise stands today, as the gate sees it.

    ``status``: ``planned`` (in today's plan, at ``dose`` ``unit``), ``open`` (allowed, not in
    today's plan), ``needs-clearance`` or ``excluded``; ``reason`` in both languages.
    """

    exercise_id: str
    status: str
    reason: dict[str, str] | None
    dose: float | None
    unit: str | None


class PlanService:
    def __init__(self, app: App) -> None:
        self._app = app

    def rules(self) -> PlanRules:
        """The shipped rules, or the person's/clinician's own file beside the journal."""
        own = self._app.settings.home / PLAN_RULES_FILE
        if own.exists():
            return parse_rules(own.read_text(encoding="utf-8"), str(own))
        return load_rules()

    def mode(self) -> str:
        """The mode set with ``vagus plan --mode``; else ME/CFS when the screening says so
        (NICE NG206: no fixed increments), else standard."""
        chosen = self._app.journal.get_setting(SETTING_MODE)
        if chosen in MODES:
            return str(chosen)
        # Not set, or a stored value that is not a mode (an old or hand-edited journal).
        answers = self._app.screening.answers()
        return "mecfs" if answers.get("me-cfs") is True else "standard"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise AppError(f"mode: expected standard or mecfs, got {mode!r}", "mode")
        self._app.journal.set_setting(SETTING_MODE, mode)

    def overrides(self) -> dict[str, Any]:
        """The stored overrides (``{}`` when none, or when what is stored is not an object)."""
        stored = self._app.journal.get_setting(SETTING_OVERRIDES, {})
        return dict(stored) if isinstance(stored, Mapping) else {}

    def set_override(self, exercise_id: str, values: Mapping[str, Any]) -> None:
        """Set (or with an empty mapping, clear) one exercise's overrides."""
        check_exercise(exercise_id)
        data = self.overrides()
        stored = data.get("exercises", {})
        exercises = dict(stored) if isinstance(stored, Mapping) else {}
        if values:
            try:
                ExerciseOverride(**dict(values))
            except TypeError as error:
                raise AppError(f"override: {error}", "override") from None
            earlier = exercises.get(exercise_id, {})
            exercises[exercise_id] = {**(earlier if isinstance(earlier, Mapping) else {}), **values}
        else:
            exercises.pop(exercise_id, None)
        data["exercises"] = exercises
        self._app.journal.set_setting(SETTING_OVERRIDES, data)

    def readiness_rule(self) -> dict[str, Any]:
        """The readiness rule: ``{"hold_when_below": bool, "set_by": "person" | "clinician"}``."""
        rule = overrides_from_json(self.overrides())
        return {"hold_when_below": rule.readiness_hold, "set_by": rule.readiness_set_by}

    def set_readiness_rule(self, hold_when_below: bool, set_by: str = "person") -> None:
        """Turn on (or off) the one rule by which morning HRV reaches the plan: while this
        week's morning HRV is below the person's normal range (vagus.insights), no dose rises
        and no exercise is added. Only the person or their clinician sets it (issue 13)."""
        if set_by not in SET_BY:
            raise AppError(f"set_by: expected person or clinician, got {set_by!r}", "set_by")
        data = self.overrides()
        data["readiness_hold"] = bool(hold_when_below)
        data["readiness_set_by"] = set_by
        self._app.journal.set_setting(SETTING_OVERRIDES, data)

    def today(self, today: date | None = None, *, store: bool = True) -> TodayPlan:
        """Today's plan, built from the last earlier day's plan and stored when it changes
        (``store=False``: only read, as the gate does, so a refused request changes nothing)."""
        now = self._app.now()
        day = today or now.date()
        screening = self._app.screening.latest()
        statuses = {ex: s.status for ex, s in screening.exercises.items()} if screening else {}
        based_on = self._plan_before(day)
        since = datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=PLAN_LOOKBACK_DAYS)
        rules = self.rules()
        mode: Any = self.mode()
        overrides = overrides_from_json(self.overrides())
        checkins, outcomes = self._checkins(since), self._outcomes(since)
        # Morning HRV reaches the plan only through the rule the person or clinician set.
        readiness = self._app.insights.morning_status(day) if overrides.readiness_hold else None

        def build(overrides: Overrides, based_on: list[PlanEntry]) -> TodayPlan:
            return plan_today(
                day,
                statuses,
                based_on,
                checkins,
                outcomes,
                mode,
                overrides,
                rules,
                readiness=readiness,
            )

        try:
            plan = build(overrides, based_on)
        except PlanError:
            # A stored override or plan entry the rules refuse (an old or hand-edited
            # journal, or rules changed since): leave out each that is refused on its own and
            # build the plan from the rest, rather than refuse every page (issue 11).
            overrides, based_on = _usable(day, mode, overrides, based_on, rules)
            plan = build(overrides, based_on)
        if not store:
            return plan
        stored = plan_to_json(plan, based_on)
        latest = self._app.journal.latest_plan()
        if latest is None or latest.plan != stored:
            reason = "; ".join(i.text("en") for i in plan.items) or "no exercises today"
            self._app.journal.save_plan(stored, reason, at=now)
        return plan

    def check_override(self, exercise_id: str, override: ExerciseOverride) -> None:
        """AppError (naming the override's field) when the plan's rules refuse ``override``
        for ``exercise_id``: a dose outside the exercise's range, a step of 0."""
        refused = _refusal(
            self._app.now().date(),
            self.mode(),
            Overrides(exercises={exercise_id: override}),
            (),
            self.rules(),
        )
        if refused is not None:
            found = re.match(r"overrides\[[^\]]*\]\.(\w+)", str(refused))
            field = found.group(1) if found else ""
            raise AppError(
                f"{field or 'override'}: expected a value the plan's rules allow ({refused})",
                field,
            )

    def today_json(self) -> dict[str, Any]:
        """Today's plan in the one shape both faces print (``/api/plan``, ``vagus plan
        --json``): the stored form without its bookkeeping (``based_on``, ``entries``).

        Looking writes nothing: the day's plan is stored when a session starts under it (or an
        override changes it), so ``GET /`` and ``vagus plan`` leave the journal as it was."""
        stored = plan_to_json(self.today(store=False), ())
        return {k: v for k, v in stored.items() if k not in ("based_on", "entries", "format")}

    def gate(self, exercise_id: str, *, confirm_cleared: bool = False) -> Gate:
        """May ``exercise_id`` start today? Raises RefusedError with the reason when not.

        - out of the plan (screening ``stop``, left out by an override, the health questions
          not answered yet): refused (``code="excluded"``);
        - "ask your clinician first" and not cleared: refused (``code="needs-clearance"``),
          unless the person confirms the clearance now (``confirm_cleared``), which is stored;
        - in today's plan: today's dose; otherwise the exercise's own default dose.
        """
        check_exercise(exercise_id)
        plan = self.today(store=False)
        for item in plan.excluded:
            if item.exercise_id == exercise_id:
                raise RefusedError(
                    f"{exercise_id}: {item.text('en')}",
                    "exercise_id",
                    reason={"nb": item.text("nb"), "en": item.text("en")},
                    code="excluded",
                )
        for item in plan.pending:
            if item.exercise_id == exercise_id:
                if not confirm_cleared:
                    raise RefusedError(
                        f"{exercise_id}: {item.text('en')}",
                        "exercise_id",
                        reason={"nb": item.text("nb"), "en": item.text("en")},
                        code="needs-clearance",
                    )
                self._app.screening.confirm_clearance(exercise_id)
                plan = self.today(store=False)
                cleared = next((i for i in plan.items if i.exercise_id == exercise_id), None)
                params = cleared.params() if cleared is not None else item.params()
                return Gate(exercise_id, "cleared", params, cleared)
        for item in plan.items:
            if item.exercise_id == exercise_id:
                return Gate(exercise_id, "planned", item.params(), item)
        return Gate(exercise_id, "open", {}, None)

    def exercises(self) -> list[ExerciseStatus]:
        """Every exercise with where it stands today (one plan computed, nothing stored)."""
        plan = self.today(store=False)
        found: dict[str, ExerciseStatus] = {}
        for status, items in (
            ("planned", plan.items),
            ("needs-clearance", plan.pending),
            ("excluded", plan.excluded),
        ):
            for item in items:
                found[item.exercise_id] = ExerciseStatus(
                    item.exercise_id,
                    status,
                    {"nb": item.text("nb"), "en": item.text("en")},
                    item.dose if status == "planned" else None,
                    item.unit if status == "planned" else None,
                )
        return [found.get(ex, ExerciseStatus(ex, "open", None, None, None)) for ex in EXERCISE_IDS]

    def _plan_before(self, day: date) -> list[PlanEntry]:
        for record in reversed(self._app.journal.plans()):
            # A stored plan that does not read (an old or hand-edited journal) is passed over:
            # today's plan is then built from the last one that does.
            try:
                if date.fromisoformat(record.plan["day"]) < day:
                    return [_entry_from_json(e) for e in record.plan.get("entries", [])]
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return []

    def _checkins(self, since: datetime) -> list[CheckIn]:
        out = []
        for entry in self._app.journal.history(types=["checkin"], since=since):
            values = {k: entry.get(k) for k in CHECKIN_FIELDS}
            if any(v is None for v in values.values()):
                continue  # a partial check-in cannot be judged against the baseline
            out.append(
                CheckIn(
                    at=datetime.fromisoformat(entry["started_at"]),
                    note=entry.get("note") or "",
                    **{k: int(str(v)) for k, v in values.items()},
                )
            )
        return sorted(out, key=lambda c: c.at)

    def _outcomes(self, since: datetime) -> list[SessionOutcome]:
        out = []
        for entry in self._app.journal.history(types=["session"], since=since):
            symptoms: list[str] = []
            for feedback in entry.get("feedback", []):
                symptoms.extend(feedback.get("symptoms", []))
            out.append(
                SessionOutcome(
                    at=datetime.fromisoformat(entry["started_at"]),
                    exercise_id=entry["exercise_id"],
                    completed=entry.get("status") == "completed",
                    stop_symptoms=tuple(symptoms),
                )
            )
        return sorted(out, key=lambda o: o.at)


def _refusal(
    day: date, mode: Any, overrides: Overrides, entries: Sequence[PlanEntry], rules: PlanRules
) -> PlanError | None:
    """The rules' refusal of these overrides and plan entries alone, or None."""
    try:
        plan_today(day, {}, entries, [], [], mode, overrides, rules)
    except PlanError as error:
        return error
    return None


def _usable(
    day: date, mode: Any, overrides: Overrides, entries: Sequence[PlanEntry], rules: PlanRules
) -> tuple[Overrides, list[PlanEntry]]:
    """The overrides and plan entries the rules accept, each judged on its own."""
    exercises = {
        ex: o
        for ex, o in overrides.exercises.items()
        if _refusal(day, mode, Overrides(exercises={ex: o}), (), rules) is None
    }
    include = tuple(
        ex
        for ex in overrides.include
        if _refusal(day, mode, Overrides(include=(ex,)), (), rules) is None
    )
    kept: list[PlanEntry] = []
    for entry in entries:
        if _refusal(day, mode, Overrides(), [*kept, entry], rules) is None:
            kept.append(entry)
    return replace(overrides, exercises=exercises, include=include), kept


def today_overview(app: App, lang: Lang) -> dict[str, Any]:
    """What Today shows: the plan, whether the health questions were answered, whether the
    person checked in today (local date), the last resting measurement, a red flag not yet
    confirmed as handled, and one line of the insights (once the health questions are
    answered: before that no exercise is suggested)."""
    plan = app.plan.today_json()
    today = app.local_now().date()
    history = app.transfer.history
    last_checkin = history(["checkin"], limit=1)
    checked_in = bool(last_checkin) and (
        datetime.fromisoformat(last_checkin[0]["started_at"]).astimezone().date() == today
    )
    from vagus.app.measurements import is_resting

    resting = [m for m in history(["measurement"], limit=20) if is_resting(m)]
    return {
        "plan": plan,
        "screened": app.screening.done(),
        "checked_in_today": checked_in,
        "last_measurement": resting[0] if resting else None,
        "red_flag": app.checkins.open_red_flag(lang),
        # One line of the insights: this week's mornings and what to try next (issue 13).
        "insights": app.insights.today_line(lang) if app.screening.done() else None,
    }
