"""The insights service on a real journal: the rests linked to sessions, stored analyses or
beats analysed now, mornings, check-ins, what the plan allows, and an old export's records.

The clock is fixed (``clock`` fixture); every record is placed at the same hour of the day
relative to it, so the local days agree in any time zone.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from app_helpers import all_no

from fake_clock import FakeNow
from insights_journal import add_morning, add_recording, add_session, rr_with_rmssd
from vagus.app import App, AppError, NotFoundError


@pytest.fixture
def clock() -> FakeNow:
    """Noon, local time: a record a few hours either side is on the same local day in any
    time zone the tests run in."""
    now = FakeNow(datetime(2026, 3, 2, 12, 0).astimezone())
    now.set_local(datetime(2026, 3, 2, 12, 0))
    return now


def days_ago(clock: FakeNow, days: int, hours: float = 0.0) -> datetime:
    return clock.at - timedelta(days=days, hours=hours)


def test_an_empty_journal_says_too_early_and_suggests_a_planned_exercise(screened: App) -> None:
    data = screened.insights.overview("en")
    assert [e["sessions"] for e in data["exercises"]] == [0] * 7
    assert data["best"] is None
    assert data["morning"] == {
        "days": 0,
        "ln_rmssd_7d": None,
        "normal_low": None,
        "normal_high": None,
        "status": "too-few",
        "series": [],
    }
    planned = [s.exercise_id for s in screened.plan.exercises() if s.status == "planned"]
    assert data["next"]["exercise"] in planned
    assert "not measured for you yet" in data["next"]["reason"]
    assert "For få morgenmålinger" in screened.insights.today_line("nb")


def test_one_session_gives_its_change_and_an_interval(screened: App, clock: FakeNow) -> None:
    add_session(
        screened.journal, days_ago(clock, 1), "humming", rmssd_before=40.0, rmssd_after=48.0
    )
    data = screened.insights.overview("en")
    humming = next(e for e in data["exercises"] if e["id"] == "humming")
    assert (humming["sessions"], humming["paired"]) == (1, 1)
    # RMSSD of the rests is exactly 40 and 48 ms (tests/insights_journal.py): ln(48/40).
    change = humming["ln_rmssd_change"]
    assert change["low"] < math.log(48 / 40) < change["high"]
    assert change["mean"] == pytest.approx(math.log(48 / 40), abs=0.05)
    assert humming["p_best"] is None
    assert data["best"] is None
    session_id = screened.journal.history(types=["session"])[0]["id"]
    change_of_one = screened.insights.session_change(session_id).to_json()
    assert change_of_one["ln_rmssd_change"] == pytest.approx(math.log(48 / 40), abs=1e-9)
    assert change_of_one["before"]["ln_rmssd"] == pytest.approx(math.log(40.0), abs=1e-9)
    assert change_of_one["hr_change_bpm"] == pytest.approx(-2.0, abs=0.05)
    assert change_of_one["calm_change"] == 2.0
    assert change_of_one["left_out"] == []


def test_rests_missing_on_one_side_are_counted_not_paired(screened: App, clock: FakeNow) -> None:
    journal = screened.journal
    one = add_session(journal, days_ago(clock, 3), "neck", rmssd_after=None)
    add_session(journal, days_ago(clock, 2), "neck", rmssd_before=None)
    add_session(journal, days_ago(clock, 1), "neck", before_seconds=30.0)
    neck = next(e for e in screened.insights.overview("en")["exercises"] if e["id"] == "neck")
    assert (neck["sessions"], neck["paired"]) == (3, 0)
    assert neck["ln_rmssd_change"] is None
    assert neck["left_out"] == {"missing": 2, "short": 1, "artifacts": 0}
    assert neck["calm_change"] is not None  # the ratings were given
    change = screened.insights.session_change(one).to_json()
    assert change["after"] is None
    assert change["left_out"] == ["missing"]
    assert change["ln_rmssd_change"] is None


def test_a_recording_without_a_stored_analysis_is_analysed_from_its_beats(
    screened: App, clock: FakeNow
) -> None:
    session = add_session(
        screened.journal,
        days_ago(clock, 1),
        "breathing",
        rmssd_before=30.0,
        rmssd_after=36.0,
        analyse=False,
    )
    change = screened.insights.session_change(session).to_json()
    assert change["ln_rmssd_change"] == pytest.approx(math.log(36 / 30), abs=1e-9)


def test_the_clear_winner_is_named_best_and_the_excluded_never_suggested(
    app: App, clock: FakeNow
) -> None:
    # Cold water is excluded for a person with cold urticaria (the screening); it still has
    # history from before, but is never suggested.
    app.screening.save(all_no(cold_urticaria=True))
    assert "cold-water" not in [
        s.exercise_id for s in app.plan.exercises() if s.status in ("planned", "open")
    ]
    journal = app.journal
    for k in range(8):
        at = days_ago(clock, 30 - 3 * k)
        add_session(
            journal, at, "breathing", rmssd_before=40.0, rmssd_after=40.0 * (1.25 + 0.02 * (k % 3))
        )
        add_session(
            journal,
            at + timedelta(hours=1),
            "humming",
            rmssd_before=40.0,
            rmssd_after=40.0 * (1.0 + 0.02 * (k % 3)),
        )
        add_session(
            journal,
            at + timedelta(hours=2),
            "cold-water",
            rmssd_before=40.0,
            rmssd_after=40.0 * (1.3 + 0.02 * (k % 3)),
        )
    data = app.insights.overview("en")
    by_id = {e["id"]: e for e in data["exercises"]}
    means = {k: by_id[k]["ln_rmssd_change"]["mean"] for k in ("cold-water", "breathing", "humming")}
    assert means["cold-water"] > means["breathing"] > means["humming"]
    assert by_id["cold-water"]["p_best"] > 0.8
    assert data["best"] == "cold-water"
    assert data["next"]["exercise"] != "cold-water"
    # The same suggestion every time it is asked the same day.
    assert app.insights.overview("en")["next"] == data["next"]


def test_mornings_are_the_first_of_each_day_and_make_a_normal_range(
    screened: App, clock: FakeNow
) -> None:
    journal = screened.journal
    for day in range(20):
        add_morning(journal, days_ago(clock, day, hours=4), 40.0 + (day % 2) * 4.0)
        # A second morning measurement the same day is not the day's value.
        add_morning(journal, days_ago(clock, day, hours=3), 90.0)
    # A rest during a session is no morning, whatever its tags.
    add_recording(
        journal,
        days_ago(clock, 0, hours=2),
        rr_with_rmssd(90.0),
        ["morning"],
        session_id=journal.start_session("humming", {}, days_ago(clock, 0, hours=2)),
    )
    morning = screened.insights.overview("en")["morning"]
    values = [math.log(40.0 + (day % 2) * 4.0) for day in range(20)]
    mean = sum(values) / 20
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 19)
    assert morning["days"] == 20
    assert morning["normal_low"] == pytest.approx(mean - 0.5 * sd, abs=1e-9)
    assert morning["normal_high"] == pytest.approx(mean + 0.5 * sd, abs=1e-9)
    week = values[:7]
    assert morning["ln_rmssd_7d"] == pytest.approx(sum(week) / 7, abs=1e-9)
    assert morning["status"] == "within"
    assert len(morning["series"]) == 20


def test_symptom_trends_and_the_me_cfs_load_association(app: App, clock: FakeNow) -> None:
    app.screening.save(all_no(me_cfs=True))
    journal = app.journal
    for day in range(1, 29):
        minutes = 20.0 if day % 2 else 0.0
        if minutes:
            add_session(journal, days_ago(clock, day), "activity", minutes=minutes)
        journal.add_checkin(
            days_ago(clock, day - 1, hours=-0.5), fatigue=6 if day % 2 else 3, pain=2
        )
    data = app.insights.overview("nb")
    fatigue = data["symptoms"]["trends"]["fatigue"]
    assert fatigue["days"] == 28
    assert data["symptoms"]["load_fatigue"]["applies"] is True
    lag1 = data["symptoms"]["load_fatigue"]["lags"][0]
    # Fatigue is 6 the day after a 20-minute day and 3 after a rest day: +1.5 per 10 min.
    assert lag1["per_10_min"]["mean"] == pytest.approx(1.5, abs=1e-6)


def test_an_export_of_version_1_still_imports_and_feeds_the_insights(
    screened: App, clock: FakeNow, tmp_path: Path
) -> None:
    # A version-1 file, as an earlier vagus wrote it: check-ins without the `symptoms` field
    # (their warning signs at the end of the note), recordings of the rests linked to their
    # sessions by session_id and tagged rest-before / rest-after.
    journal = screened.journal
    for k in range(4):
        add_session(
            journal, days_ago(clock, 10 - k), "breathing", rmssd_before=40.0, rmssd_after=50.0
        )
    journal.add_checkin(days_ago(clock, 1), fatigue=4, symptoms=["dizziness"])
    data = screened.transfer.export_data()
    data["version"] = 1
    for row in data["checkins"]:
        symptoms = row.pop("symptoms")
        if symptoms:
            row["note"] = f"{row['note'] or ''} [symptoms: {', '.join(symptoms)}]".strip()
    path = tmp_path / "vagus-export-v1.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert screened.transfer.forget()
    assert screened.insights.overview("en")["exercises"][0]["sessions"] == 0
    screened.transfer.import_file(path)
    breathing = screened.insights.overview("en")["exercises"][0]
    assert (breathing["id"], breathing["sessions"], breathing["paired"]) == ("breathing", 4, 4)
    assert breathing["ln_rmssd_change"]["mean"] == pytest.approx(math.log(50 / 40), abs=0.02)


def test_a_range_for_the_report(screened: App, clock: FakeNow) -> None:
    journal = screened.journal
    add_session(journal, days_ago(clock, 40), "humming")
    add_session(journal, days_ago(clock, 5), "humming")
    today = screened.local_now().date()
    recent = screened.insights.compute(since=today - timedelta(days=10))
    assert recent.effects.exercises[2].sessions == 1
    assert screened.insights.compute().effects.exercises[2].sessions == 2
    with pytest.raises(AppError, match=r"from: .* is after"):
        screened.insights.compute(since=today + timedelta(days=1))


def test_an_unknown_session_is_not_found(screened: App) -> None:
    with pytest.raises(NotFoundError, match="no session 99"):
        screened.insights.session_change(99)


def test_the_readiness_rule_is_the_only_way_morning_hrv_reaches_the_plan(
    screened: App, clock: FakeNow
) -> None:
    journal = screened.journal
    for day in range(20):
        # 13 mornings at 50 ms, then a week at 30 ms: this week is below the normal range.
        add_morning(journal, days_ago(clock, day, hours=4), 30.0 if day < 7 else 50.0)
    assert screened.insights.morning_status() == "below"
    # Yesterday's plan, the one today follows (on the plan's own calendar, the app clock's day).
    screened.plan.today(screened.now().date() - timedelta(days=1))
    held_text = "this week's morning HRV is below your normal range"
    off = screened.plan.today(store=False)
    assert not any(held_text in item.text("en") for item in off.items)
    assert screened.plan.readiness_rule() == {"hold_when_below": False, "set_by": "person"}
    screened.plan.set_readiness_rule(True, "clinician")
    held = screened.plan.today(store=False)
    assert held.items
    assert all(held_text in item.text("en") for item in held.items)
    assert all("your clinician" in item.text("en") for item in held.items)
    with pytest.raises(AppError, match="set_by"):
        screened.plan.set_readiness_rule(True, "somebody")


def test_a_rest_of_a_few_beats_without_analysis_is_short(screened: App, clock: FakeNow) -> None:
    journal = screened.journal
    at = days_ago(clock, 1)
    session = journal.start_session("humming", {}, at)
    add_recording(journal, at, [900.0] * 5, ["rest-before"], session_id=session, analyse=False)
    add_recording(
        journal,
        at + timedelta(minutes=6),
        rr_with_rmssd(40.0),
        ["rest-after"],
        session_id=session,
        analyse=False,
    )
    journal.finish_session(session, "completed", at + timedelta(minutes=8))
    change = screened.insights.session_change(session).to_json()
    assert change["left_out"] == ["short"]
    assert change["before"]["duration_s"] == pytest.approx(4.5)
    assert change["after"]["ln_rmssd"] == pytest.approx(math.log(40.0), abs=1e-9)
    assert "too short" in screened.insights.session_change(session).text("en")


def test_a_session_without_rests_says_so(screened: App, clock: FakeNow) -> None:
    session = add_session(
        screened.journal, days_ago(clock, 1), "humming", rmssd_before=None, rmssd_after=None
    )
    change = screened.insights.session_change(session)
    assert change.to_json()["left_out"] == ["missing", "missing"]
    assert change.text("en") == (
        "No before-and-after comparison for this session: no rest was measured before or after it."
    )
    assert "ingen hvile ble målt" in change.text("nb")
