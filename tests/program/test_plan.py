"""The gradual plan over simulated weeks of check-ins, in both modes, with overrides.

Each simulated day: a check-in at 08:00 (unless skipped), then ``plan_today``, then one completed
session of every planned exercise at 10:00; the next day starts from ``TodayPlan.current()``.
Unless a test says otherwise the ratings are constant (sleep 7, fatigue 3, the rest 2-3), so
every day from the fourth on (three earlier check-ins are needed to know the usual) is steady.
"""

from __future__ import annotations

import importlib.resources
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest

from vagus.program.checkin import CheckIn
from vagus.program.exercises import EXERCISE_IDS, build_steps
from vagus.program.plan import (
    ExerciseOverride,
    Mode,
    Overrides,
    PlanEntry,
    PlanError,
    ScreeningStatus,
    SessionOutcome,
    TodayPlan,
    judge_days,
    load_rules,
    parse_rules,
    plan_today,
)

D0 = date(2025, 3, 3)
ALL_OK: dict[str, ScreeningStatus] = dict.fromkeys(EXERCISE_IDS, "ok")
USUAL = {"sleep": 7, "headache": 2, "digestion": 2, "anxiety": 2, "pain": 3, "fatigue": 3}


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def at(n: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.combine(day(n), time(hour, minute))


def checkin(n: int, hour: int = 8, **ratings: int) -> CheckIn:
    return CheckIn(**{**USUAL, **ratings}, at=at(n, hour))  # type: ignore[arg-type]


@dataclass
class Sim:
    """A person following the plan day by day."""

    screening: Mapping[str, ScreeningStatus] = field(default_factory=lambda: dict(ALL_OK))
    mode: Mode = "standard"
    overrides: Overrides | None = None
    ratings: Callable[[int], dict[str, int]] = lambda n: {}
    checks_in: Callable[[int], bool] = lambda n: True
    does_sessions: Callable[[int], bool] = lambda n: True
    readiness: Callable[[int], str | None] = lambda n: None
    plans: list[TodayPlan] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)
    outcomes: list[SessionOutcome] = field(default_factory=list)

    def run(self, days: int) -> Sim:
        for n in range(len(self.plans), len(self.plans) + days):
            if self.checks_in(n):
                self.checkins.append(checkin(n, **self.ratings(n)))
            current = self.plans[-1].current() if self.plans else ()
            plan = plan_today(
                day(n),
                self.screening,
                current,
                self.checkins,
                self.outcomes,
                self.mode,
                self.overrides,
                readiness=self.readiness(n),
            )
            self.plans.append(plan)
            for item in plan.items:
                build_steps(item.exercise_id, **item.params())  # every dose is a valid program
                if self.does_sessions(n):
                    self.outcomes.append(SessionOutcome(at(n, 10), item.exercise_id, True))
        return self

    def doses(self, exercise_id: str) -> list[float | None]:
        return [p.dose(exercise_id) for p in self.plans]

    def item(self, n: int, exercise_id: str) -> tuple[float, str, str, str]:
        (i,) = [i for i in self.plans[n].items if i.exercise_id == exercise_id]
        return (i.dose, i.status, i.reason("en"), i.reason("nb"))


# --- standard mode --------------------------------------------------------------------------------
def test_new_plan_starts_small_with_breathing_first() -> None:
    plan = Sim().run(1).plans[0]
    assert [(i.exercise_id, i.dose, i.unit, i.status) for i in plan.items] == [
        ("breathing", 2.0, "min", "new"),
        ("humming", 1.0, "min", "new"),
    ]
    assert plan.items[0].reason("en") == "new: starting at 2 minutes, a small dose to begin with"
    assert (
        plan.items[0].reason("nb") == "ny: starter på 2 minutter, en liten dose til å begynne med"
    )
    assert plan.items[1].reason("en") == "new: starting at 1 minute, a small dose to begin with"
    # Breathing first only when allowed: without it, the next in order leads.
    no_breathing = Sim(screening={**ALL_OK, "breathing": "stop"}).run(1).plans[0]
    assert [i.exercise_id for i in no_breathing.items] == ["humming", "meditation"]


