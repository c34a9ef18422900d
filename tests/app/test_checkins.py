"""Check-ins carry their warning signs as data; a red flag stays on Today until the person
confirms they got help; a sign reported in a session stops it (issue 10, SAFETY.md)."""

from __future__ import annotations

import pytest

from vagus.app import App, AppError, today_overview
from vagus.app.models import CheckinIn

RATINGS = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}


def test_symptoms_are_stored_as_a_field_not_in_the_note(app: App) -> None:
    out = app.checkins.add(CheckinIn(**RATINGS, note="ok", symptoms=["chest-pain"]), "en")
    (entry,) = app.transfer.history(["checkin"])
    assert entry["symptoms"] == ["chest-pain"]
    assert entry["note"] == "ok"
    assert out.safety.red_flags == ["heart"]
    assert any("116 117" in line for line in out.safety.advice)
    assert any("113" in line for line in out.safety.advice)


def test_self_harm_thoughts_give_the_crisis_lines_at_once(app: App) -> None:
    out = app.checkins.add(CheckinIn(**RATINGS, symptoms=["self-harm-thoughts"]), "nb")
    assert out.safety.crisis
    assert any("116 123" in line for line in out.safety.advice)  # Mental Helse
    assert any("113" in line for line in out.safety.advice)


def test_unknown_symptom_is_refused_and_nothing_stored(app: App) -> None:
    with pytest.raises(AppError) as caught:
        app.checkins.add(CheckinIn(**RATINGS, symptoms=["sore-toe"]), "en")
    assert caught.value.field == "symptoms"
    assert app.transfer.history(["checkin"]) == []


def test_red_flag_stays_on_today_until_confirmed(screened: App) -> None:
    assert today_overview(screened, "en")["red_flag"] is None
    screened.checkins.add(CheckinIn(**RATINGS, symptoms=["thunderclap-headache"]), "en")
    flag = today_overview(screened, "en")["red_flag"]
    assert flag is not None
    assert flag["safety"]["emergency"]
    assert any("113" in line for line in flag["safety"]["advice"])
    # A later, calm check-in does not hide it: only the person's confirmation does.
    screened.checkins.add(CheckinIn(**RATINGS), "en")
    assert today_overview(screened, "en")["red_flag"] is not None
    screened.checkins.confirm_help()
    assert today_overview(screened, "en")["red_flag"] is None


def test_a_sign_in_a_session_stops_it_with_advice(screened: App) -> None:
    run = screened.sessions.start("breathing")
    out = screened.sessions.report_symptoms(run.session_id, ["chest-pain"], "", "en")
    assert out.safety.stop_session
    assert out.status == "stopped"
    assert any("113" in line for line in out.safety.advice)
    stored = screened.sessions.get(run.session_id)
    assert stored["status"] == "stopped"
    assert stored["feedback"][0]["symptoms"] == ["chest-pain"]
    assert today_overview(screened, "en")["red_flag"] is not None


def test_a_stop_rule_sign_gives_the_exercise_advice_and_no_red_flag(screened: App) -> None:
    run = screened.sessions.start("breathing")
    out = screened.sessions.report_symptoms(run.session_id, ["tingling"], "", "en")
    assert out.safety.red_flags == []
    assert "natural breathing" in out.safety.advice[0]
    assert today_overview(screened, "en")["red_flag"] is None
