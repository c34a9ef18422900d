"""A new user's path through the program from the command line, in both languages, on SQLite
and PostgreSQL: screen, plan, do, check in, and find it all in the journal."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from vagus.cli import app
from vagus.config import load_settings
from vagus.journal import Journal
from vagus.program import EXERCISE_IDS
from waiting import stop_child, wait_until

runner = CliRunner()


def run(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def history(env: dict[str, str]) -> list[dict[str, Any]]:
    result = run(env, "history", "--json")
    assert result.exit_code == 0, result.output
    entries: list[dict[str, Any]] = json.loads(result.stdout)
    return entries


@pytest.mark.parametrize(
    ("lang", "plan_title", "saved"),
    [
        ("en", "Today's plan", "Your check-in is saved."),
        ("nb", "Dagens plan", "Innsjekken er lagret."),
    ],
)
def test_new_user_path(vagus_env: dict[str, str], lang: str, plan_title: str, saved: str) -> None:
    env = vagus_env | {"VAGUS_LANG": lang}
    screened = run(env, "screen", "--none")
    assert screened.exit_code == 0, screened.output
    # The first run shows the intended purpose and that vagus does not replace a doctor.
    assert ("does not replace a doctor" if lang == "en" else "erstatter ikke lege") in (
        screened.stdout
    )
    planned = run(env, "plan")
    assert planned.exit_code == 0, planned.output
    assert plan_title in planned.stdout
    plan = json.loads(run(env, "plan", "--json").stdout)
    first = [item["exercise_id"] for item in plan["items"]]
    assert first[0] == "breathing"  # a new plan starts small, breathing first
    assert 1 <= len(first) <= 2
    assert all(item["reason"]["nb"] and item["reason"]["en"] for item in plan["items"])

    done = run(
        env,
        "do",
        "breathing",
        "--minutes",
        "2",
        "--speed",
        "240",
        "--calm-before",
        "3",
        "--calm-after",
        "6",
    )
    assert done.exit_code == 0, done.output
    checked = run(
        env,
        "checkin",
        "--sleep",
        "6",
        "--headache",
        "2",
        "--digestion",
        "3",
        "--anxiety",
        "4",
        "--pain",
        "5",
        "--fatigue",
        "6",
        "--note",
        "ok day",
    )
    assert checked.exit_code == 0, checked.output
    assert saved in checked.stdout

    entries = history(env)
    types = [entry["type"] for entry in entries]
    assert {"session", "checkin", "plan", "screening"} <= set(types)
    for entry in entries:
        assert entry["started_at"].endswith("+00:00")
    session = next(e for e in entries if e["type"] == "session")
    assert session["exercise_id"] == "breathing"
    assert session["status"] == "completed"
    assert [s["step_id"] for s in session["steps"]] == ["prepare", "breathe", "finish"]
    breathe = session["steps"][1]
    assert breathe["outcome"] == "completed"
    assert breathe["active_s"] == pytest.approx(120, abs=6)  # whole breaths: 2 min +- 1 breath
    assert session["ratings"] == {"before": 3, "after": 6}
    checkin = next(e for e in entries if e["type"] == "checkin")
    assert (checkin["sleep"], checkin["fatigue"], checkin["note"]) == (6, 6, "ok day")


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_exercises_json(vagus_env: dict[str, str], lang: str) -> None:
    result = run(vagus_env, "exercises", "--json", "--lang", lang)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == list(EXERCISE_IDS)
    for row in rows:
        assert {"id", "name", "summary", "default_minutes"} <= set(row)
    names = {row["id"]: row["name"] for row in rows}
    assert names["breathing"] == ("Magepust" if lang == "nb" else "Belly breathing")
    shown = run(vagus_env, "exercises", "show", "neck", "--lang", lang)
    assert shown.exit_code == 0, shown.output


def test_bad_input_changes_nothing(vagus_env: dict[str, str], tmp_path: Path) -> None:
    assert run(vagus_env, "screen", "--none").exit_code == 0
    # Today's plan is stored the first time it is looked at (a refused `do` looks at it too).
    assert run(vagus_env, "plan", "--json").exit_code == 0
    before = history(vagus_env)
    cases = [
        (
            (
                "checkin",
                "--sleep",
                "11",
                "--headache",
                "2",
                "--digestion",
                "3",
                "--anxiety",
                "4",
                "--pain",
                "5",
                "--fatigue",
                "6",
            ),
            "sleep",
        ),
        (("do", "swimming"), "unknown exercise"),
        (("do", "breathing", "--inhale", "1", "--exhale", "1"), "inhale_s"),
        (("do", "breathing", "--inhale", "2", "--exhale", "2"), "breaths/min"),
        (("do", "breathing", "--minutes", "9"), "minutes"),
        (("do", "breathing", "--calm-before", "11"), "--calm-before"),
        (("questionnaire", "gad-7", "--answers", "1,2,3"), "gad-7"),
        (("screen", "--answer", "no-such-question=yes"), "unknown question"),
    ]
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"format": "vagus-journal", "version": 1, "sessions": [{"id": "x"}')
    cases.append((("import", str(corrupt)), str(corrupt)))
    for args, expected in cases:
        result = run(vagus_env, *args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert history(vagus_env) == before


def test_screening_clearance_and_plan(vagus_env: dict[str, str]) -> None:
    # A heart-rhythm problem: cold water needs the clinician's clearance first (SAFETY.md).
    result = run(vagus_env, "screen", "--none", "--answer", "heart-rhythm=yes", "--json")
    assert result.exit_code == 0, result.output
    statuses = json.loads(result.stdout)
    assert "cold-water" in json.dumps(statuses)
    plan = json.loads(run(vagus_env, "plan", "--json").stdout)
    pending = [item["exercise_id"] for item in plan["pending"]]
    assert "cold-water" in pending
    assert "cold-water" not in [item["exercise_id"] for item in plan["items"]]
    cleared = run(
        vagus_env, "screen", "--none", "--answer", "heart-rhythm=yes", "--cleared", "cold-water"
    )
    assert cleared.exit_code == 0, cleared.output
    plan = json.loads(run(vagus_env, "plan", "--json").stdout)
    assert "cold-water" not in [item["exercise_id"] for item in plan["pending"]]


def test_red_flags_in_a_checkin(vagus_env: dict[str, str]) -> None:
    values = (
        "--sleep",
        "5",
        "--headache",
        "9",
        "--digestion",
        "0",
        "--anxiety",
        "3",
        "--pain",
        "3",
        "--fatigue",
        "4",
    )
    result = run(vagus_env, "checkin", *values, "--symptom", "thunderclap-headache")
    assert result.exit_code == 0, result.output
    assert "113" in result.stdout  # thunderclap headache: call 113 (SAFETY.md)


def test_stop_rule_symptom_after_a_session(screened_env: dict[str, str]) -> None:
    result = run(
        screened_env,
        "do",
        "breathing",
        "--minutes",
        "2",
        "--speed",
        "400",
        "--symptom",
        "tingling",
        "--felt",
        "tingly fingers",
    )
    assert result.exit_code == 0, result.output
    assert "natural breathing" in result.stdout  # the slow-breathing stop rule's advice
    session = next(e for e in history(screened_env) if e["type"] == "session")
    assert session["feedback"][0]["symptoms"] == ["tingling"]
    assert session["feedback"][0]["text"] == "tingly fingers"


def test_gad7_scored_and_stored(vagus_env: dict[str, str]) -> None:
    result = run(vagus_env, "questionnaire", "gad-7", "--answers", "1,1,1,1,1,2,3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["score"] == 10  # 10-14 is moderate (Spitzer 2006)
    assert data["severity"] == "moderate"
    stored = next(e for e in history(vagus_env) if e["type"] == "questionnaire")
    assert stored["score"] == 10


def test_export_forget_import_round_trip(vagus_env: dict[str, str], tmp_path: Path) -> None:
    assert run(vagus_env, "screen", "--none").exit_code == 0
    assert run(vagus_env, "do", "humming", "--minutes", "1", "--speed", "400").exit_code == 0
    first = tmp_path / "first.json"
    assert run(vagus_env, "export", str(first)).exit_code == 0
    refused = run(vagus_env, "forget", "--confirm", "maybe")
    assert refused.exit_code == 1
    assert history(vagus_env)  # nothing was deleted
    assert run(vagus_env, "forget", "--confirm", "DELETE").exit_code == 0
    assert history(vagus_env) == []
    assert run(vagus_env, "import", str(first)).exit_code == 0
    second = tmp_path / "second.json"
    assert run(vagus_env, "export", str(second)).exit_code == 0
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    a.pop("exported_at", None)
    b.pop("exported_at", None)
    assert a == b


#: ``vagus do`` in a child process on the test's fixed clock (argv[1], ISO), as the in-process
#: commands run on it (conftest.py): nothing in the child depends on the day or the hour.
DO_ON_A_FIXED_CLOCK = """
import functools, sys
from datetime import datetime