def test_six_steady_weeks_grow_one_change_at_a_time() -> None:
    sim = Sim().run(42)
    # Steady from day 3; three steady days after the start (days 3, 4, 5) and two sessions: the
    # first rise is on day 5, then every third day while the other exercises take their turn.
    assert sim.doses("breathing")[:21] == (
        [2.0] * 5 + [2.5] * 3 + [3.0] * 3 + [3.5] * 3 + [4.0] * 3 + [4.5] * 3 + [5.0]
    )
    assert max(d for d in sim.doses("breathing") if d) == 5.0  # the rules' max
    assert sim.item(5, "breathing")[2] == (
        "up to 2.5 minutes: 3 steady days and 5 sessions since the last change"
    )
    assert sim.item(5, "breathing")[3] == (
        "opp til 2,5 minutter: 3 stabile dager og 5 økter siden forrige endring"
    )
    # Humming's first rise waits a day: one change at a time.
    assert sim.item(5, "humming")[2] == (
        "kept at 1 minute: one change at a time, and another exercise goes up today"
    )
    assert sim.doses("humming")[6] == 1.5
    assert max(d for d in sim.doses("humming") if d) == 3.0
    # A third exercise after 7 days (day 7 has no rise), a fourth on day 18, then no more (max 4).
    assert sim.doses("meditation")[6:8] == [None, 2.0]
    assert (
        sim.item(7, "meditation")[2] == "new: added at 2 minutes after 5 steady days with the plan"
    )
    assert sim.doses("neck")[17:19] == [None, 2.0]
    assert max(len(p.items) for p in sim.plans) == 4
    # Never more than one rise or addition a day, never a step down on steady days.
    for n in range(1, 42):
        ups = [i for i in sim.plans[n].items if i.status in ("increase", "new")]
        assert len(ups) <= 1, n
        assert not [i for i in sim.plans[n].items if i.status == "decrease"], n
    assert all(not p.notices for p in sim.plans)


def test_a_worse_day_soon_after_a_rise_undoes_it() -> None:
    sim = Sim(ratings=lambda n: {"fatigue": 7} if n == 7 else {}).run(10)
    # Breathing rose on day 5 and humming on day 6; fatigue 7 on day 7 undoes both.
    assert sim.item(7, "breathing")[:3] == (
        2.0,
        "decrease",
        "back to 2 minutes: fatigue was 7 today (usually 3), within 3 days of the increase",
    )
    assert sim.item(7, "breathing")[3] == (
        "tilbake til 2 minutter: utmattelsen var 7 i dag (vanligvis 3), "
        "innen 3 dager etter økningen"
    )
    assert sim.item(7, "humming")[:2] == (1.0, "decrease")
    assert sim.doses("meditation")[7] is None  # no addition on a day something steps down
    assert sim.item(8, "breathing")[2] == "kept at 2 minutes: 1 of 3 steady days so far"
    assert sim.item(9, "breathing")[2] == "kept at 2 minutes: 2 of 3 steady days so far"


def established(dose: float, exercise_id: str = "breathing") -> tuple[PlanEntry, ...]:
    """An exercise that has been at ``dose`` since day 0 (no recent change)."""
    return (PlanEntry(exercise_id, dose, started=D0, since=D0, last_change="keep"),)


def week_of_fatigue(level: int, then: list[int]) -> list[CheckIn]:
    """Days 1-8 at fatigue ``level``, then the given fatigue values on days 9, 10, ..."""
    values = [level] * 8 + then
    return [checkin(n + 1, fatigue=f) for n, f in enumerate(values)]


def test_one_worse_day_keeps_the_dose_with_the_numbers() -> None:
    # The brief's example: fatigue 7 yesterday, no check-in yet today.
    plan = plan_today(day(10), {"breathing": "ok"}, established(3.0), week_of_fatigue(4, [7]), ())
    (item,) = plan.items
    assert (item.dose, item.status) == (3.0, "keep")
    assert item.reason("en") == "kept at 3 minutes: fatigue was 7 yesterday (usually 4)"
    assert item.reason("nb") == "holdt på 3 minutter: utmattelsen var 7 i går (vanligvis 4)"


