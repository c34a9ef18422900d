"""The guided-session state machine, driven by a ManualClock (no sleeps, exact times)."""

from __future__ import annotations

import pytest

from vagus.program.pacer import BreathPattern
from vagus.program.session import (
    UNTIMED_STEP_WEIGHT_S,
    Event,
    GuidedSession,
    ManualClock,
    SessionEnded,
    SessionError,
    Step,
    StepEnded,
    StepStarted,
)


def program() -> list[Step]:
    return [
        Step("settle", "prepare", None, "breathing.prepare"),
        Step("breathe", "do", 60.0, "breathing.do", pattern=BreathPattern(4.0, 8.0)),
        Step("rest", "rest", 10.0, "cold-water.rest"),
        Step("finish", "finish", None, "breathing.finish"),
    ]


def ended(events: list[Event]) -> list[StepEnded]:
    return [e for e in events if isinstance(e, StepEnded)]


def test_full_run_with_exact_times_and_event_order() -> None:
    clock = ManualClock(100.0)
    s = GuidedSession(program(), clock)
    assert s.state().status == "ready"
    s.start()
    clock.advance(5.0)
    s.next()  # the untimed "settle" step, after 5 s
    clock.advance(30.0)
    st = s.state()
    # 30 s into 4 s in / 8 s out: 30 mod 12 = 6 -> 2 s into the out-breath.
    assert (st.status, st.index, st.step_elapsed_s, st.step_remaining_s) == ("running", 1, 30, 30)
    assert st.pacer is not None
    assert (st.pacer.phase, st.pacer.cycle, st.pacer.phase_elapsed_s) == ("exhale", 2, 2.0)
    # Progress weights: settle 10 (untimed) + breathe 60 + rest 10 + finish 10 (untimed) = 90.
    assert st.progress == pytest.approx((UNTIMED_STEP_WEIGHT_S + 30) / 90, abs=1e-12)
    clock.advance(30.0)
    s.update()
    assert s.state().index == 2
    clock.advance(10.0)
    s.update()
    assert s.state().step == program()[3]
    clock.advance(3.0)
    s.next()
    events = s.events()
    assert [type(e).__name__ for e in events] == [
        "StepStarted",
        "StepEnded",
        "StepStarted",
        "StepEnded",
        "StepStarted",
        "StepEnded",
        "StepStarted",
        "StepEnded",
        "SessionEnded",
    ]
    assert [(e.index, e.at) for e in events if isinstance(e, StepStarted)] == [
        (0, 100.0),
        (1, 105.0),
        (2, 165.0),
        (3, 175.0),
    ]
    assert [
        (e.step.id, e.started_at, e.ended_at, e.active_s, e.outcome) for e in ended(events)
    ] == [
        ("settle", 100.0, 105.0, 5.0, "completed"),
        ("breathe", 105.0, 165.0, 60.0, "completed"),
        ("rest", 165.0, 175.0, 10.0, "completed"),
        ("finish", 175.0, 178.0, 3.0, "completed"),
    ]
    assert events[-1] == SessionEnded("finished", 178.0)
    final = s.state()
    assert (final.status, final.index, final.step, final.progress) == ("finished", 4, None, 1.0)
    assert s.events() == []  # drained


def test_pause_and_resume_are_excluded_from_elapsed_time() -> None:
    clock = ManualClock()
    steps = [Step("breathe", "do", 60.0, "breathing.do", pattern=BreathPattern(4.0, 8.0))]
    s = GuidedSession(steps, clock)
    s.start()
    clock.advance(20.0)
    s.pause()
    frozen = s.state()
    clock.advance(1000.0)
    s.update()  # a tick while paused changes nothing
    st = s.state()
    assert (st.status, st.step_elapsed_s, st.step_remaining_s) == ("paused", 20.0, 40.0)
    assert st.pacer == frozen.pacer  # the breath waits where it was: 20 mod 12 = 8 s, exhale
    assert st.pacer is not None
    assert (st.pacer.phase, st.pacer.phase_elapsed_s) == ("exhale", 4.0)
    s.resume()
    clock.advance(39.0)
    s.update()
    assert s.state().step_remaining_s == pytest.approx(1.0, abs=1e-12)
    clock.advance(1.0)
    s.update()
    (e,) = ended(s.events())
    # Started at 0, paused 1000 s, 60 s active: ends at 1060.
    assert (e.started_at, e.ended_at, e.active_s, e.outcome) == (0.0, 1060.0, 60.0, "completed")
    assert s.status == "finished"