from vagus.app import build_app
from vagus.cli import _base, app

at = datetime.fromisoformat(sys.argv[1])
_base.build_app = functools.partial(build_app, now=lambda: at)
app(sys.argv[2:], prog_name="vagus")
"""


def first_running_steps(journal: Journal) -> list[dict[str, Any]]:
    """The steps of the running session, read from the journal itself: not through the app,
    whose first use marks sessions of processes it does not see alive as interrupted."""
    running = journal.running_sessions()
    steps: list[dict[str, Any]] = journal.session(min(running))["steps"] if running else []
    return steps


def test_sigkill_mid_session_keeps_completed_steps(
    vagus_env: dict[str, str], now: Callable[[], datetime]
) -> None:
    """A crash (SIGKILL) mid-session: every completed step is there after a restart."""
    # Screened: the journal exists before the child opens it, and breathing is in the plan.
    assert run(vagus_env, "screen", "--none").exit_code == 0
    # Real time (no --speed): the breathing step lasts 5 minutes; the kill comes as soon as the
    # untimed first step is in the journal.
    do = ["do", "breathing", "--minutes", "5"]
    # Opened once (it exists, migrated): each look is a read, never a write that might keep
    # the child waiting for the database.
    with Journal.open(load_settings(vagus_env).database_url) as journal:
        child = subprocess.Popen(
            [sys.executable, "-c", DO_ON_A_FIXED_CLOCK, now().isoformat(), *do],
            env=os.environ | vagus_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            steps = wait_until(
                lambda: first_running_steps(journal), what="the child's first step", child=child
            )
            assert [s["step_id"] for s in steps] == ["prepare"]
            assert child.poll() is None, stop_child(child)
            child.send_signal(signal.SIGKILL)
            child.wait()
        finally:
            stop_child(child)
    # Reopened (on the test's clock, as every in-process command): marked interrupted.
    (session,) = [e for e in history(vagus_env) if e["type"] == "session"]
    assert session["status"] == "interrupted"
    assert [s["step_id"] for s in session["steps"]] == ["prepare"]
    assert session["steps"][0]["outcome"] == "completed"
    if "VAGUS_DATABASE_URL" not in vagus_env:
        database = Path(vagus_env["VAGUS_HOME"]) / "journal.sqlite3"
        with sqlite3.connect(database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_mecfs_screening_sets_the_plan_mode(vagus_env: dict[str, str]) -> None:
    assert run(vagus_env, "screen", "--none", "--answer", "me-cfs=yes").exit_code == 0
    plan = json.loads(run(vagus_env, "plan", "--json").stdout)
    assert plan["mode"] == "mecfs"
    assert len(plan["items"]) == 1  # ME/CFS starts with one exercise (plan_rules.toml)
    assert run(vagus_env, "plan", "--mode", "standard").exit_code == 0
    assert json.loads(run(vagus_env, "plan", "--json").stdout)["mode"] == "standard"


# --- issue 10: the rules of the app, met through the CLI ------------------------------------


def excluded_reason(env: dict[str, str], exercise_id: str, key: str = "excluded") -> str:
    plan = json.loads(run(env, "plan", "--json").stdout)
    reason: str = next(i for i in plan[key] if i["exercise_id"] == exercise_id)["reason"]["en"]
    return reason


def test_do_cold_water_after_cold_urticaria_exits_2_with_the_reason(
    vagus_env: dict[str, str],
) -> None:
    assert run(vagus_env, "screen", "--none", "--answer", "cold-urticaria=yes").exit_code == 0
    reason = excluded_reason(vagus_env, "cold-water")
    result = run(vagus_env, "do", "cold-water", "--cleared")  # clearance cannot lift a stop
    assert result.exit_code == 2
    stderr = " ".join(result.stderr.split())
    assert reason in stderr  # the plan's reason, as /api/plan gives it
    assert "(cold urticaria)" in stderr  # and the screening answer behind it
    assert "Traceback" not in result.output
    assert not [e for e in history(vagus_env) if e["type"] == "session"]


def test_do_neck_needs_clearance_then_runs_with_cleared(vagus_env: dict[str, str]) -> None:
    # Recent whiplash: neck exercises after the clinician's clearance (SAFETY.md).
    assert run(vagus_env, "screen", "--none", "--answer", "whiplash=yes").exit_code == 0
    reason = excluded_reason(vagus_env, "neck", "pending")
    refused = run(vagus_env, "do", "neck", "--speed", "400")  # not a terminal: no question
    assert refused.exit_code == 2
    assert reason in " ".join(refused.stderr.split())
    assert "--cleared" in refused.stderr
    assert not [e for e in history(vagus_env) if e["type"] == "session"]
    done = run(vagus_env, "do", "neck", "--cleared", "--speed", "400")
    assert done.exit_code == 0, done.output
    sessions = [e for e in history(vagus_env) if e["type"] == "session"]
    assert [s["exercise_id"] for s in sessions] == ["neck"]
    # The clearance is kept: the plan no longer waits for it, and the next run needs no flag.
    plan = json.loads(run(vagus_env, "plan", "--json").stdout)
    assert "neck" not in [i["exercise_id"] for i in plan["pending"]]
    assert run(vagus_env, "do", "neck", "--speed", "400").exit_code == 0


def test_do_runs_todays_plan_dose(screened_env: dict[str, str]) -> None:
    plan = json.loads(run(screened_env, "plan", "--json").stdout)
    dose = next(i for i in plan["items"] if i["exercise_id"] == "breathing")["dose"]
    assert dose == 2  # a new plan starts small
    result = run(screened_env, "do", "breathing", "--speed", "400")  # no --minutes
    assert result.exit_code == 0, result.output
    assert "2 min (today's plan)" in result.stdout
    session = next(e for e in history(screened_env) if e["type"] == "session")
    assert session["params"]["minutes"] == 2
    chosen = run(screened_env, "do", "breathing", "--minutes", "3", "--speed", "400")
    assert chosen.exit_code == 0, chosen.output
    assert "3 min (your choice)" in chosen.stdout
    session = next(e for e in history(screened_env) if e["type"] == "session")
    assert session["params"]["minutes"] == 3


def test_a_warning_sign_in_a_checkin_is_structured_and_shown_until_confirmed(
    vagus_env: dict[str, str], tmp_path: Path
) -> None:
    values = ("--sleep", "5", "--headache", "1", "--digestion", "0", "--anxiety", "3")
    values += ("--pain", "3", "--fatigue", "4", "--note", "odd morning")
    result = run(vagus_env, "checkin", *values, "--symptom", "chest-pain")
    assert result.exit_code == 0, result.output
    assert "113" in result.stdout  # the advice, at once
    checkin = next(e for e in history(vagus_env) if e["type"] == "checkin")
    assert checkin["symptoms"] == ["chest-pain"]  # the structured field, not the note
    assert checkin["note"] == "odd morning"
    exported = tmp_path / "export.json"
    assert run(vagus_env, "export", str(exported)).exit_code == 0
    assert "chest-pain" in exported.read_text()
    # Today's plan leads with the red flag and its advice until the person confirms help.
    planned = run(vagus_env, "plan")
    assert planned.exit_code == 0, planned.output
    assert "113" in planned.stdout
    assert "--confirm-help" in planned.stdout
    confirmed = run(vagus_env, "checkin", "--confirm-help")
    assert confirmed.exit_code == 0, confirmed.output
    assert "handled" in confirmed.stdout
    assert "--confirm-help" not in run(vagus_env, "plan").stdout


def test_unknown_warning_sign_is_a_user_error(vagus_env: dict[str, str]) -> None:
    values = ("--sleep", "5", "--headache", "1", "--digestion", "0", "--anxiety", "3")
    values += ("--pain", "3", "--fatigue", "4")
    result = run(vagus_env, "checkin", *values, "--symptom", "hiccups")
    assert result.exit_code == 2
    assert "symptoms" in result.stderr
    assert history(vagus_env) == []
    assert run(vagus_env, "screen", "--none").exit_code == 0
    before = history(vagus_env)
    refused = run(vagus_env, "do", "breathing", "--speed", "400", "--symptom", "hiccups")
    assert refused.exit_code == 2  # refused before the session starts, not after it ran
    assert "hiccups" in refused.stderr
    assert history(vagus_env) == before


def test_history_in_norwegian(screened_env: dict[str, str]) -> None:
    assert run(screened_env, "do", "breathing", "--speed", "400").exit_code == 0
    values = ("--sleep", "5", "--headache", "1", "--digestion", "0", "--anxiety", "3")
    values += ("--pain", "3", "--fatigue", "4")
    assert run(screened_env, "checkin", *values).exit_code == 0
    wide = screened_env | {"COLUMNS": "200"}
    shown = run(wide, "history", "--lang", "nb")
    assert shown.exit_code == 0, shown.output
    for text in ("Når", "Økt", "Innsjekk", "Helsespørsmål", "Magepust", "fullført", "søvn=5"):
        assert text in shown.stdout, text
    for english in ("when", "Session", "Check-in", "completed", "steps", "sleep="):
        assert english not in shown.stdout, english