def test_worse_sleep_counts_in_its_own_direction() -> None:
    checkins = [checkin(n, sleep=7) for n in range(1, 9)] + [checkin(9, sleep=4)]
    (item,) = plan_today(day(10), {"breathing": "ok"}, established(3.0), checkins, ()).items
    assert item.reason("en") == "kept at 3 minutes: sleep was 4 yesterday (usually 7)"
    # Better sleep (higher) is not a worse day.
    better = [checkin(n, sleep=7) for n in range(1, 9)] + [checkin(9, sleep=10)]
    (item,) = plan_today(day(10), {"breathing": "ok"}, established(3.0), better, ()).items
    # Steady, not worse: only the missing sessions keep the dose.
    assert item.reason("en") == "kept at 3 minutes: 0 of 2 sessions done since the last change"


def test_worse_days_in_a_row_step_back_and_then_bring_a_notice() -> None:
    screening: dict[str, ScreeningStatus] = {"breathing": "ok"}
    two = plan_today(day(10), screening, established(3.0), week_of_fatigue(4, [7, 7]), ())
    (item,) = two.items
    assert (item.dose, item.status) == (2.5, "decrease")
    assert item.reason("en") == (
        "down to 2.5 minutes: worse 2 check-ins in a row; fatigue was 7 today (usually 4)"
    )
    assert item.reason("nb") == (
        "ned til 2,5 minutter: verre 2 innsjekker på rad; utmattelsen var 7 i dag (vanligvis 4)"
    )
    assert two.notices == ()
    # The next day, worse again: the step back already happened, so one more worse day holds.
    three = plan_today(day(11), screening, two.current(), week_of_fatigue(4, [7, 7, 7]), ())
    assert three.items[0].status == "keep"
    assert [n("en") for n in three.notices] == [
        "Worse 3 check-ins in a row: do less, and contact your clinician if it lasts."
    ]


def test_the_rating_that_rose_most_is_named() -> None:
    checkins = [checkin(n) for n in range(1, 9)] + [checkin(9, pain=6, headache=8)]
    (item,) = plan_today(day(10), {"breathing": "ok"}, established(3.0), checkins, ()).items
    assert item.reason("en") == "kept at 3 minutes: headache was 8 yesterday (usually 2)"


def test_a_stop_symptom_steps_the_exercise_down() -> None:
    current = established(2.0, "cold-water")
    outcomes = [SessionOutcome(at(4, 10), "cold-water", True, ("dizziness",))]
    checkins = [checkin(n) for n in range(6)]
    plan = plan_today(day(5), {"cold-water": "ok"}, current, checkins, outcomes)
    (item,) = plan.items
    assert (item.dose, item.unit, item.status) == (1.0, "rounds", "decrease")
    assert item.reason("en") == "down to 1 round: you noted a stop symptom during it yesterday"
    assert item.reason("nb") == "ned til 1 runde: du merket et stoppsymptom under øvelsen i går"
    assert item.params() == {"rounds": 1}
    # The same session does not count twice; another one at the lowest dose keeps it there.
    again = plan_today(day(6), {"cold-water": "ok"}, plan.current(), checkins, outcomes)
    assert again.items[0].status == "keep"
    outcomes.append(SessionOutcome(at(6, 10), "cold-water", True, ("palpitations",)))
    lowest = plan_today(day(7), {"cold-water": "ok"}, again.current(), checkins, outcomes)
    assert lowest.items[0].reason("en") == (
        "kept at 1 round: the lowest, after a stop symptom yesterday; "
        "ask your clinician if it comes back"
    )


def test_no_check_ins_means_no_growth() -> None:
    sim = Sim(checks_in=lambda n: False).run(14)
    assert sim.doses("breathing") == [2.0] * 14
    assert sim.item(1, "breathing")[2] == "kept at 2 minutes: no check-in yet"
    assert [n("en") for n in sim.plans[1].notices] == [
        "Check in every day, so the plan can follow how you are."
    ]
    stale = plan_today(day(10), {"breathing": "ok"}, established(3.0), [checkin(7)], ())
    assert stale.items[0].reason("en") == "kept at 3 minutes: no check-in in the last 2 days"


