"""Check-ins, calm ratings and after-session feedback: validation and the rating direction."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from vagus.program.checkin import (
    FIELDS,
    HIGHER_IS_BETTER,
    LABELS,
    LABELS_DEFINITE,
    SCALE_ENDS,
    CalmRating,
    CheckIn,
    SessionFeedback,
)

AT = datetime(2025, 3, 3, 8, 0)
OK = {"sleep": 7, "headache": 2, "digestion": 1, "anxiety": 3, "pain": 4, "fatigue": 6}


def test_valid_check_in_and_the_direction_of_each_rating() -> None:
    c = CheckIn(**OK, at=AT, note="slept badly after coffee")
    assert c.ratings() == OK
    # Higher is worse for everything but sleep; burden() turns sleep around.
    assert frozenset({"sleep"}) == HIGHER_IS_BETTER
    assert [c.burden(f) for f in FIELDS] == [3, 2, 1, 3, 4, 6]
    assert CheckIn(**{**OK, "sleep": 10}, at=AT).burden("sleep") == 0
    assert CheckIn(**{**OK, "sleep": 0}, at=AT).burden("sleep") == 10


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", [11, -1])
def test_out_of_range_rating_names_the_field_and_the_range(name: str, value: int) -> None:
    ends = "0 = worst, 10 = best" if name == "sleep" else "0 = none, 10 = worst"
    expected = f"{name}: {value} is outside the rating range 0-10 ({ends})"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        CheckIn(**{**OK, name: value}, at=AT)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5.5, "pain: 5.5 is not a whole number 0-10"),
        (True, "pain: expected a whole number 0-10"),
        ("5", "pain: expected a whole number 0-10 (0 = none, 10 = worst), got '5'"),
        (None, "pain: expected a whole number"),
    ],
)
def test_non_integer_ratings_are_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        CheckIn(**{**OK, "pain": value}, at=AT)  # type: ignore[arg-type]


def test_whole_floats_are_accepted_as_ints() -> None:
    c = CheckIn(**{**OK, "pain": 4.0}, at=AT)  # type: ignore[arg-type]
    assert c.pain == 4
    assert isinstance(c.pain, int)


def test_time_and_note_are_checked() -> None:
    with pytest.raises(ValueError, match="at: expected a datetime"):
        CheckIn(**OK, at="2025-03-03")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="note: 2001 characters; at most 2000"):
        CheckIn(**OK, at=AT, note="x" * 2001)


def test_calm_rating() -> None:
    assert CalmRating(0).value == 0
    assert CalmRating(10).value == 10
    with pytest.raises(ValueError, match=r"calm: 11 is outside the rating range 0-10 \(0 = worst"):
        CalmRating(11)


def test_session_feedback() -> None:
    f = SessionFeedback("calmer, a bit dizzy at first", ("dizziness", "tingling"))
    assert f.symptoms == ("dizziness", "tingling")
    assert f.calm_change is None
    assert SessionFeedback(calm_before=CalmRating(3), calm_after=CalmRating(7)).calm_change == 4
    assert SessionFeedback(symptoms=["chest-tightness"]).symptoms == ("chest-tightness",)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="symptoms: 'Dizzy' is not a symptom id"):
        SessionFeedback(symptoms=("Dizzy",))
    with pytest.raises(ValueError, match="symptoms: listed twice"):
        SessionFeedback(symptoms=("dizziness", "dizziness"))
    with pytest.raises(ValueError, match="felt: expected text"):
        SessionFeedback(felt=3)  # type: ignore[arg-type]


def test_every_field_has_labels_in_both_languages() -> None:
    for table in (LABELS, LABELS_DEFINITE, SCALE_ENDS):
        assert set(table) == set(FIELDS)
        for field in FIELDS:
            assert set(table[field]) == {"nb", "en"}
            assert all(table[field].values())
    assert LABELS_DEFINITE["fatigue"]["nb"] == "utmattelsen"
