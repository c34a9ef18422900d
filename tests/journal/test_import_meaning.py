"""The journal's check of what an export's records mean (issue 11, finding 7): a file that
passes the structural checks but that the program cannot read back is refused, naming the
field by its export path. The app runs this check before every import (tests/app/
test_transfer.py runs the poisoned files through the app and the web)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from vagus.journal import FORMAT_NAME, FORMAT_VERSION, Journal, JournalError
from vagus.journal._export import check_meaning, parse_export
from vagus.journal._validate import MAX_ROW_ID
from vagus.program import questions

T0 = "2026-03-02T07:30:00+00:00"
T1 = "2026-03-02T07:40:00+00:00"


def _empty() -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": T1,
        "settings": [],
        "screenings": [],
        "plans": [],
        "sessions": [],
        "steps": [],
        "ratings": [],
        "feedback": [],
        "gratitude": [],
        "checkins": [],
        "questionnaires": [],
        "recordings": [],
    }


def _good() -> dict[str, Any]:
    """One record of each kind the program reads back, as the app writes them."""
    data = _empty()
    data["screenings"] = [
        {
            "id": 1,
            "at": T0,
            "answers": {"answers": {q.id: False for q in questions("en")}, "cleared": []},
        }
    ]
    entry = {
        "exercise_id": "breathing",
        "dose": 3.0,
        "started": "2026-03-02",
        "since": "2026-03-02",
        "previous_dose": None,
        "last_change": "new",
    }
    item = {"exercise_id": "breathing", "dose": 3.0, "unit": "min", "status": "new"}
    data["plans"] = [
        {
            "id": 1,
            "at": T0,
            "plan": {
                "format": 1,
                "day": "2026-03-02",
                "mode": "standard",
                "based_on": [],
                "entries": [entry],
                "items": [item],
                "pending": [],
                "excluded": [{"exercise_id": "cold-water", "dose": None}],
                "notices": [],
            },
            "reason": "first plan",
        }
    ]
    data["questionnaires"] = [
        {
            "id": 1,
            "at": T0,
            "name": "PHQ-8",
            "answers": [1, 0, 2, 1, 0, 1, 0, 0],
            "score": 5,
            "severity": "mild",
        },
        {
            "id": 2,
            "at": T0,
            "name": "dsq-pem",
            "answers": [2, 2, 0, 0, 0, 0, 0, 0, 0, 0],
            "score": 10.0,
            "severity": "criterion-met",
        },
    ]
    data["recordings"] = [
        {
            "id": 1,
            "source": "replay",
            "tags": ["morning"],
            "session_id": None,
            "started_at": T0,
            "ended_at": T1,
            "analysis": {"indices": {"rmssd": 31.2, "mean_hr": 61.0, "lf_hf": None}},
            "rr_ms": [812.0, 798.5],
        },
        {
            "id": 2,
            "source": "simulated",
            "tags": [],
            "session_id": None,
            "started_at": T0,
            "ended_at": None,
            "analysis": None,
            "rr_ms": [],
        },
    ]
    return data


Poison = Callable[[dict[str, Any]], Any]


def _plan(data: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = data["plans"][0]["plan"]
    return plan


def _screening(data: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = data["screenings"][0]["answers"]
    return answers


CASES: dict[str, tuple[Poison, str]] = {
    "an unknown question": (
        lambda d: _screening(d)["answers"].update({"x-ray": True}),
        "screenings[0].answers.answers.x-ray",
    ),
    "an answer as text": (
        lambda d: _screening(d)["answers"].update({"fainting": "no"}),
        "screenings[0].answers.answers.fainting",
    ),
    "a question unanswered": (
        lambda d: _screening(d)["answers"].pop("fainting"),
        "screenings[0].answers.answers",
    ),
    "answers not an object": (
        lambda d: _screening(d).update(answers=[True]),
        "screenings[0].answers.answers",
    ),
    "an unknown screening field": (
        lambda d: _screening(d).update(extra=1),
        "screenings[0].answers",
    ),
    "an unknown exercise cleared": (
        lambda d: _screening(d).update(cleared=["breathing", "yoga"]),
        "screenings[0].answers.cleared[1]",
    ),
    "cleared not a list": (
        lambda d: _screening(d).update(cleared="breathing"),
        "screenings[0].answers.cleared",
    ),
    "a plan without its day": (lambda d: _plan(d).pop("day"), "plans[0].plan.day"),
    "a plan's day not a date": (lambda d: _plan(d).update(day=20260302), "plans[0].plan.day"),
    "entries not a list": (lambda d: _plan(d).update(entries={}), "plans[0].plan.entries"),
    "an entry not an object": (
        lambda d: _plan(d).update(entries=["breathing"]),
        "plans[0].plan.entries[0]",
    ),
    "an entry of an unknown exercise": (
        lambda d: _plan(d)["entries"][0].update(exercise_id="yoga"),
        "plans[0].plan.entries[0].exercise_id",
    ),
    "an entry's dose as text": (
        lambda d: _plan(d)["entries"][0].update(dose="3"),
        "plans[0].plan.entries[0].dose",
    ),
    "an entry without its start": (
        lambda d: _plan(d)["entries"][0].pop("started"),
        "plans[0].plan.entries[0].started",
    ),
    "an entry's previous dose as text": (
        lambda d: _plan(d)["entries"][0].update(previous_dose="2"),
        "plans[0].plan.entries[0].previous_dose",
    ),
    "an entry's last change unknown": (
        lambda d: _plan(d)["entries"][0].update(last_change="jump"),
        "plans[0].plan.entries[0].last_change",
    ),
    "an item's dose as text": (
        lambda d: _plan(d)["items"][0].update(dose="3"),
        "plans[0].plan.items[0].dose",
    ),
    "an item's unit not a text": (
        lambda d: _plan(d)["items"][0].update(unit=3),
        "plans[0].plan.items[0].unit",
    ),
    "an unknown questionnaire": (
        lambda d: d["questionnaires"][0].update(name="BDI-II"),
        "questionnaires[0].name",
    ),
    "an unknown severity": (
        lambda d: d["questionnaires"][0].update(severity="awful"),
        "questionnaires[0].severity",
    ),
    "a severity the answers do not give": (
        lambda d: d["questionnaires"][1].update(severity="criterion-not-met"),
        "questionnaires[1].severity",
    ),
    "a score that is not the answers'": (
        lambda d: d["questionnaires"][0].update(score=6),
        "questionnaires[0].score",
    ),
    "too few answers": (
        lambda d: d["questionnaires"][0].update(answers=[1, 0]),
        "questionnaires[0].answers",
    ),
    "answers not a list": (
        lambda d: d["questionnaires"][0].update(answers={"1": 1}),
        "questionnaires[0].answers",
    ),
    "text where an index is a number": (
        lambda d: d["recordings"][0]["analysis"]["indices"].update(rmssd="31.2"),
        "recordings[0].analysis.indices.rmssd",
    ),
    "a boolean where an index is a number": (
        lambda d: d["recordings"][0]["analysis"]["indices"].update(mean_hr=True),
        "recordings[0].analysis.indices.mean_hr",
    ),
    "indices not an object": (
        lambda d: d["recordings"][0]["analysis"].update(indices="rmssd 31"),
        "recordings[0].analysis.indices",
    ),
}


def test_a_good_file_passes() -> None:
    parsed = check_meaning(_good())
    assert parsed.rows["plans"][0]["plan"]["day"] == "2026-03-02"


@pytest.mark.parametrize("case", CASES)
def test_a_record_the_program_cannot_read_is_refused_naming_its_path(case: str) -> None:
    poison, path = CASES[case]
    data = copy.deepcopy(_good())
    poison(data)
    parse_export(copy.deepcopy(data))  # the structure alone lets it through
    with pytest.raises(JournalError) as refused:
        check_meaning(data)
    assert refused.value.field == path
    assert str(refused.value).startswith(f"{path}: expected "), str(refused.value)


def test_a_structural_error_comes_first() -> None:
    data = _good()
    data["sessions"] = [{"id": "one"}]
    with pytest.raises(JournalError, match=r"^sessions\[0\]"):
        check_meaning(data)


def test_an_id_beyond_the_integer_range_is_refused() -> None:
    data = _good()
    data["recordings"][1]["id"] = MAX_ROW_ID + 1
    with pytest.raises(JournalError, match=r"^recordings\[1\]\.id: expected an id of at most"):
        check_meaning(data)


def test_a_checked_file_imports_and_exports_the_same(journal: Journal) -> None:
    good = _good()
    check_meaning(copy.deepcopy(good))
    journal.import_(copy.deepcopy(good))
    again = journal.export()
    for name in ("screenings", "plans", "questionnaires"):
        assert again[name] == [
            {**row, "score": float(row["score"])} if name == "questionnaires" else row
            for row in good[name]
        ]
    check_meaning(again)