def test_sessions_are_needed_before_a_rise() -> None:
    sim = Sim(does_sessions=lambda n: n >= 10).run(14)
    assert sim.doses("breathing")[:11] == [2.0] * 11
    assert (
        sim.item(10, "breathing")[2]
        == "kept at 2 minutes: 0 of 2 sessions done since the last change"
    )
    assert sim.doses("breathing")[12] == 2.5  # sessions on days 10 and 11


# --- ME/CFS mode ----------------------------------------------------------------------------------
def test_mecfs_without_a_baseline_starts_with_one_exercise_and_never_rises() -> None:
    sim = Sim(mode="mecfs").run(42)
    assert all([i.exercise_id for i in p.items] == ["breathing"] for p in sim.plans)
    assert sim.doses("breathing") == [2.0] * 42
    assert sim.item(20, "breathing")[2] == (
        "kept at 2 minutes: in ME/CFS mode the plan does not rise without a baseline from you"
    )


def mecfs_activity(baseline: float, **kw: object) -> Sim:
    overrides = Overrides(exercises={"activity": ExerciseOverride(baseline=baseline)})
    return Sim(screening={"activity": "ok"}, mode="mecfs", overrides=overrides, **kw)  # type: ignore[arg-type]


def test_mecfs_stays_below_the_baseline_with_no_fixed_increments() -> None:
    sim = mecfs_activity(20.0).run(42)
    doses = sim.doses("activity")
    assert sim.item(0, "activity")[2] == (
        "new: starting at 5 minutes, below your baseline of 20 minutes"
    )
    # Ceiling 0.75 x 20 = 15. Rises only after 7 steady days and 3 sessions, each half the way
    # to the ceiling (rounded down to 0.5 min): 5 -> 10 -> 12.5 -> 13.5 -> 14 -> 14.5.
    changes = [(n, d) for n, d in enumerate(doses) if n and d != doses[n - 1]]
    assert changes == [(9, 10.0), (16, 12.5), (23, 13.5), (30, 14.0), (37, 14.5)]
    assert max(d for d in doses if d) <= 0.75 * 20.0
    levels = [5.0] + [d for _, d in changes if d is not None]
    steps = [b - a for a, b in itertools.pairwise(levels)]
    assert steps == [5.0, 2.5, 1.0, 0.5, 0.5]  # shrinking with the gap, not a fixed increment
    assert sim.item(9, "activity")[2] == (
        "up to 10 minutes, half the way to 15 minutes: 7 steady days since the last change"
    )
    assert [i.exercise_id for i in sim.plans[-1].items] == ["activity"]  # nothing added


def test_mecfs_worse_day_within_three_days_of_a_rise_undoes_it() -> None:
    sim = mecfs_activity(20.0, ratings=lambda n: {"fatigue": 8} if n == 11 else {}).run(12)
    assert sim.doses("activity")[9:12] == [10.0, 10.0, 5.0]
    assert sim.item(11, "activity")[2] == (
        "back to 5 minutes: fatigue was 8 today (usually 3), within 3 days of the increase"
    )


def mecfs_case(session_at: datetime, checkin_at: datetime, dose: float = 12.5) -> TodayPlan:
    """Activity at ``dose`` since day 0 (baseline 20), steady check-ins on days 1-8 at 08:00,
    one session, then a check-in with fatigue 8 at ``checkin_at``."""
    checkins = [checkin(n) for n in range(1, 9)]
    checkins.append(CheckIn(**{**USUAL, "fatigue": 8}, at=checkin_at))  # type: ignore[arg-type]
    return plan_today(
        checkin_at.date(),
        {"activity": "ok"},
        established(dose, "activity"),
        checkins,
        [SessionOutcome(session_at, "activity", True)],
        "mecfs",
        Overrides(exercises={"activity": ExerciseOverride(baseline=20.0)}),
    )


@pytest.mark.parametrize(
    ("session", "hours", "dose"),
    [
        (at(8, 10), 22, 6.0),  # the next morning: 12.5 halved, rounded down to 0.5 min
        (at(7, 8), 48, 6.0),
        (at(6, 8), 72, 6.0),  # the window's end is included
        (at(8, 20), 12, 6.0),  # and its start
        (at(6, 7), 73, 12.5),  # too long before: one worse day keeps the dose
        (at(8, 21), 11, 12.5),  # too soon
    ],
)
def test_mecfs_post_exertional_window_is_12_to_72_hours(
    session: datetime, hours: int, dose: float
) -> None:
    (item,) = mecfs_case(session, at(9, 8)).items
    assert item.dose == dose
    if dose < 12.5:
        assert item.reason("en") == (
            f"down to 6 minutes: fatigue was 8 today (usually 3), {hours} hours after a session, "
            "and worsening can come 12-72 hours later"
        )
    else:
        assert item.reason("en") == "kept at 12.5 minutes: fatigue was 8 today (usually 3)"