def test_two_pauses_accumulate() -> None:
    clock = ManualClock()
    s = GuidedSession([Step("do", "do", 30.0, "breathing.do")], clock)
    s.start()
    for active, paused in ((5.0, 100.0), (7.0, 50.0)):
        clock.advance(active)
        s.pause()
        clock.advance(paused)
        s.resume()
    assert s.state().step_elapsed_s == 12.0
    clock.advance(18.0)
    s.update()
    (e,) = ended(s.events())
    assert (e.ended_at, e.active_s) == (180.0, 30.0)  # 30 active + 150 paused


def test_skip_from_running_and_from_paused() -> None:
    clock = ManualClock()
    s = GuidedSession(program(), clock)
    s.start()
    s.next()
    clock.advance(12.5)
    s.skip()  # skips "breathe" after 12.5 s
    clock.advance(4.0)
    s.pause()
    clock.advance(30.0)
    s.skip()  # skips "rest" while paused: 4 s active
    assert s.status == "running"  # the next step runs
    got = [(e.step.id, e.ended_at, e.active_s, e.outcome) for e in ended(s.events())]
    assert got == [
        ("settle", 0.0, 0.0, "completed"),
        ("breathe", 12.5, 12.5, "skipped"),
        ("rest", 46.5, 4.0, "skipped"),
    ]
    assert s.state().step is not None
    assert s.state().step.id == "finish"  # type: ignore[union-attr]


def test_abort_mid_step_reports_the_aborted_step_with_its_active_time() -> None:
    clock = ManualClock(10.0)
    s = GuidedSession(program(), clock)
    s.start()
    s.next()
    clock.advance(30.0)
    s.pause()
    clock.advance(100.0)
    s.resume()
    clock.advance(12.0)
    s.abort()
    events = s.events()
    last_step = ended(events)[-1]
    assert (last_step.step.id, last_step.started_at, last_step.ended_at) == ("breathe", 10.0, 152.0)
    assert (last_step.active_s, last_step.outcome) == (42.0, "aborted")
    assert events[-1] == SessionEnded("aborted", 152.0)
    st = s.state()
    assert (st.status, st.index, st.step) == ("aborted", 1, None)
    # Progress counts the ended "settle" step only (10 of 90).
    assert st.progress == pytest.approx(10 / 90, abs=1e-12)


def test_abort_before_start_emits_only_the_session_end() -> None:
    clock = ManualClock(3.0)
    s = GuidedSession(program(), clock)
    s.abort()
    assert s.events() == [SessionEnded("aborted", 3.0)]


def test_untimed_steps_wait_for_the_person() -> None:
    clock = ManualClock()
    s = GuidedSession(program(), clock)
    s.start()
    clock.advance(3600.0)
    s.update()
    st = s.state()
    assert (st.index, st.step_elapsed_s, st.step_remaining_s) == (0, 3600.0, None)
    assert st.progress == pytest.approx(10 / 90, abs=1e-12)  # an untimed step weighs 10 s
    s.next()
    with pytest.raises(SessionError, match=r"step 'breathe' is timed \(60 s\).*use skip\(\)"):
        s.next()


