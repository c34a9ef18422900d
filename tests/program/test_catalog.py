"""The catalog of exercises, treatments and the clinic (vagus.program.catalog)."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from vagus.program import exercises
from vagus.program.catalog import (
    EXERCISE_IDS,
    EXERCISE_LISTS,
    EXERCISE_TEXTS,
    REFERENCES,
    SOURCES,
    load_catalog,
)
from vagus.program.i18n import LANGS, DataFileError, Lang, data_dir

CATALOG = load_catalog()


def test_exercise_ids_are_the_seven_of_the_guide_in_order() -> None:
    assert EXERCISE_IDS == (
        "breathing",
        "cold-water",
        "humming",
        "neck",
        "laughter",
        "meditation",
        "activity",
    )
    assert tuple(CATALOG.exercises) == EXERCISE_IDS


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is CATALOG


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_every_text_exists_in_both_languages(exercise_id: str) -> None:
    exercise = CATALOG.exercises[exercise_id]
    for field in EXERCISE_TEXTS:
        nb, en = (exercise.text(field, lang) for lang in LANGS)
        assert nb.strip(), field
        assert en.strip(), field
        assert nb != en or field == "name", field  # translated, not copied across
    for field in EXERCISE_LISTS:
        nb_lines, en_lines = (exercise.lines(field, lang) for lang in LANGS)
        assert len(nb_lines) == len(en_lines) >= 1, field
    assert len(exercise.lines("steps", "en")) >= 3
    # A summary is one line.
    for lang in LANGS:
        assert "\n" not in exercise.text("summary", lang)
        assert len(exercise.text("summary", lang)) <= 100


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_to_dict_is_what_exercises_json_prints(exercise_id: str) -> None:
    for lang in LANGS:
        data = CATALOG.exercises[exercise_id].to_dict(lang)
        assert {"id", "name", "summary", "default_minutes"} <= set(data)
        assert data["id"] == exercise_id
        assert isinstance(data["steps"], list)
        json.dumps(data)  # JSON-ready


# The guide's durations: breathing 2-5 min, humming 1-3, activity "even 10 minutes a day".
@pytest.mark.parametrize(
    ("exercise_id", "minutes"),
    [
        ("breathing", 3),
        ("cold-water", 1),
        ("humming", 2),
        ("neck", 3),
        ("laughter", 5),
        ("meditation", 3),
        ("activity", 10),
    ],
)
def test_default_minutes(exercise_id: str, minutes: int) -> None:
    assert CATALOG.exercises[exercise_id].default_minutes == minutes
    # The catalog shows what `vagus do` runs by default: the step program's own length,
    # rounded up to whole minutes (the untimed prepare, log and gratitude steps not counted).
    assert minutes == math.ceil(exercises.default_minutes(exercise_id))


def test_sources_cite_the_brief_by_number() -> None:
    assert sorted(SOURCES) == list(range(1, 9))
    assert "Clancy" in SOURCES[1]
    assert "Budgell" in SOURCES[7]
    assert CATALOG.exercises["neck"].sources == (7,)  # neck touch and HRV
    assert CATALOG.treatments["laser"].sources == (4,)  # Chow 2009, LLLT for neck pain
    data = CATALOG.exercises["neck"].to_dict("en")
    assert data["sources"] == [{"number": 7, "citation": SOURCES[7]}]
    assert CATALOG.exercises["cold-water"].references == ("shattock-tipton-2012",)
    assert "Shattock" in REFERENCES["shattock-tipton-2012"]


def _en(exercise_id: str, field: str) -> str:
    return CATALOG.exercises[exercise_id].text(field, "en")


def test_cautions_carry_the_safety_facts() -> None:
    cold = _en("cold-water", "cautions") + _en("cold-water", "steps")
    for fact in (
        "10–15 °C",
        "not ice water",
        "seated",
        "never alone",
        "113",
        "cold urticaria",
        "Don't hold your breath",
        "beta-blockers",
        "ivabradine",
        "pregnancy",
    ):
        assert fact in cold, fact
    neck = _en("neck", "cautions") + _en("neck", "tips")
    for fact in (
        "front of your neck",
        "carotid",
        "whiplash",
        "Ehlers-Danlos",
        "blood thinners",
        "both hands",
        "circles",
        "double vision",
    ):
        assert fact in neck, fact
    breathing = _en("breathing", "cautions")
    for fact in (
        "tingling",
        "dizziness",
        "chest tightness",
        "panic",
        "epilepsy",
        "COPD",
        "no breath-holds",
    ):
        assert fact in breathing, fact
    laughter = _en("laughter", "cautions")
    for fact in (
        "hernia",
        "angina",
        "blood pressure",
        "epilepsy",
        "3 months",
        "pregnancy",
        "glaucoma",
        "ME/CFS",
        "exertion",
    ):
        assert fact in laughter, fact
    meditation = _en("meditation", "cautions") + _en("meditation", "tips")
    for fact in ("trauma", "eyes open", "stop at any time", "feet on the floor"):
        assert fact in meditation, fact
    activity = _en("activity", "cautions") + _en("activity", "tips")
    for fact in (
        "no fixed increments",
        "12–72 hours",
        "lying down or seated",
        "fibromyalgia",
        "chest pain",
        "out of proportion",
        "faint",
        "neurological",
    ):
        assert fact in activity, fact
    humming = _en("humming", "cautions")
    for fact in ("ear or sinus infection", "vocal folds"):
        assert fact in humming, fact


def test_words_stay_modest() -> None:
    """No promises: the texts on how an exercise acts say "may", "can", "some", "linked"."""
    for exercise in CATALOG.exercises.values():
        for lang in LANGS:
            vagus = exercise.text("vagus", lang).lower()
            assert not re.search(r"\b(cures?|guarantees?|proven|kurerer|garanterer)\b", vagus)
        en = exercise.text("vagus", "en").lower()
        assert re.search(r"\b(may|can|linked|suggests|often)\b", en), exercise.id


def _all_catalog_text(lang: Lang) -> str:
    parts: list[str] = []
    for exercise in CATALOG.exercises.values():
        parts.append(json.dumps(exercise.to_dict(lang), ensure_ascii=False))
    for treatment in CATALOG.treatments.values():
        parts.append(json.dumps(treatment.to_dict(lang), ensure_ascii=False))
    parts.append(json.dumps(CATALOG.clinic.to_dict(lang), ensure_ascii=False))
    return "\n".join(parts)


@pytest.mark.parametrize("lang", LANGS)
def test_no_web_addresses_or_phone_numbers(lang: Lang) -> None:
    text = _all_catalog_text(lang)
    assert not re.search(r"https?://|www\.|\S+@\S+\.\w", text)
    # Norwegian phone numbers have 8 digits; 113 (emergency) is the only number we give.
    assert not re.search(r"\b\d{2} ?\d{2} ?\d{2} ?\d{2}\b", text)


def test_treatments() -> None:
    assert list(CATALOG.treatments) == [
        "neck-muscles",
        "suboccipital",
        "upper-cervical",
        "laser",
        "dry-needling",
    ]
    upper = CATALOG.treatments["upper-cervical"]
    assert upper.performed_by == ("chiropractor",)
    assert upper.references == ("ifompt-2020", "jull-2008")
    assert upper.screening is not None
    screening = upper.screening.en
    for fact in (
        "Jull's test",
        "deep neck flexors",
        "20 mmHg",
        "22 to 30 mmHg",
        "not an instability test",
        "poor accuracy",
        "not mobilised",
        "IFOMPT",
        "whiplash",
        "hypermobility",
        "upper crossed syndrome",
    ):
        assert fact in screening, fact
    assert "IFOMPT" in upper.screening.nb
    assert "ikke i seg selv en instabilitetstest" in (upper.screening.nb)
    for treatment in CATALOG.treatments.values():
        if treatment.id != "upper-cervical":
            assert treatment.screening is None
        assert set(treatment.performed_by) <= set(CATALOG.clinic.clinicians)
        assert set(treatment.bookable_as) <= set(CATALOG.clinic.bookable)
    neck = CATALOG.treatments["neck-muscles"].summary.en
    for muscle in ("sternocleidomastoid", "scalenus", "omohyoid", "longus colli"):
        assert muscle in neck


def test_clinic() -> None:
    clinic = CATALOG.clinic
    assert list(clinic.bookable) == [
        "physiotherapy",
        "physical-treatment",
        "dry-needling",
        "connective-tissue-massage",
        "laser",
    ]
    assert clinic.bookable["physical-treatment"].nb == "Fysikalsk behandling"
    names = [d.name for d in clinic.departments]
    assert names == ["Jessheim", "Oslo (Lambertseter)", "Eidsvoll Sundet", "Grimstad", "Råholt"]
    assert [d.name for d in clinic.departments if d.main] == ["Jessheim"]
    assert set(clinic.clinicians) == {"physiotherapist", "chiropractor"}
    assert "24/7" in clinic.booking.en


def test_unknown_exercise_is_named() -> None:
    with pytest.raises(ValueError, match="exercise 'yoga': expected one of breathing"):
        CATALOG.exercise("yoga")
    with pytest.raises(ValueError, match="exercise text 'colour'"):
        CATALOG.exercises["neck"].text("colour", "en")
    with pytest.raises(ValueError, match="exercise list 'name'"):
        CATALOG.exercises["neck"].lines("name", "en")


# --- broken catalogs, built in a temporary folder ------------------------------------------------
def _copy_catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(str(data_dir() / "catalog"), folder)
    return folder


def _edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def _append(name: str, extra: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        with (folder / name).open("a", encoding="utf-8") as handle:
            handle.write(extra)

    return edit


BROKEN = [
    pytest.param(
        _append("breathing.toml", '\ncolour = "red"\n'),
        "breathing.toml",
        "colour: unknown key",
        id="unknown-key",
    ),
    pytest.param(
        _edit("humming.toml", 'name.en = "Humming and singing"\n', ""),
        "humming.toml",
        "name: missing the 'en' translation",
        id="missing-en",
    ),
    pytest.param(
        _edit("humming.toml", 'name.nb = "Nynning og sang"\n', ""),
        "humming.toml",
        "name: missing the 'nb' translation",
        id="missing-nb",
    ),
    pytest.param(
        _append("neck.toml", '\nname.de = "Nacken"\n'),
        "neck.toml",
        "name.de: unknown key",
        id="third-language",
    ),
    pytest.param(
        _edit(
            "meditation.toml",
            'tips.en = [\n    "Short is fine. Two or three minutes count.",\n',
            "tips.en = [\n",
        ),
        "meditation.toml",
        "tips: nb has 2 items and en has 1",
        id="list-length",
    ),
    pytest.param(
        _edit("laughter.toml", "sources = [5]", "sources = [9]"),
        "laughter.toml",
        "sources: no source 9",
        id="unknown-source",
    ),
    pytest.param(
        _edit("activity.toml", 'references = ["nice-ng206-2021"', 'references = ["nice-2099"'),
        "activity.toml",
        "references: unknown reference 'nice-2099'",
        id="unknown-reference",
    ),
    pytest.param(
        _edit("breathing.toml", "default_minutes = 3", "default_minutes = 0"),
        "breathing.toml",
        "default_minutes: expected an integer in 1..60, got 0",
        id="minutes-range",
    ),
    pytest.param(
        _edit("breathing.toml", "default_minutes = 3", 'default_minutes = "5"'),
        "breathing.toml",
        "default_minutes: expected an integer",
        id="minutes-type",
    ),
    pytest.param(
        _edit("cold-water.toml", "default_minutes = 1", "default_minutes = "),
        "cold-water.toml",
        "not valid TOML",
        id="syntax",
    ),
    pytest.param(
        lambda folder: (folder / "laughter.toml").unlink(),
        "laughter.toml",
        "file not found",
        id="missing-file",
    ),
    pytest.param(
        lambda folder: (folder / "yoga.toml").write_text("", encoding="utf-8"),
        "yoga.toml",
        "unexpected file",
        id="extra-file",
    ),
    pytest.param(
        _edit("clinic.toml", 'performed_by = ["chiropractor"]', 'performed_by = ["surgeon"]'),
        "clinic.toml",
        "treatments.upper-cervical.performed_by: unknown clinician 'surgeon'",
        id="unknown-clinician",
    ),
    pytest.param(
        _edit("clinic.toml", 'bookable_as = ["laser"]', 'bookable_as = ["sauna"]'),
        "clinic.toml",
        "treatments.laser.bookable_as: unknown bookable type 'sauna'",
        id="unknown-bookable",
    ),
    pytest.param(
        _edit("clinic.toml", 'name = "Grimstad"', 'name = "Grimstad"\nphone = "1"'),
        "clinic.toml",
        "clinic.departments.grimstad.phone: unknown key",
        id="department-key",
    ),
    pytest.param(
        _edit(
            "clinic.toml", 'aim.en = "May improve movement in the top joints of the neck."\n', ""
        ),
        "clinic.toml",
        "treatments.upper-cervical.aim: missing the 'en' translation",
        id="treatment-missing-en",
    ),
    pytest.param(
        _edit("clinic.toml", 'booking.en = "Online booking, around the clock (24/7)."\n', ""),
        "clinic.toml",
        "clinic.booking: missing the 'en' translation",
        id="clinic-missing-en",
    ),
]


@pytest.mark.parametrize(("breaker", "file", "expected"), BROKEN)
def test_broken_catalog_names_file_and_key(
    tmp_path: Path, breaker: Callable[[Path], None], file: str, expected: str
) -> None:
    folder = _copy_catalog(tmp_path)
    assert load_catalog(folder).exercises.keys() == CATALOG.exercises.keys()  # intact copy
    breaker(folder)
    with pytest.raises(DataFileError) as caught:
        load_catalog(folder)
    message = str(caught.value)
    assert message.startswith(str(folder / file)), message
    assert expected in message, message