def test_mecfs_baseline_changes_move_the_ceiling() -> None:
    checkins = [checkin(n) for n in range(1, 12)]  # steady on days 4-11: 8 days
    sessions = [SessionOutcome(at(n, 10), "activity", True) for n in range(11)]

    def plan(baseline: float | None, dose: float) -> TodayPlan:
        o = ExerciseOverride(baseline=baseline)
        return plan_today(
            day(11),
            {"activity": "ok"},
            established(dose, "activity"),
            checkins,
            sessions,
            "mecfs",
            Overrides(exercises={"activity": o}),
        )

    raised = plan(28.0, 15.0).items[0]  # ceiling 21: half the way from 15
    assert (raised.dose, raised.status) == (18.0, "increase")
    lowered = plan(10.0, 15.0).items[0]  # ceiling 7.5
    assert lowered.reason("en") == "down to 7.5 minutes: below your baseline of 10 minutes"
    unset = plan(None, 15.0).items[0]  # switched to ME/CFS with no baseline: back to the start
    assert unset.reason("en") == "down to 5 minutes: the start dose, until you set a baseline"


def test_mecfs_baseline_below_the_smallest_dose_keeps_the_exercise_out() -> None:
    overrides = Overrides(exercises={"breathing": ExerciseOverride(baseline=2.0)})
    plan = plan_today(day(0), {"breathing": "ok", "humming": "ok"}, (), (), (), "mecfs", overrides)
    assert [i.exercise_id for i in plan.items] == ["humming"]
    (out,) = plan.excluded[:1]
    assert out.exercise_id == "breathing"
    assert out.reason("en") == (
        "not started: the smallest dose, 2 minutes, is not well below your baseline of 2 minutes"
    )


def test_mecfs_notice_after_two_worse_days() -> None:
    sim = mecfs_activity(20.0, ratings=lambda n: {"fatigue": 8} if n >= 5 else {}).run(7)
    assert sim.plans[5].notices == ()
    assert [n("nb") for n in sim.plans[6].notices] == [
        "Verre 2 innsjekker på rad: gjør mindre, og kontakt behandleren din om det varer."
    ]


# --- overrides ------------------------------------------------------------------------------------
def test_fixed_dose_never_changes() -> None:
    o = Overrides(exercises={"breathing": ExerciseOverride(fixed_dose=4.0, set_by="clinician")})
    sim = Sim(overrides=o, ratings=lambda n: {"pain": 9} if n % 5 == 0 else {}).run(30)
    assert sim.doses("breathing") == [4.0] * 30
    assert sim.item(12, "breathing")[1:3] == ("fixed", "fixed at 4 minutes by your clinician")
    assert sim.item(12, "breathing")[3] == "fastsatt til 4 minutter av behandleren din"


def test_excluded_by_override() -> None:
    o = Overrides(exercises={"humming": ExerciseOverride(excluded=True)})
    plan = Sim(overrides=o).run(1).plans[0]
    assert [i.exercise_id for i in plan.items] == ["breathing", "meditation"]
    (humming,) = [i for i in plan.excluded if i.exercise_id == "humming"]
    assert humming.reason("en") == "not in the plan: left out by you"


def test_max_dose_and_step_overrides() -> None:
    o = Overrides(
        exercises={
            "breathing": ExerciseOverride(max_dose=3.0, set_by="clinician"),
            "humming": ExerciseOverride(step=1.0),
        }
    )
    sim = Sim(overrides=o).run(42)
    assert max(d for d in sim.doses("breathing") if d) == 3.0
    assert sim.item(30, "breathing")[2] == "kept at 3 minutes: the most your clinician set"
    assert sim.doses("humming")[5:7] == [1.0, 2.0]  # a 1-minute step instead of 0.5
    lowered = plan_today(
        day(10),
        {"breathing": "ok"},
        established(4.0),
        [checkin(n) for n in range(10)],
        (),
        overrides=Overrides(exercises={"breathing": ExerciseOverride(max_dose=3.0)}),
    )
    assert lowered.items[0].reason("en") == "down to 3 minutes: the most you set"


