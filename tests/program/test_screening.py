"""The intake screen (vagus.program.screening): every SAFETY.md condition, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from vagus.program.catalog import EXERCISE_IDS, load_catalog
from vagus.program.i18n import LANGS, DataFileError, Lang, data_dir
from vagus.program.screening import (
    ScreeningResult,
    evaluate,
    load_screening,
    missing,
    questions,
)

QUESTION_IDS = [q.id for q in questions("en")]


def no_to_everything() -> dict[str, bool]:
    return {q.id: False for q in questions("en") if q.follow_up_to is None}


def answer_yes(*ids: str) -> dict[str, bool]:
    """Yes to ``ids``, no to the rest (a follow-up of a yes is answered no unless named)."""
    answers = no_to_everything()
    for key in ids:
        answers[key] = True
    for q in questions("en"):
        if q.follow_up_to and answers.get(q.follow_up_to) and q.id not in answers:
            answers[q.id] = False
    return answers


# SAFETY.md, "Per exercise", condition by condition: (condition as SAFETY.md names it, the
# question ids answered yes, the expected status of each exercise it touches, the expected
# adaptations). Every exercise not named must stay "ok".
SAFETY_TABLE: list[tuple[str, tuple[str, ...], dict[str, str], dict[str, tuple[str, ...]]]] = [
    # Cold water on the face: "Clinician clearance first for ..."
    ("known arrhythmia", ("heart-rhythm",), {"cold-water": "clinician"}, {}),
    ("bradycardia", ("slow-pulse",), {"cold-water": "clinician"}, {}),
    ("heart block", ("heart-block",), {"cold-water": "clinician"}, {}),
    (
        "ischaemic heart disease or heart failure",
        ("heart-disease",),
        {"cold-water": "clinician"},
        {},
    ),
    ("pacemaker or ICD", ("pacemaker",), {"cold-water": "clinician"}, {}),
    # "never alone with a faint history" stays after clearance, as an adaptation
    (
        "fainting history, POTS with syncope",
        ("fainting",),
        {"cold-water": "clinician"},
        {"cold-water": ("never-alone",)},
    ),
    ("heart-rate-slowing drugs", ("rate-slowing-medicine",), {"cold-water": "clinician"}, {}),
    ("Raynaud's", ("raynaud",), {"cold-water": "clinician"}, {}),
    # the one stop: the exercise applies the trigger itself (see screening.toml)
    ("cold urticaria", ("cold-urticaria",), {"cold-water": "stop"}, {}),
    (
        "cold-triggered migraine or trigeminal neuralgia",
        ("cold-headache",),
        {"cold-water": "clinician"},
        {},
    ),
    ("recent face or eye surgery", ("face-surgery",), {"cold-water": "clinician"}, {}),
    # ... and pregnancy; slow breathing: "no breath-holds in pregnancy"
    (
        "pregnancy",
        ("pregnancy",),
        {"cold-water": "clinician", "breathing": "adapt"},
        {"breathing": ("no-breath-holds",)},
    ),
    # Neck movements and self-massage: "Clinician first with ..."
    ("recent whiplash", ("whiplash",), {"neck": "clinician"}, {}),
    ("hypermobility / Ehlers-Danlos", ("hypermobility",), {"neck": "clinician"}, {}),
    ("rheumatoid arthritis", ("rheumatoid",), {"neck": "clinician"}, {}),
    ("Down syndrome", ("down-syndrome",), {"neck": "clinician"}, {}),
    ("osteoporosis or long-term steroids", ("osteoporosis",), {"neck": "clinician"}, {}),
    ("anticoagulants", ("anticoagulants",), {"neck": "clinician"}, {}),
    ("recent neck surgery", ("neck-surgery",), {"neck": "clinician"}, {}),
    ("signs of myelopathy", ("myelopathy",), {"neck": "clinician"}, {}),
    ("cancer history", ("cancer",), {"neck": "clinician"}, {}),
    # Slow breathing: "Caution with panic disorder, epilepsy, severe COPD or asthma"
    ("panic disorder", ("panic",), {"breathing": "adapt"}, {"breathing": ("gentle-breathing",)}),
    # epilepsy is also on laughter's "medical advice first" list
    (
        "epilepsy",
        ("epilepsy",),
        {"breathing": "adapt", "laughter": "clinician"},
        {"breathing": ("gentle-breathing",)},
    ),
    (
        "severe COPD or asthma",
        ("lung-disease",),
        {"breathing": "adapt"},
        {"breathing": ("gentle-breathing",)},
    ),
    # Humming: "discomfort with acute ear or sinus infection, vocal-fold problems"
    (
        "acute ear or sinus infection",
        ("ear-sinus",),
        {"humming": "adapt"},
        {"humming": ("soft-humming",)},
    ),
    ("vocal-fold problems", ("vocal-folds",), {"humming": "adapt"}, {"humming": ("soft-humming",)}),
    # Laughter: "medical advice first with ..."
    ("hernia", ("hernia",), {"laughter": "clinician"}, {}),
    # angina is ischaemic heart disease too (cold water)
    ("angina", ("angina",), {"laughter": "clinician", "cold-water": "clinician"}, {}),
    ("uncontrolled blood pressure", ("blood-pressure",), {"laughter": "clinician"}, {}),
    ("major surgery in the last 3 months", ("recent-surgery",), {"laughter": "clinician"}, {}),
    (
        "advanced pregnancy",
        ("pregnancy", "pregnancy-advanced"),
        {"laughter": "clinician", "cold-water": "clinician", "breathing": "adapt"},
        {"breathing": ("no-breath-holds",)},
    ),
    ("severe glaucoma", ("glaucoma",), {"laughter": "clinician"}, {}),
    # "In ME/CFS it counts as exertion"; gentle activity: no fixed increments (NICE NG206)
    (
        "ME/CFS",
        ("me-cfs",),
        {"laughter": "adapt", "activity": "adapt"},
        {"laughter": ("laughter-exertion",), "activity": ("pacing",)},
    ),
    # Meditation: trauma-sensitive design
    (
        "trauma history and PTSD symptoms",
        ("trauma",),
        {"meditation": "adapt"},
        {"meditation": ("trauma-sensitive",)},
    ),
    # Gentle activity
    ("fibromyalgia", ("fibromyalgia",), {"activity": "adapt"}, {"activity": ("slow-progress",)}),
    (
        "orthostatic intolerance",
        ("orthostatic",),
        {"activity": "adapt"},
        {"activity": ("lying-or-seated",)},
    ),
]


@pytest.mark.parametrize(
    ("condition", "yes", "statuses", "adaptations"),
    SAFETY_TABLE,
    ids=[row[0] for row in SAFETY_TABLE],
)
def test_each_safety_condition(
    condition: str,
    yes: tuple[str, ...],
    statuses: dict[str, str],
    adaptations: dict[str, tuple[str, ...]],
) -> None:
    result = evaluate(answer_yes(*yes))
    for exercise in EXERCISE_IDS:
        expected = statuses.get(exercise, "ok")
        assert result.status(exercise) == expected, (condition, exercise)
        assert result.exercises[exercise].adaptations == adaptations.get(exercise, ()), (
            condition,
            exercise,
        )
        reasons = result.exercises[exercise].reasons
        if expected == "ok":
            assert reasons == ()
        else:
            assert reasons, (condition, exercise)
            assert set(reasons) <= set(yes), (condition, exercise)


def test_table_covers_every_question() -> None:
    covered = {key for _, yes, _, _ in SAFETY_TABLE for key in yes}
    assert covered == set(QUESTION_IDS)
    assert len(QUESTION_IDS) == 36


def test_no_to_everything_gives_all_ok() -> None:
    result = evaluate(no_to_everything())
    assert {key: r.status for key, r in result.exercises.items()} == dict.fromkeys(
        EXERCISE_IDS, "ok"
    )
    assert result.allowed() == EXERCISE_IDS
    assert result.needs_clearance() == ()
    assert result.left_out() == ()
    assert result.reasons_text("en") == {}
    assert result.yes == ()


def test_clearance() -> None:
    answers = answer_yes("heart-rhythm", "whiplash", "trauma")
    before = evaluate(answers)
    assert before.needs_clearance() == ("cold-water", "neck")
    assert before.allowed() == ("breathing", "humming", "laughter", "meditation", "activity")
    after = evaluate(answers, cleared={"cold-water", "neck", "meditation"})
    assert after.status("cold-water") == "cleared"
    assert after.status("neck") == "cleared"
    assert after.status("meditation") == "adapt"  # nothing to clear: the adaptation stays
    assert after.needs_clearance() == ()
    assert set(after.allowed()) == set(EXERCISE_IDS)


def test_a_stop_cannot_be_cleared() -> None:
    result = evaluate(answer_yes("cold-urticaria", "heart-rhythm"), cleared={"cold-water"})
    assert result.status("cold-water") == "stop"
    assert result.left_out() == ("cold-water",)


def test_precedence_stop_over_clinician_over_adapt() -> None:
    both = evaluate(answer_yes("cold-urticaria", "fainting"))
    assert both.status("cold-water") == "stop"
    assert both.exercises["cold-water"].reasons == ("fainting", "cold-urticaria")
    clinician_and_adapt = evaluate(answer_yes("epilepsy", "me-cfs"))
    assert clinician_and_adapt.status("laughter") == "clinician"
    assert clinician_and_adapt.exercises["laughter"].adaptations == ("laughter-exertion",)


def test_an_adaptation_stays_after_clearance() -> None:
    result = evaluate(answer_yes("fainting"), cleared={"cold-water"})
    assert result.status("cold-water") == "cleared"
    assert result.exercises["cold-water"].adaptations == ("never-alone",)


@pytest.mark.parametrize("lang", LANGS)
def test_reasons_text(lang: Lang) -> None:
    catalog = load_catalog()
    result = evaluate(answer_yes("cold-urticaria", "pregnancy", "myelopathy", "trauma"))
    texts = result.reasons_text(lang)
    assert set(texts) == {"cold-water", "breathing", "neck", "meditation"}
    for exercise, lines in texts.items():
        name = catalog.exercises[exercise].text("name", lang)
        assert lines, exercise
        assert name in lines[0], (exercise, lines)
    # a stop says why; when left out, a clinician's clearance no longer applies
    assert len(texts["cold-water"]) == 1
    assert "anafylaksi" in texts["cold-water"][0] or "anaphylaxis" in texts["cold-water"][0]
    # myelopathy: ask the clinician, and the note to see a doctor soon
    assert len(texts["neck"]) == 2
    # the adaptation note is the adaptation's text
    assert any(word in texts["meditation"][0] for word in ("jording", "grounding"))


def test_reasons_text_after_clearance() -> None:
    result = evaluate(answer_yes("heart-rhythm", "slow-pulse"), cleared={"cold-water"})
    assert result.exercises["cold-water"].reasons_text("en") == [
        "Cold water on the face: your clinician has cleared it (heart rhythm problem, slow pulse)."
    ]
    waiting = evaluate(answer_yes("heart-rhythm", "slow-pulse"))
    line = waiting.exercises["cold-water"].reasons_text("en")[0]
    assert line.startswith(
        "Cold water on the face: ask your clinician first (heart rhythm problem, slow pulse)."
    )


def test_questions_in_both_languages() -> None:
    nb, en = questions("nb"), questions("en")
    assert [q.id for q in nb] == [q.id for q in en]
    for q_nb, q_en in zip(nb, en, strict=True):
        assert "?" in q_nb.text, q_nb.id
        assert "?" in q_en.text, q_en.id
        assert q_nb.text != q_en.text
        assert q_nb.group_title
        assert q_en.group_title
    follow_ups = {q.id: q.follow_up_to for q in en if q.follow_up_to}
    assert follow_ups == {"pregnancy-advanced": "pregnancy"}


def test_examples_of_heart_slowing_medicines_are_given() -> None:
    text = {q.id: q.text for q in questions("en")}["rate-slowing-medicine"]
    for name in ("beta-blockers", "verapamil", "diltiazem", "digoxin", "ivabradine"):
        assert name in text


def test_follow_up_is_needed_only_after_yes() -> None:
    answers = no_to_everything()
    assert "pregnancy-advanced" not in answers
    assert missing(answers) == []
    evaluate(answers)  # fine without the follow-up
    answers["pregnancy"] = True
    assert missing(answers) == ["pregnancy-advanced"]
    with pytest.raises(ValueError, match="missing for: pregnancy-advanced"):
        evaluate(answers)


def test_unknown_question_ids_are_named() -> None:
    answers = no_to_everything() | {"vertigo": True, "asthma": False}
    with pytest.raises(ValueError, match="unknown screening question ids: asthma, vertigo"):
        evaluate(answers)


def test_unanswered_is_never_taken_as_no() -> None:
    answers = no_to_everything()
    del answers["heart-rhythm"], answers["cancer"]
    with pytest.raises(ValueError, match="missing for: heart-rhythm, cancer"):
        evaluate(answers)


def test_answers_must_be_booleans() -> None:
    answers: dict[str, object] = dict(no_to_everything())
    answers["panic"] = "yes"
    with pytest.raises(ValueError, match="true or false: panic"):
        evaluate(answers)  # type: ignore[arg-type]


def test_unknown_cleared_exercise_is_named() -> None:
    with pytest.raises(ValueError, match="cleared exercise ids unknown: yoga"):
        evaluate(no_to_everything(), cleared={"yoga"})
    with pytest.raises(ValueError, match="exercise 'yoga'"):
        evaluate(no_to_everything()).status("yoga")


def test_to_dict() -> None:
    result: ScreeningResult = evaluate(answer_yes("pregnancy"))
    data = result.to_dict()
    assert data["yes"] == ["pregnancy"]
    exercises = data["exercises"]
    assert isinstance(exercises, dict)
    assert exercises["breathing"] == {
        "status": "adapt",
        "reasons": ["pregnancy"],
        "adaptations": ["no-breath-holds"],
    }


# --- broken screening files ----------------------------------------------------------------------
def _broken(tmp_path: Path, old: str, new: str) -> Path:
    source = (data_dir() / "screening.toml").read_text(encoding="utf-8")
    assert old in source, old
    path = tmp_path / "screening.toml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return path


BROKEN = [
    (
        '[questions.hernia]\ngroup = "pregnancy-surgery"\n',
        '[questions.hernia]\ngroup = "pregnancy-surgery"\ncolour = 1\n',
        "questions.hernia.colour: unknown key",
    ),
    ('label.en = "hernia"\n', "", "questions.hernia.label: missing the 'en' translation"),
    (
        'clinician = ["laughter"]\ntext.nb = "Har du brokk',
        'clinician = ["yoga"]\ntext.nb = "Har du brokk',
        "questions.hernia.clinician: unknown exercise 'yoga'",
    ),
    ('group = "eyes"', 'group = "ears"', "questions.glaucoma.group: unknown group 'ears'"),
    (
        'adapt.humming = "soft-humming"\ntext.nb = "Har du øre',
        'adapt.humming = "loud-humming"\ntext.nb = "Har du øre',
        "questions.ear-sinus.adapt.humming: unknown adaptation 'loud-humming'",
    ),
    (
        'stop_why.en = """\\\n',
        'stop_why_en = """\\\n',
        "questions.cold-urticaria.stop_why: missing the 'en' translation",
    ),
    (
        'follow_up_to = "pregnancy"',
        'follow_up_to = "glaucoma"',
        "questions.pregnancy-advanced.follow_up_to: 'glaucoma' is not a question defined above",
    ),
    (
        'group = "eyes"\nclinician = ["laughter"]\n',
        'group = "eyes"\n',
        "questions.glaucoma.clinician: the question changes no exercise",
    ),
    (
        '[questions.whiplash]\ngroup = "neck-bones"\nclinician = ["neck"]',
        '[questions.whiplash]\ngroup = "neck-bones"\nclinician = ["humming"]',
        "questions.whiplash.clinician: 'humming' needs [exercises.humming] clinician_why",
    ),
    (
        'adapt.activity = "slow-progress"\n',
        'clinician = ["neck"]\n',
        "adaptations.slow-progress: defined but never used",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN)
def test_broken_screening_file_names_file_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(DataFileError) as caught:
        load_screening(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_a_stop_needs_its_reason(tmp_path: Path) -> None:
    source = (data_dir() / "screening.toml").read_text(encoding="utf-8")
    start = source.index("stop_why.nb")
    end = source.index("[questions.cold-headache]")
    path = tmp_path / "screening.toml"
    path.write_text(source[:start] + source[end:], encoding="utf-8")
    with pytest.raises(DataFileError, match=r"questions\.cold-urticaria\.stop_why: missing"):
        load_screening(path)