def test_several_steps_end_in_one_update_at_their_exact_times() -> None:
    clock = ManualClock()
    steps = [
        Step("a", "do", 5.0, "cold-water.face"),
        Step("b", "rest", 7.0, "cold-water.rest"),
        Step("c", "do", 11.0, "cold-water.face"),
        Step("done", "finish", None, "cold-water.finish"),
    ]
    s = GuidedSession(steps, clock)
    s.start()
    clock.advance(30.0)  # one late tick covers three timed steps
    s.update()
    events = s.events()
    assert [(e.step.id, e.started_at, e.ended_at, e.active_s) for e in ended(events)] == [
        ("a", 0.0, 5.0, 5.0),
        ("b", 5.0, 12.0, 7.0),
        ("c", 12.0, 23.0, 11.0),
    ]
    assert isinstance(events[-1], StepStarted)
    assert (events[-1].step.id, events[-1].at) == ("done", 23.0)
    assert s.state().step_elapsed_s == 7.0  # the untimed step began at 23 s, not at 30 s


def test_last_timed_step_finishes_the_session_inside_update() -> None:
    clock = ManualClock()
    s = GuidedSession([Step("a", "do", 5.0, "x.y"), Step("b", "do", 5.0, "x.y")], clock)
    s.start()
    clock.advance(100.0)
    s.update()
    assert s.events()[-1] == SessionEnded("finished", 10.0)
    with pytest.raises(SessionError, match="cannot update: the session has already finished"):
        s.update()


def test_float_noise_in_the_clock_does_not_hold_a_step_back() -> None:
    clock = ManualClock(0.1)
    s = GuidedSession([Step("a", "do", 4.0, "x.y"), Step("b", "finish", None, "x.y")], clock)
    s.start()
    clock.advance(4.0)  # 4.1 - 0.1 == 3.9999999999999996 in floats
    s.update()
    assert s.state().index == 1


def test_pause_when_the_last_step_has_run_out_refuses() -> None:
    clock = ManualClock()
    s = GuidedSession([Step("a", "do", 5.0, "x.y")], clock)
    s.start()
    clock.advance(6.0)
    with pytest.raises(SessionError, match="cannot pause: the session has finished"):
        s.pause()
    assert s.events()[-1] == SessionEnded("finished", 5.0)


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        ([], "pause", "cannot pause while ready: allowed only when running"),
        ([], "resume", "cannot resume while ready: allowed only when paused"),
        ([], "skip", "cannot skip while ready"),
        ([], "next", "cannot continue while ready"),
        (["start"], "start", "cannot start while running: allowed only when ready"),
        (["start"], "resume", "cannot resume while running"),
        (["start", "pause"], "pause", "cannot pause while paused"),
        (["abort"], "start", "cannot start: the session has already aborted"),
        (["start", "abort"], "resume", "cannot resume: the session has already aborted"),
        (["start", "abort"], "abort", "cannot abort: the session has already aborted"),
        (["start", "next", "skip", "skip", "next"], "skip", "already finished"),
    ],
)
def test_illegal_transitions_raise(setup: list[str], action: str, message: str) -> None:
    s = GuidedSession(program(), ManualClock())
    for name in setup:
        getattr(s, name)()
    with pytest.raises(SessionError, match=message):
        getattr(s, action)()


def test_update_before_start_is_a_no_op() -> None:
    s = GuidedSession(program(), ManualClock())
    s.update()
    assert s.events() == []
    assert s.state().status == "ready"


def test_bad_steps_and_clock_are_refused() -> None:
    with pytest.raises(SessionError, match="at least one step"):
        GuidedSession([], ManualClock())
    with pytest.raises(ValueError, match=r"step 'x': duration_s must be > 0 seconds or None"):
        Step("x", "do", 0.0, "x.y")
    with pytest.raises(ValueError, match="kind 'jump' is not one of prepare, do, rest"):
        Step("x", "jump", 1.0, "x.y")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="round must be >= 1"):
        Step("x", "do", 1.0, "x.y", round=0)
    step = Step("x", "do", 1.0, "x.y", data={"reps": 3})
    with pytest.raises(TypeError):
        step.data["reps"] = 4  # type: ignore[index]
    assert hash(step) == hash(Step("x", "do", 1.0, "x.y", data={"reps": 5}))  # data not hashed
    clock = ManualClock(5.0)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1.0)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.set(4.0)