def test_hold_stops_rises_but_not_step_backs() -> None:
    o = Overrides(exercises={"breathing": ExerciseOverride(hold=True)})
    sim = Sim(overrides=o).run(20)
    assert sim.doses("breathing") == [2.0] * 20
    assert sim.item(10, "breathing")[2] == "kept at 2 minutes: on hold, set by you"
    assert sim.doses("humming")[-1] == 3.0  # the others still grow
    held = plan_today(
        day(10), {"breathing": "ok"}, established(3.0), week_of_fatigue(4, [7, 7]), (), overrides=o
    )
    assert held.items[0].dose == 2.5
    everything = Sim(overrides=Overrides(hold_all=True, set_by="clinician")).run(20)
    assert everything.doses("breathing") == [2.0] * 20
    assert len(everything.plans[-1].items) == 2  # nothing added either
    assert everything.item(10, "humming")[2] == "kept at 1 minute: on hold, set by your clinician"


def test_morning_hrv_holds_the_plan_only_through_the_rule_set() -> None:
    # Morning HRV below the normal range from day 5 on: without the rule the plan grows as
    # ever (it does not look at HRV); with it, nothing rises and nothing is added, and the
    # reason names who set the rule. Step-backs after worse days still happen.
    def below(n: int) -> str:
        return "below" if n >= 5 else "within"

    free = Sim(readiness=below).run(20)
    assert free.doses("breathing") == Sim().run(20).doses("breathing")
    rule = Overrides(readiness_hold=True, readiness_set_by="clinician")
    held = Sim(overrides=rule, readiness=below).run(20)
    assert held.doses("breathing")[5:] == [held.doses("breathing")[5]] * 15
    assert len(held.plans[-1].items) == len(held.plans[5].items)
    assert held.item(10, "breathing")[2].endswith(
        "this week's morning HRV is below your normal range, and then the plan holds "
        "(a rule set by your clinician)"
    )
    assert "morgen-HRV denne uken er under normalområdet ditt" in held.item(10, "breathing")[3]
    # Within the range again, the plan goes on growing.
    recovered = Sim(overrides=rule, readiness=lambda n: "below" if 5 <= n < 10 else "within")
    assert recovered.run(20).doses("breathing")[-1] > recovered.doses("breathing")[9]
    stepped = plan_today(
        day(10),
        {"breathing": "ok"},
        established(3.0),
        week_of_fatigue(4, [7, 7]),
        (),
        overrides=rule,
        readiness="below",
    )
    assert stepped.items[0].dose == 2.5


def test_the_person_can_add_an_exercise() -> None:
    sim = Sim().run(2)
    sim.overrides = Overrides(include=("cold-water",))
    sim.run(1)
    assert sim.item(2, "cold-water")[:3] == (
        1.0,
        "new",
        "new: starting at 1 round, a small dose to begin with",
    )


# --- screening ------------------------------------------------------------------------------------
def test_a_screening_stop_never_appears_in_the_plan() -> None:
    screening = {**ALL_OK, "humming": "stop", "cold-water": "stop", "neck": "clinician"}
    sim = Sim(screening=screening).run(42)
    for plan in sim.plans:
        ids = {i.exercise_id for i in plan.items}
        assert not ids & {"humming", "cold-water", "neck"}
        assert {i.exercise_id for i in plan.excluded} == {"humming", "cold-water"}
        assert [i.exercise_id for i in plan.pending] == ["neck"]
        assert not {e.exercise_id for e in plan.current()} & {"humming", "cold-water", "neck"}
    assert sim.plans[0].pending[0].reason("en") == (
        "waiting: ask your clinician first; starts at 2 minutes once cleared"
    )
    assert sim.plans[0].pending[0].status == "clinician"


