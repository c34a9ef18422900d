"""Exercise step programs, their parameters, and the cue file."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from vagus.program import catalog
from vagus.program.exercises import (
    EXERCISE_IDS,
    MAX_CUE_CHARS,
    PARAM_SPECS,
    TRAUMA_SENSITIVE_MEDITATION,
    CueError,
    LogField,
    ParamValue,
    build_steps,
    cue_ids,
    cue_text,
    default_minutes,
    defaults,
    load_cues,
    param_specs,
    parse_cues,
    total_duration_s,
)
from vagus.program.pacer import PacerError
from vagus.program.session import GuidedSession, ManualClock, Step, StepEnded


def variants(exercise_id: str) -> Iterator[dict[str, ParamValue]]:
    """The default program, every parameter at its min and max, and every choice."""
    yield {}
    for spec in param_specs(exercise_id):
        if spec.choices:
            for choice in spec.choices:
                yield {spec.name: choice}
        else:
            assert spec.min is not None
            assert spec.max is not None
            yield {spec.name: spec.min}
            yield {spec.name: spec.max}


def buildable(exercise_id: str) -> Iterator[list[Step]]:
    for params in variants(exercise_id):
        try:
            yield build_steps(exercise_id, **params)
        except ValueError:
            # A single extreme can clash with another default (a 30 s round with the default
            # face mode, whose rounds stop at 15 s);
            # test_every_extreme_is_valid_or_refused_for_a_stated_reason covers those.
            continue


def test_exercise_ids_match_the_catalog() -> None:
    assert EXERCISE_IDS == catalog.EXERCISE_IDS


# --- parameter specs ------------------------------------------------------------------------------
@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_specs_are_consistent(exercise_id: str) -> None:
    for spec in PARAM_SPECS[exercise_id]:
        assert spec.help_en
        assert spec.help_nb
        assert spec.help("nb") == spec.help_nb
        if spec.choices:
            assert spec.default in spec.choices
            assert spec.min is None
            assert spec.max is None
        else:
            assert spec.min is not None
            assert spec.max is not None
            assert isinstance(spec.default, int | float)
            assert spec.min <= spec.default <= spec.max
            assert spec.unit in {"min", "s", "rounds", "entries"}
    build_steps(exercise_id, **defaults(exercise_id))  # the defaults are valid together


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_every_extreme_is_valid_or_refused_for_a_stated_reason(exercise_id: str) -> None:
    refusals: list[str] = []
    for params in variants(exercise_id):
        try:
            steps = build_steps(exercise_id, **params)
        except ValueError as exc:
            # Only a breathing pattern outside 3-12 breaths/min (a PacerError) or a cold-water
            # round outside its mode's range may be refused.
            refusals.append(str(exc))
            continue
        assert steps[0].kind == "prepare"
        assert steps[-1].kind == "finish"
        assert len({s.id for s in steps}) == len(steps)
    for message in refusals:
        assert "breaths/min" in message or "for mode" in message, (exercise_id, message)
    # Exactly one single extreme is refused: a 30 s round with the default face mode.
    assert refusals == (
        ["cold-water: round_s = 30 is outside the allowed 5-15 s for mode 'face'"]
        if exercise_id == "cold-water"
        else []
    )


@pytest.mark.parametrize(
    ("exercise_id", "params", "message"),
    [
        ("breathing", {"minutes": 7}, "breathing: minutes = 7 is outside the allowed 2-5 min"),
        ("breathing", {"minutes": 1.5}, "breathing: minutes = 1.5 is outside the allowed 2-5 min"),
        ("breathing", {"hold_in_s": 5}, "breathing: hold_in_s = 5 is outside the allowed 0-4 s"),
        ("breathing", {"minutes": "3"}, "breathing: minutes must be a number (min), got '3'"),
        ("breathing", {"minutes": True}, "breathing: minutes must be a number"),
        ("breathing", {"speed": 2}, "breathing: unknown parameter 'speed' (known: minutes,"),
        ("cold-water", {"mode": "ice"}, "cold-water: mode = 'ice' is not one of face, shower"),
        ("cold-water", {"rounds": 4}, "cold-water: rounds = 4 is outside the allowed 1-3 rounds"),
        ("cold-water", {"rounds": 2.5}, "cold-water: rounds must be a whole number, got 2.5"),
        (
            "cold-water",
            {"round_s": 20},
            "cold-water: round_s = 20 is outside the allowed 5-15 s for mode 'face'",
        ),
        (
            "cold-water",
            {"mode": "shower", "round_s": 5},
            "cold-water: round_s = 5 is outside the allowed 10-30 s for mode 'shower'",
        ),
        ("humming", {"minutes": 4}, "humming: minutes = 4 is outside the allowed 1-3 min"),
        ("meditation", {"eyes": "half"}, "meditation: eyes = 'half' is not one of open, closed"),
        ("meditation", {"gratitude": 4}, "meditation: gratitude = 4 is outside the allowed 0-3"),
        ("activity", {"kind": "run"}, "activity: kind = 'run' is not one of walk, yoga"),
        ("yoga", {}, "unknown exercise 'yoga' (known: breathing, cold-water"),
    ],
)
def test_bad_parameters_name_parameter_value_and_range(
    exercise_id: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build_steps(exercise_id, **params)


# --- the programs ---------------------------------------------------------------------------------
def test_breathing_default_is_4_in_8_out_for_3_minutes() -> None:
    steps = build_steps("breathing")
    assert [s.kind for s in steps] == ["prepare", "do", "finish"]
    assert [s.duration_s for s in steps] == [None, 180.0, None]  # 15 cycles of 12 s
    pattern = steps[1].pattern
    assert pattern is not None
    assert pattern.durations_ms() == (4000, 0, 8000, 0)
    assert pattern.rate_bpm == 5.0
    assert default_minutes("breathing") == 3.0


@pytest.mark.parametrize(
    ("params", "duration_s"),
    [
        # 5.5 + 5.5 = 11 s: 120 s / 11 = 10.9 -> 11 whole breaths = 121 s.
        ({"minutes": 2, "inhale_s": 5.5, "exhale_s": 5.5}, 121.0),
        # Box 4-4-4-4 = 16 s: 300 / 16 = 18.75 -> 19 breaths = 304 s.
        ({"minutes": 5, "hold_in_s": 4, "hold_out_s": 4, "exhale_s": 4}, 304.0),
        # 4 + 8 = 12 s: 150 / 12 = 12.5 -> 13 breaths (halves round up) = 156 s.
        ({"minutes": 2.5}, 156.0),
    ],
)
def test_paced_steps_end_on_a_whole_breath(params: dict[str, float], duration_s: float) -> None:
    (do,) = [s for s in build_steps("breathing", **params) if s.kind == "do"]
    assert do.duration_s == duration_s
    assert do.pattern is not None
    assert duration_s * 1000 % do.pattern.cycle_ms == 0


def test_breathing_rate_outside_3_to_12_is_refused_with_the_rate() -> None:
    with pytest.raises(PacerError, match="breathing rate 15 breaths/min"):
        build_steps("breathing", inhale_s=2, exhale_s=2)
    # 8 + 4 + 12 + 4 = 28 s: 2.14 breaths/min.
    with pytest.raises(PacerError, match=r"breathing rate 2\.14 breaths/min"):
        build_steps("breathing", inhale_s=8, exhale_s=12, hold_in_s=4, hold_out_s=4)


def test_cold_water_starts_short_keeps_breathing_and_rests_between_rounds() -> None:
    steps = build_steps("cold-water")
    assert [(s.id, s.kind, s.duration_s, s.round) for s in steps] == [
        ("prepare", "prepare", None, None),
        ("round-1", "do", 10.0, 1),
        ("rest-1", "rest", 30.0, 1),
        ("round-2", "do", 10.0, 2),
        ("finish", "finish", None, None),
    ]
    assert total_duration_s(steps) == 50.0
    # SAFETY.md: cool not ice water, no breath-holds, seated; no pacer hold anywhere.
    assert all(s.pattern is None for s in steps)
    prepare = cue_text(steps[0].cue, "en")
    assert "not ice water" in prepare
    assert "never hold your breath" in prepare
    assert "Sit" in prepare
    assert "Keep breathing" in cue_text("cold-water.face", "en")
    shower = build_steps("cold-water", mode="shower", round_s=30, rounds=3, rest_s=60)
    assert [s.duration_s for s in shower if s.kind == "do"] == [30.0, 30.0, 30.0]
    assert [s.duration_s for s in shower if s.kind == "rest"] == [60.0, 60.0]
    assert shower[0].cue == "cold-water.prepare_shower"
    assert [s.id for s in build_steps("cold-water", rounds=1)] == ["prepare", "round-1", "finish"]


def test_humming_hums_on_the_out_breath() -> None:
    steps = build_steps("humming", minutes=1)
    (hum,) = [s for s in steps if s.kind == "do"]
    assert hum.pattern is not None
    assert hum.pattern.durations_ms() == (4000, 0, 8000, 0)
    assert hum.duration_s == 60.0
    assert hum.data["sound_on"] == "exhale"


def test_neck_is_single_plane_and_massages_the_back_only() -> None:
    steps = build_steps("neck", minutes=3)
    assert [s.id for s in steps] == [
        "prepare",
        "chin-nods",
        "turn",
        "tilt",
        "massage-skull-base",
        "massage-behind-ears",
        "massage-back-of-neck",
        "finish",
    ]
    timed = [s for s in steps if s.duration_s is not None]
    assert [s.duration_s for s in timed] == [30.0] * 6  # 180 s shared by six parts
    assert [s.data.get("reps") for s in timed[:3]] == [6, 6, 6]  # one slow movement per 5 s
    assert {s.kind for s in timed[:3]} == {"repeat"}
    # No head rolls or circles through end range (SAFETY.md): no step is about rolling the head.
    assert not any("roll" in s.id for s in steps)
    for lang, never in (("en", "never the front"), ("nb", "aldri forsiden")):
        assert never in cue_text("neck.massage_back", lang)  # type: ignore[arg-type]
    assert "only as far as it feels comfortable" in cue_text("neck.prepare", "en")
    assert [s.duration_s for s in build_steps("neck", minutes=2) if s.duration_s] == [20.0] * 6


def test_laughter_is_a_timer_then_a_log() -> None:
    steps = build_steps("laughter")
    assert [(s.kind, s.duration_s) for s in steps] == [
        ("prepare", None),
        ("do", 300.0),
        ("finish", None),
    ]
    log = steps[-1].data["log"]
    assert isinstance(log, tuple)
    assert [(f.id, f.type) for f in log] == [
        ("what", "choice"),
        ("laughed", "scale"),
        ("note", "text"),
    ]
    assert log[0].choices == ("video", "talk", "company", "other")


def test_meditation_is_trauma_sensitive_by_default() -> None:
    steps = build_steps("meditation")
    assert [(s.id, s.duration_s, s.round) for s in steps] == [
        ("prepare", None, None),
        ("breath-focus", 180.0, None),
        ("gratitude-1", None, 1),
        ("gratitude-2", None, 2),
        ("gratitude-3", None, 3),
        ("grounding", None, None),
    ]
    assert steps[1].cue == "meditation.breath_open"  # eyes open unless asked
    assert "stop at any time" in cue_text("meditation.prepare", "en")
    assert "feet on the floor" in cue_text(steps[-1].cue, "en")  # the grounding exit
    log = steps[2].data["log"]
    assert isinstance(log, tuple)
    assert log == (LogField("gratitude", "text", "log.gratitude", required=True),)
    closed = build_steps("meditation", eyes="closed", gratitude=0)
    assert [s.id for s in closed] == ["prepare", "breath-focus", "grounding"]
    assert closed[1].cue == "meditation.breath_closed"
    gentle = build_steps("meditation", **TRAUMA_SENSITIVE_MEDITATION)
    assert total_duration_s(gentle) == 120.0
    assert gentle[1].cue == "meditation.breath_open"


def test_activity_logs_its_kind() -> None:
    steps = build_steps("activity", kind="seated", minutes=5)
    assert total_duration_s(steps) == 300.0
    assert steps[1].cue == "activity.seated"
    assert steps[-1].data["kind"] == "seated"
    assert default_minutes("activity") == 10.0


@pytest.mark.parametrize(
    ("exercise_id", "minutes"),
    [
        ("breathing", 3.0),
        ("cold-water", 50 / 60),
        ("humming", 2.0),
        ("neck", 3.0),
        ("laughter", 5.0),
        ("meditation", 3.0),
        ("activity", 10.0),
    ],
)
def test_default_minutes(exercise_id: str, minutes: float) -> None:
    assert default_minutes(exercise_id) == pytest.approx(minutes, abs=1e-12)


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_default_program_runs_in_a_session(exercise_id: str) -> None:
    steps = build_steps(exercise_id)
    clock = ManualClock()
    session = GuidedSession(steps, clock)
    session.start()
    while session.status == "running":
        step = session.state().step
        assert step is not None
        if step.duration_s is None:
            clock.advance(2.0)
            session.next()
        else:
            clock.advance(1.0)
            session.update()
    ends = [e for e in session.events() if isinstance(e, StepEnded)]
    assert len(ends) == len(steps)
    timed = sum(e.active_s for e in ends if e.step.duration_s is not None)
    assert timed == pytest.approx(total_duration_s(steps), abs=1e-6)


# --- cues -----------------------------------------------------------------------------------------
def test_every_cue_any_program_uses_has_both_texts() -> None:
    cues = load_cues()
    used: set[str] = set()
    for exercise_id in EXERCISE_IDS:
        for steps in buildable(exercise_id):
            used |= cue_ids(steps)
    # Extremes together: the longest and shortest programs of each kind.
    used |= cue_ids(build_steps("breathing", minutes=5, hold_in_s=2, hold_out_s=2))
    used |= cue_ids(build_steps("cold-water", mode="shower", rounds=3, round_s=30))
    missing = sorted(used - set(cues))
    assert not missing, f"cue ids without a text in cues.toml: {missing}"
    for cue in used:
        for lang in ("nb", "en"):
            text = cue_text(cue, lang)
            assert text.strip()
            assert len(text) <= MAX_CUE_CHARS
    # And the file has no cue that no program uses.
    assert sorted(set(cues) - used) == []


def test_cue_ids_collects_pacer_phases_and_log_labels() -> None:
    ids = cue_ids(build_steps("breathing", hold_in_s=1))
    assert {"pacer.inhale", "pacer.hold_in", "pacer.exhale"} <= ids
    assert "pacer.hold_out" not in ids  # a zero-length hold shows no cue
    assert {"log.what", "log.what.video", "log.laughed", "log.note"} <= cue_ids(
        build_steps("laughter")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('["a.b"]\nnb = "Hei"\nen = "Hi"\nde = "Hallo"\n', "cue 'a.b': unknown key 'de'"),
        ('["a.b"]\nnb = "Hei"\n', "cue 'a.b': missing the en text"),
        ('["a.b"]\nen = "Hi"\n', "cue 'a.b': missing the nb text"),
        ('["a.b"]\nnb = ""\nen = "Hi"\n', "cue 'a.b': nb must be a non-empty string"),
        ('["a.b"]\nnb = 3\nen = "Hi"\n', "cue 'a.b': nb must be a non-empty string, got 3"),
        (
            f'["a.b"]\nnb = "{"x" * 141}"\nen = "Hi"\n',
            "nb has 141 characters; a cue has at most 140",
        ),
        ('"a.b" = "Hi"\n', "cue 'a.b': expected a table with nb and en"),
        ('["A b"]\nnb = "x"\nen = "y"\n', "cue 'A b': a cue id is lower-case words"),
        ('["a.b"]\nnb = "x\nen = "y"\n', "not valid TOML"),
    ],
)
def test_cue_loader_refuses_bad_files(text: str, message: str) -> None:
    with pytest.raises(CueError) as info:
        parse_cues(text, source="test.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("test.toml: ")


def test_cue_loader_names_the_toml_line() -> None:
    with pytest.raises(CueError, match=r"line 3"):
        parse_cues('["a.b"]\nnb = "x"\nen = \n', source="test.toml")


def test_unknown_cue_id() -> None:
    with pytest.raises(CueError, match="unknown cue id 'nope'"):
        cue_text("nope", "en")


def test_nb_and_en_texts_differ_where_they_should() -> None:
    # A cheap guard against a copy-paste that leaves one language untranslated.
    same = [c for c, t in load_cues().items() if t["nb"] == t["en"]]
    assert same == ["pacer.hold_in", "pacer.hold_out"]  # "Hold" and "Pause" are both languages
    assert list(itertools.islice(load_cues(), 1)) == ["pacer.inhale"]
