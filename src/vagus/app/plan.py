"""The gradual plan: rules, mode, overrides, today's plan (stored when it changes), and the gate
every session start passes: screening and plan decide whether an exercise may start, and at
which dose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


def overrides_from_json(data: Mapping[str, Any]) -> Overrides:
    """Overrides as stored in the journal's settings (see ``vagus plan set``)."""
    exercises = {
        ex: ExerciseOverride(**dict(values))
        for ex, values in dict(data.get("exercises", {})).items()
    }
    return Overrides(
        exercises=exercises,
        hold_all=bool(data.get("hold_all", False)),
        include=tuple(data.get("include", ())),
        set_by=data.get("set_by", "person"),
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
        if chosen is not None:
            return str(chosen)
        return "mecfs" if self._app.screening.answers().get("me-cfs") else "standard"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise AppError(f"mode: expected standard or mecfs, got {mode!r}", "mode")
        self._app.journal.set_setting(SETTING_MODE, mode)

    def overrides(self) -> dict[str, Any]:
        return dict(self._app.journal.get_setting(SETTING_OVERRIDES, {}) or {})

    def set_override(self, exercise_id: str, values: Mapping[str, Any]) -> None:
        """Set (or with an empty mapping, clear) one exercise's overrides."""
        check_exercise(exercise_id)
        data = self.overrides()
        exercises = dict(data.get("exercises", {}))
        if values:
            try:
                ExerciseOverride(**dict(values))
            except TypeError as error:
                raise AppError(f"override: {error}", "override") from None
            exercises[exercise_id] = {**exercises.get(exercise_id, {}), **values}
        else:
            exercises.pop(exercise_id, None)
        data["exercises"] = exercises
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
        plan = plan_today(
            day,
            statuses,
            based_on,
            self._checkins(since),
            self._outcomes(since),
            mode=self.mode(),  # type: ignore[arg-type]
            overrides=overrides_from_json(self.overrides()),
            rules=self.rules(),
        )
        if not store:
            return plan
        stored = plan_to_json(plan, based_on)
        latest = self._app.journal.latest_plan()
        if latest is None or latest.plan != stored:
            reason = "; ".join(i.text("en") for i in plan.items) or "no exercises today"
            self._app.journal.save_plan(stored, reason, at=now)
        return plan

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
            if date.fromisoformat(record.plan["day"]) < day:
                return [_entry_from_json(e) for e in record.plan.get("entries", [])]
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


def today_overview(app: App, lang: Lang) -> dict[str, Any]:
    """What Today shows: the plan, whether the health questions were answered, whether the
    person checked in today (local date), the last resting measurement, and a red flag not yet
    confirmed as handled."""
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
    }