def test_a_stop_that_comes_later_removes_the_exercise() -> None:
    sim = Sim().run(10)
    assert sim.plans[-1].dose("humming") is not None
    sim.screening = {**ALL_OK, "humming": "stop"}
    sim.run(1)
    assert sim.plans[-1].dose("humming") is None
    assert "humming" not in {e.exercise_id for e in sim.plans[-1].current()}
    assert [i.reason("en") for i in sim.plans[-1].excluded] == [
        "not in the plan: your screening answers say this exercise is not for you now"
    ]


def test_cleared_and_adapt_are_allowed() -> None:
    plan = plan_today(day(0), {"breathing": "adapt", "humming": "cleared"}, (), (), ())
    assert [(i.exercise_id, i.screening) for i in plan.items] == [
        ("breathing", "adapt"),
        ("humming", "cleared"),
    ]
    unscreened = [i.exercise_id for i in plan.excluded]
    assert unscreened == ["meditation", "neck", "activity", "laughter", "cold-water"]
    assert plan.excluded[0].reason("en") == (
        "not in the plan: answer the screening questions for it first"
    )


# --- inputs, rules, determinism -------------------------------------------------------------------
def test_same_inputs_same_plan() -> None:
    a = Sim(ratings=lambda n: {"pain": 7} if n in (9, 15, 16) else {}).run(25)
    b = Sim(ratings=lambda n: {"pain": 7} if n in (9, 15, 16) else {}).run(25)
    assert a.plans == b.plans
    assert [p.current() for p in a.plans] == [p.current() for p in b.plans]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"screening": {"yoga": "ok"}}, "screening: unknown exercise 'yoga'"),
        ({"screening": {"neck": "maybe"}}, "screening['neck']: status must be one of ok, adapt"),
        ({"mode": "fast"}, "mode must be one of standard, mecfs, got 'fast'"),
        ({"current": established(3.0) * 2}, "current plan: 'breathing' is listed twice"),
        (
            {"current": established(0.0)},
            "current plan: breathing dose = 0.0 is outside the allowed 2-5 min",
        ),
        (
            {"overrides": Overrides(exercises={"breathing": ExerciseOverride(fixed_dose=9.0)})},
            "overrides['breathing'].fixed_dose = 9 is outside the allowed 2-5 min",
        ),
        (
            {"overrides": Overrides(exercises={"humming": ExerciseOverride(step=0.0)})},
            "overrides['humming'].step must be > 0",
        ),
        ({"overrides": Overrides(include=("yoga",))}, "overrides: unknown exercise 'yoga'"),
    ],
)
def test_bad_inputs_are_named(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "today": day(0),
        "screening": {"breathing": "ok"},
        "current": (),
        "checkins": (),
        "outcomes": (),
    }
    args.update(kwargs)
    with pytest.raises(PlanError) as info:
        plan_today(**args)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_mixed_naive_and_aware_times_are_refused_clearly() -> None:
    from datetime import UTC

    checkins = [checkin(n) for n in range(1, 9)] + [checkin(9, fatigue=8)]
    sessions = [SessionOutcome(datetime(2025, 3, 11, 10, tzinfo=UTC), "activity", True)]
    with pytest.raises(PlanError, match="must all carry a time zone, or all not"):
        plan_today(
            day(9),
            {"activity": "ok"},
            established(10.0, "activity"),
            checkins,
            sessions,
            "mecfs",
            Overrides(exercises={"activity": ExerciseOverride(baseline=20.0)}),
        )


def test_judge_days_uses_the_last_check_in_of_a_day_and_a_7_day_median() -> None:
    rules = load_rules().checkins
    checkins = [checkin(n, pain=p) for n, p in enumerate([2, 3, 4, 3, 9, 3, 3])]
    checkins.append(checkin(7, hour=7, pain=9))
    checkins.append(checkin(7, hour=21, pain=4))  # the evening check-in replaces the morning one
    judged = judge_days(checkins, day(7), rules)
    kinds = [j.kind for j in judged]
    assert kinds == ["unknown"] * 3 + ["steady", "worse", "steady", "steady", "steady"]
    # Day 4: usual pain = median(2, 3, 4, 3) = 3; 9 is 6 above it.
    assert (judged[4].field, judged[4].value, judged[4].usual) == ("pain", 9, 3.0)
    # Day 7: usual = median of days 0-6 (2, 3, 4, 3, 9, 3, 3) = 3; 4 is 1 above: steady.
    assert judged[7].at == at(7, 21)
    # A check-in after "today" is ignored.
    assert len(judge_days(checkins, day(6), rules)) == 7


