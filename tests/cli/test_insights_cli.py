"""`vagus insights` on SQLite and PostgreSQL: one JSON object of the issue's shape, equal to
what the app (and so /api/insights) says; the table and words in nb and en; and a session done
with a sensor shows its before and after in its summary and feeds the insights."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
from typer.testing import CliRunner, Result

from fake_clock import FakeNow
from insights_journal import add_morning, add_session
from vagus.app import build_app
from vagus.cli import app

runner = CliRunner()


def run(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def fill(env: dict[str, str], now: FakeNow) -> None:
    """Breathing raises RMSSD by 25 % every time, humming by 0-4 %; 16 mornings."""
    built = build_app(env=env, now=now)
    try:
        for k in range(6):
            at = now.at - timedelta(days=12 - 2 * k, hours=1)
            add_session(built.journal, at, "breathing", rmssd_before=40.0, rmssd_after=50.0 + k % 2)
            add_session(
                built.journal,
                at + timedelta(minutes=30),
                "humming",
                rmssd_before=40.0,
                rmssd_after=40.0 + 0.8 * (k % 3),
            )
        for day in range(16):
            add_morning(built.journal, now.at - timedelta(days=day, minutes=20), 40.0 + day % 3)
    finally:
        built.close()


def test_json_is_one_object_of_the_issue_s_shape(screened_env: dict[str, str]) -> None:
    result = run(screened_env, "insights", "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"exercises", "best", "next", "morning", "symptoms"}
    assert len(data["exercises"]) == 7
    for exercise in data["exercises"]:
        assert exercise["sessions"] == exercise["paired"] == 0
        assert exercise["ln_rmssd_change"] is exercise["p_best"] is None
    assert data["best"] is None
    assert set(data["next"]) == {"exercise", "reason"}
    assert data["morning"]["status"] == "too-few"


def test_json_equals_the_app_s_answer(screened_env: dict[str, str], now: FakeNow) -> None:
    fill(screened_env, now)
    result = run(screened_env, "insights", "--json", "--lang", "nb")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    built = build_app(env=screened_env, now=now)
    try:
        assert data == built.insights.overview("nb")
    finally:
        built.close()
    by_id = {e["id"]: e for e in data["exercises"]}
    assert by_id["breathing"]["paired"] == 6
    assert by_id["breathing"]["ln_rmssd_change"]["low"] > 0
    assert data["best"] == "breathing"
    assert data["morning"]["days"] == 16
    assert data["morning"]["status"] in {"below", "within", "above"}


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            (
                "The exercises for you so far",
                "Belly breathing",
                "For you, so far",
                "not replace a doctor",
            ),
        ),
        (
            "nb",
            ("Øvelsene for deg så langt", "Magepust", "For deg så langt", "erstatter ikke lege"),
        ),
    ],
)
def test_the_table_and_words(
    screened_env: dict[str, str], now: FakeNow, lang: str, words: tuple[str, ...]
) -> None:
    fill(screened_env, now)
    result = runner.invoke(app, ["insights", "--lang", lang], env=screened_env | {"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.stdout
    # Breathing's mean change: RMSSD 40 -> 50 or 51 ms, about +26 %; the percent in the table.
    assert "+26" in result.stdout or "+25" in result.stdout or "+27" in result.stdout
    # Heart rate falls by exactly 2 bpm in every session (66 -> 64): written per language.
    decimal = "," if lang == "nb" else "."
    assert f"-2{decimal}0" in result.stdout


def test_a_session_with_a_sensor_shows_its_before_and_after(screened_env: dict[str, str]) -> None:
    result = run(
        screened_env, "do", "breathing", "--minutes", "2", "--speed", "60", "--sensor", "simulated"
    )
    assert result.exit_code == 0, result.output
    assert "Rest before: RMSSD" in result.stdout
    assert "Change in RMSSD" in result.stdout
    data = json.loads(run(screened_env, "insights", "--json").stdout)
    breathing = next(e for e in data["exercises"] if e["id"] == "breathing")
    assert (breathing["sessions"], breathing["paired"]) == (1, 1)
    assert math.isfinite(breathing["ln_rmssd_change"]["mean"])


def test_the_readiness_rule_is_shown_and_set(screened_env: dict[str, str]) -> None:
    # The terminal wraps long lines (and the console is made once per process): compare words.
    off = run(screened_env, "plan", "readiness", "--lang", "en")
    assert off.exit_code == 0, off.output
    assert "The rule is off: the plan does not look at HRV" in " ".join(off.stdout.split())
    on = run(
        screened_env, "plan", "readiness", "--hold-when-below", "--by", "clinician", "--lang", "nb"
    )
    assert on.exit_code == 0, on.output
    said = " ".join(on.stdout.split())
    assert "Regel på (satt av behandleren din)" in said
    assert "For få morgenmålinger ennå: 0 av 14" in said
    data = json.loads(run(screened_env, "plan", "readiness", "--json").stdout)
    assert data == {"hold_when_below": True, "set_by": "clinician", "status": "too-few"}
    bad = run(screened_env, "plan", "readiness", "--off", "--by", "nobody")
    assert bad.exit_code == 2
    assert "set_by: expected person or clinician" in bad.stderr
    assert json.loads(run(screened_env, "plan", "readiness", "--json").stdout)["hold_when_below"]
