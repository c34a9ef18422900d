"""Stop rules and red flags (vagus.program.safety)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vagus.program.catalog import EXERCISE_IDS
from vagus.program.i18n import LANGS, DataFileError, data_dir, t
from vagus.program.safety import (
    EMERGENCY_NUMBER,
    OUT_OF_HOURS_NUMBER,
    assess,
    crisis_info,
    load_safety,
    red_flags,
    stop_advice,
    stop_symptoms,
    symptoms,
)

# SAFETY.md, "Per exercise": the stop rules it names (each list may hold more of ours).
SAFETY_STOP_RULES = {
    "breathing": {"tingling", "dizziness", "chest-tightness", "panic"},
    "cold-water": {"dizziness", "palpitations", "chest-pain", "lip-throat-swelling"},
    "activity": {"chest-pain", "breathless-exertion", "palpitations", "near-fainting", "new-neuro"},
    # trauma-sensitive meditation: permission to stop, a grounding exit
    "meditation": {"panic", "flashbacks", "dissociation"},
    # the neck red-flag signs end the neck exercise
    "neck": {
        "severe-neck-pain",
        "dizziness",
        "double-vision",
        "slurred-speech",
        "swallowing-trouble",
        "drop-attack",
        "numbness",
        "unsteady-gait",
    },
    "humming": {"ear-throat-pain"},
    "laughter": {"chest-pain"},
}


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_every_exercise_has_its_stop_rules(exercise_id: str) -> None:
    for lang in LANGS:
        listed = stop_symptoms(exercise_id, lang)
        assert {s.id for s in listed} >= SAFETY_STOP_RULES[exercise_id]
        assert all(s.label.strip() for s in listed)
        assert stop_advice(exercise_id, lang).strip()


STOP_CASES = [
    (exercise, symptom)
    for exercise in EXERCISE_IDS
    for symptom in [s.id for s in stop_symptoms(exercise, "en")]
]


@pytest.mark.parametrize(("exercise_id", "symptom"), STOP_CASES)
def test_every_stop_rule_stops_the_session(exercise_id: str, symptom: str) -> None:
    outcome = assess([symptom], exercise_id=exercise_id)
    assert outcome.stop_session
    for lang in LANGS:
        advice = outcome.advice(lang)
        assert advice
        assert all(line.strip() for line in advice)
        seek_care_now = outcome.level in ("emergency", "urgent")
        # the exercise's own advice, unless a red flag says "get help now"
        assert (stop_advice(exercise_id, lang) in advice) is not seek_care_now


def test_breathing_stop_rule_returns_to_natural_breathing() -> None:
    outcome = assess(["tingling"], exercise_id="breathing")
    assert outcome.red_flags == ()
    assert not outcome.emergency
    assert outcome.advice("en") == [stop_advice("breathing", "en")]
    assert "natural breathing" in outcome.advice("en")[0]
    assert "vanlig pust" in outcome.advice("nb")[0]


# The red-flag table of SAFETY.md (plus our "neuro" row): (symptoms, flag, level, emergency).
RED_FLAG_CASES = [
    (["thunderclap-headache"], "headache-emergency", "emergency", True),
    (["headache-neuro-signs"], "headache-emergency", "emergency", True),
    (["headache-fever-weight-loss"], "headache-doctor", "same-day", False),
    (["headache-new-after-50"], "headache-doctor", "same-day", False),
    (["headache-changed-pattern"], "headache-doctor", "same-day", False),
    *[
        (["severe-neck-pain", sign], "neck", "urgent", False)
        for sign in (
            "dizziness",
            "double-vision",
            "slurred-speech",
            "swallowing-trouble",
            "drop-attack",
            "numbness",
            "unsteady-gait",
        )
    ],
    (["fainting"], "heart", "urgent", False),
    (["chest-pain"], "heart", "urgent", False),
    (["palpitations", "dizziness"], "heart", "urgent", False),
    (["breathless-at-rest"], "heart", "urgent", False),
    (["new-neuro"], "neuro", "urgent", False),
    (["blood-in-stool"], "gut", "doctor", False),
    (["weight-loss"], "gut", "doctor", False),
    (["anaemia"], "gut", "doctor", False),
    (["night-symptoms"], "gut", "doctor", False),
    (["gut-onset-after-50"], "gut", "doctor", False),
    (["self-harm-thoughts"], "mind", "crisis", False),
    (["lip-throat-swelling"], "cold", "emergency", True),
    (["widespread-hives"], "cold", "emergency", True),
    (["trouble-breathing"], "cold", "emergency", True),
    (["crash-lasting-days"], "me-cfs", "clinician", False),
]


@pytest.mark.parametrize(("ids", "flag", "level", "emergency"), RED_FLAG_CASES)
def test_red_flag(ids: list[str], flag: str, level: str, emergency: bool) -> None:
    outcome = assess(ids)
    assert outcome.red_flags == (flag,)
    assert outcome.level == level
    assert outcome.emergency is emergency
    assert outcome.stop_session
    assert outcome.crisis is (level == "crisis")
    assert outcome.alert_clinician is (level == "crisis")
    by_id = {f.id: f for f in red_flags("en")}
    for lang in LANGS:
        advice = outcome.advice(lang)
        flag_advice = {f.id: f.advice for f in red_flags(lang)}[flag]
        assert advice[0] == flag_advice
        if level == "emergency":
            assert EMERGENCY_NUMBER in advice[0]
            assert t("safety.if_emergency", lang) not in advice
        if level == "urgent":
            assert OUT_OF_HOURS_NUMBER in advice[0]
            assert advice[-1] == t("safety.if_emergency", lang)
        if level == "same-day":
            assert OUT_OF_HOURS_NUMBER in advice[0]
    assert by_id[flag].level == level


def test_every_red_flag_has_a_case() -> None:
    assert {f.id for f in red_flags("en")} == {flag for _, flag, _, _ in RED_FLAG_CASES}


def test_113_exactly_where_the_brief_says() -> None:
    """SAFETY.md gives 113 for thunderclap/neurological headache and the cold reaction."""
    for lang in LANGS:
        for flag in red_flags(lang):
            assert (EMERGENCY_NUMBER in flag.advice) is (flag.level == "emergency"), flag.id
        emergency_areas = [f.area for f in red_flags(lang) if f.level == "emergency"]
        assert emergency_areas == ["headache", "cold"]


def test_the_areas_of_the_brief_are_covered() -> None:
    areas = {flag.area for flag in red_flags("en")}
    assert areas >= {"headache", "neck", "heart", "gut", "mind", "cold", "me-cfs"}
    for lang in LANGS:
        for flag in red_flags(lang):
            assert flag.signs.strip()
            assert flag.advice.strip()
            assert flag.area_title.strip()


def test_crisis_information() -> None:
    outcome = assess(["self-harm-thoughts"], exercise_id="meditation")
    for lang in LANGS:
        lines = crisis_info(lang)
        assert EMERGENCY_NUMBER in lines[0]
        assert any(OUT_OF_HOURS_NUMBER in line for line in lines)
        assert any("116 123" in line for line in lines)  # Mental Helse's helpline
        advice = outcome.advice(lang)
        assert advice[1 : 1 + len(lines)] == lines  # right after the flag's own words
    assert outcome.crisis
    assert outcome.alert_clinician
    assert not outcome.emergency


def test_combination_rules() -> None:
    assert assess(["palpitations"]).red_flags == ()  # alone: a stop rule, not a red flag
    assert assess(["dizziness"]).red_flags == ()
    assert assess(["severe-neck-pain"]).red_flags == ()  # needs a second sign
    assert assess(["double-vision"]).red_flags == ()


def test_most_serious_first() -> None:
    outcome = assess(["blood-in-stool", "chest-pain", "thunderclap-headache"])
    assert outcome.red_flags == ("headache-emergency", "heart", "gut")
    assert outcome.level == "emergency"
    assert outcome.emergency
    advice = outcome.advice("en")
    assert EMERGENCY_NUMBER in advice[0]
    assert t("safety.if_emergency", "en") not in advice  # already told to call 113


def test_no_symptoms_no_stop() -> None:
    outcome = assess([])
    assert not outcome.stop_session
    assert outcome.level is None
    assert outcome.advice("en") == []


def test_a_symptom_without_exercise_gets_the_general_stop_advice() -> None:
    outcome = assess(["tingling"])
    assert outcome.advice("nb") == [t("safety.stop_generic", "nb")]


def test_duplicates_collapse() -> None:
    assert assess(["panic", "panic"]).symptoms == ("panic",)


def test_unknown_ids_are_named() -> None:
    with pytest.raises(ValueError, match="unknown symptom ids: itch, sneeze"):
        assess(["panic", "itch", "sneeze"])
    with pytest.raises(ValueError, match="exercise 'yoga'"):
        assess(["panic"], exercise_id="yoga")
    with pytest.raises(ValueError, match="exercise 'yoga'"):
        stop_symptoms("yoga", "en")


def test_to_dict() -> None:
    data = assess(["lip-throat-swelling"], exercise_id="cold-water").to_dict("en")
    assert data["red_flags"] == ["cold"]
    assert data["emergency"] is True
    assert data["level"] == "emergency"
    assert isinstance(data["advice"], list)


def test_every_symptom_is_used_and_labelled() -> None:
    for lang in LANGS:
        assert all(s.label.strip() for s in symptoms(lang))
    assert len(symptoms("en")) == len({s.id for s in symptoms("nb")})


# --- broken safety files -------------------------------------------------------------------------
BROKEN = [
    (
        'symptoms = ["dizziness", "ear-throat-pain"]',
        'symptoms = ["dizziness", "earache"]',
        "stop_rules.humming.symptoms: unknown symptom 'earache'",
    ),
    ('level = "doctor"', 'level = "whenever"', "red_flags.gut.level: unknown level 'whenever'"),
    ('area = "gut"', 'area = "belly"', "red_flags.gut.area: unknown area 'belly'"),
    ('when = [["crash-lasting-days"]]', "when = []", "red_flags.me-cfs.when: expected a list"),
    ("[stop_rules.humming]", "[stop_rules.singing]", "stop_rules.singing: unknown exercise"),
    ('label.en = "Slurred speech"\n', "", "symptoms.slurred-speech.label: missing the 'en'"),
    (
        "[symptoms.dizziness]",
        '[symptoms.itch]\nlabel.nb = "Kløe"\nlabel.en = "Itch"\n\n[symptoms.dizziness]',
        "symptoms.itch: no stop rule or red flag uses it",
    ),
    ("[crisis]\n", '[crisis]\nphone = "1"\n', "crisis.phone: unknown key"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN)
def test_broken_safety_file_names_file_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    source = (data_dir() / "safety.toml").read_text(encoding="utf-8")
    assert old in source, old
    path = tmp_path / "safety.toml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_safety(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_every_exercise_needs_stop_rules(tmp_path: Path) -> None:
    source = (data_dir() / "safety.toml").read_text(encoding="utf-8")
    start = source.index("[stop_rules.laughter]")
    end = source.index("[stop_rules.meditation]")
    path = tmp_path / "safety.toml"
    # keep belly-scar-pain in use, so the missing rules are what is reported
    path.write_text(
        source[:start] + source[end:] + '\n[red_flags.x]\narea = "gut"\nlevel = "doctor"\n'
        'when = [["belly-scar-pain"]]\nsigns.nb = "x"\nsigns.en = "x"\nadvice.nb = "x"\n'
        'advice.en = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match=r"stop_rules\.laughter: missing"):
        load_safety(path)