RULES_TEXT = (
    importlib.resources.files("vagus.program")
    .joinpath("data/plan_rules.toml")
    .read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "worse_days_notice = 2\n",
            "worse_days_notice = 2\nsurprise = 1\n",
            "[modes.mecfs]: unknown key 'surprise'",
        ),
        ("max_age_days = 2\n", "", "[checkins]: missing key 'max_age_days'"),
        ("schema = 1", "schema = 2", "schema must be 1, got 2"),
        ('order = ["breathing", ', "order = [", "order must list every exercise once"),
        ('increase = "halfway"', 'increase = "double"', "increase must be one of step, halfway"),
        (
            "max = 5.0",
            "max = 6.0",
            "need 2 <= min <= start <= max <= 5 (the range of breathing.minutes)",
        ),
        ('param = "rounds"', 'param = "mode"', "param must be a numeric parameter of cold-water"),
        ('unit = "rounds"', 'unit = "min"', "unit must be 'rounds'"),
        (
            "post_session_window_h = [12, 72]",
            "post_session_window_h = [72, 12]",
            "needs 0 <= from < to",
        ),
        ("worse_points = 2", "worse_points = 0", "worse_points must be > 0, got 0"),
        ("schema = 1", "schema = 1\nschema = 1", "not valid TOML"),
    ],
)
def test_rules_loader_refuses_bad_rules(old: str, new: str, message: str) -> None:
    assert old in RULES_TEXT
    with pytest.raises(PlanError) as info:
        parse_rules(RULES_TEXT.replace(old, new, 1), source="rules.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("rules.toml")


def test_default_rules() -> None:
    rules = load_rules()
    assert rules.order[0] == "breathing"
    assert set(rules.exercises) == set(EXERCISE_IDS)
    assert rules.modes["mecfs"].post_session_window_h == (12.0, 72.0)
    assert rules.modes["standard"].post_session_window_h is None
    assert rules.modes["mecfs"].increase == "halfway"
    assert rules.modes["mecfs"].add_every_days == 0
    for ex, r in rules.exercises.items():
        for dose in (r.start, r.min, r.max):
            build_steps(ex, **{r.param: int(dose) if r.unit == "rounds" else dose})


# --- wording: the reasons come from program/data/plan_messages.toml ------------------------------
def test_reasons_in_norwegian_with_numbers_as_norwegians_write_them() -> None:
    (down,) = mecfs_case(at(8, 10), at(9, 8)).items
    assert down.reason("nb") == (
        "ned til 6 minutter: utmattelsen var 8 i dag (vanligvis 3), 22 timer etter en økt, og "
        "forverring kan komme 12-72 timer etter"
    )
    (kept,) = mecfs_case(at(6, 7), at(9, 8)).items
    assert kept.reason("nb") == "holdt på 12,5 minutter: utmattelsen var 8 i dag (vanligvis 3)"
    sim = mecfs_activity(20.0, ratings=lambda n: {"fatigue": 8} if n == 11 else {}).run(12)
    assert sim.item(9, "activity")[3] == (
        "opp til 10 minutter, halvveis mot 15 minutter: 7 stabile dager siden forrige endring"
    )
    assert sim.item(11, "activity")[3] == (
        "tilbake til 5 minutter: utmattelsen var 8 i dag (vanligvis 3), innen 3 dager etter "
        "økningen"
    )


def test_every_reason_is_filled_in_in_both_languages() -> None:
    worse = {10, 11, 20, 21, 22}
    sim = Sim(ratings=lambda n: {"pain": 9} if n in worse else {}).run(35)
    texts = [
        text(lang)
        for plan in sim.plans
        for text in [*(i.text for i in (*plan.items, *plan.pending, *plan.excluded)), *plan.notices]
        for lang in ("nb", "en")
    ]
    assert len(set(texts)) > 20
    for text in texts:
        assert text.strip()
        assert "{" not in text, text
        assert "}" not in text, text
