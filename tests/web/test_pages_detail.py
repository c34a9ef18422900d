"""The pages' details: history rows and charts in the person's language, questionnaires,
the measurement figures, the settings' sensor and today's dose in the player."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vagus.app import App, example_rr_path
from vagus.app.models import CheckinIn
from vagus.hrv import analyze, read_rr
from vagus.program import QUESTIONNAIRES, questions
from vagus.web._i18n import tr
from vagus.web._present import describe_entry

CHECKIN = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}


def csrf(client: TestClient) -> str:
    """The token the client's pages carry (the fixture got it from ``GET /api/csrf``)."""
    token = client.headers.get("X-Vagus-CSRF")
    assert isinstance(token, str)
    return token


def _recording(app: App, when: datetime, rr: list[float], tags: list[str]) -> int:
    journal = app.journal
    rid = journal.start_recording("replay", when, tags)
    journal.append_beats(rid, rr)
    journal.finish_recording(rid, analysis=analyze(np.asarray(rr)).to_dict())
    return rid


def _example_rr(n: int) -> list[float]:
    return [float(x) for x in read_rr(example_rr_path())[:n]]


def test_history_rows_are_in_norwegian(client: TestClient, vagus_app: App) -> None:
    vagus_app.plan.today()  # before the health questions: an empty plan
    vagus_app.screening.save({q.id: False for q in questions("en")})
    run = vagus_app.sessions.start("breathing", {})
    vagus_app.journal.finish_session(run.session_id, "stopped")
    vagus_app.journal.add_rating(run.session_id, "before", 4)
    page = client.get("/history?lang=nb").text
    assert "Magepust" in page  # the exercise's Norwegian name
    assert tr("history.status_stopped", "nb") in page
    assert tr("history.steps", "nb", n=0) in page
    assert " steps" not in page
    assert "stopped" not in page
    assert "ro 4 → –" in page
    assert tr("cli.plan_empty", "nb") in page  # not screened yet: an empty plan, said so
    assert "'exercise_id'" not in page  # not a raw dict
    vagus_app.screening.save({q.id: False for q in questions("en")})
    vagus_app.plan.today()
    page = client.get("/history?lang=nb").text
    assert re.search(r"Magepust \d+ min", page)  # the plan row: name, dose and unit
    assert "'exercise_id'" not in page  # not a raw dict


def test_describe_entry_covers_every_type(vagus_app: App) -> None:
    vagus_app.screening.save({q.id: q.id == "fainting" for q in questions("en")})
    vagus_app.plan.today()
    vagus_app.checkins.add(CheckinIn.model_validate(CHECKIN), "en")
    vagus_app.checkins.questionnaire("gad-7", [3] * 7)
    _recording(vagus_app, datetime(2026, 1, 1, 7, tzinfo=UTC), _example_rr(300), [])
    rows = {e["type"]: describe_entry(e, "en") for e in vagus_app.transfer.history()}
    assert set(rows) == {"screening", "plan", "checkin", "questionnaire", "measurement"}
    assert rows["screening"]["text"] == "1 yes answers"
    assert rows["checkin"]["text"].startswith("Sleep 6 · Headache 2")
    gad7 = QUESTIONNAIRES["gad-7"]
    severe = gad7.band("severe").label.get("en")
    assert rows["questionnaire"]["text"] == f"{gad7.name.get('en')}: 21 ({severe})"
    assert rows["questionnaire"]["href"] == "/questionnaires/gad-7"
    assert rows["measurement"]["text"].startswith("300 RR intervals · replay")
    assert "RMSSD" in rows["measurement"]["text"]


def test_trends_use_resting_measurements_only(client: TestClient, vagus_app: App) -> None:
    day = datetime(2026, 3, 1, 7, tzinfo=UTC)
    rest = _recording(vagus_app, day, _example_rr(300), ["morning"])
    _recording(vagus_app, day + timedelta(hours=1), _example_rr(200), ["session"])
    _recording(vagus_app, day + timedelta(hours=2), _example_rr(200), ["web"])
    later = _recording(vagus_app, day + timedelta(days=1), _example_rr(400), [])
    trends = vagus_app.measurements.trends()
    assert [p["id"] for p in trends["ln_rmssd"]] == [rest, later]  # oldest first
    expected = analyze(np.asarray(_example_rr(300))).indices
    # The stored analysis, as it was computed (hand-checkable: ln of the stored RMSSD).
    assert trends["ln_rmssd"][0]["value"] == pytest.approx(math.log(expected["rmssd"]), 1e-12)
    assert trends["resting_hr"][0]["value"] == pytest.approx(expected["mean_hr"], 1e-12)
    assert client.get("/api/history/trends").json() == trends  # the page's JSON twin
    page = client.get("/history").text
    assert 'id="trend-ln_rmssd-title"' in page
    assert 'id="trend-resting_hr-title"' in page
    assert "trend-symptoms" not in page  # no check-ins yet
    client.post("/api/checkins", json=CHECKIN)
    page = client.get("/history").text
    assert 'id="trend-symptoms-title"' in page


def test_history_without_data_says_so(client: TestClient) -> None:
    page = client.get("/history").text
    assert tr("history.trend_none", "en") in page
    assert "<svg" not in page


def test_measurement_page_has_three_figures(client: TestClient, vagus_app: App) -> None:
    rid = _recording(vagus_app, datetime(2026, 1, 1, 7, tzinfo=UTC), _example_rr(300), [])
    page = client.get(f"/measurements/{rid}?lang=nb").text
    for chart in ("tachogram", "poincare", "spectrum"):
        assert f'id="{chart}-title"' in page
    assert tr("measurement.spectrum", "nb") in page
    # The descriptions carry the chart's numbers (hand-check: the stored SD1 to 3 digits).
    stored = vagus_app.journal.recording(rid)["analysis"]["indices"]
    assert f"SD1 {stored['sd1']:.0f} ms" in page or f"SD1 {stored['sd1']:.3g} ms" in page
    assert "LF-toppen ved" in page
    short = _recording(vagus_app, datetime(2026, 1, 2, 7, tzinfo=UTC), _example_rr(20), [])
    page = client.get(f"/measurements/{short}").text
    assert 'id="poincare-title"' in page
    assert 'id="spectrum-title"' not in page  # under a minute of beats: no spectrum


def test_questionnaire_form_validates_and_scores(client: TestClient, vagus_app: App) -> None:
    q = QUESTIONNAIRES["phq-8"]
    prompts = q.prompts("en")
    page = client.get("/questionnaires/phq-8").text
    assert len(re.findall(r'type="radio" name="a-', page)) == sum(len(p.options) for p in prompts)
    answers = {f"a-{p.number}": "1" for p in prompts}
    missing = dict(answers) | {"csrf_token": csrf(client)}
    missing.pop("a-3")
    bad = client.post("/questionnaires/phq-8", data=missing)
    assert bad.status_code == 400
    assert 'id="e-a-3"' in bad.text
    out_of_range = answers | {"a-2": "9", "csrf_token": csrf(client)}
    assert client.post("/questionnaires/phq-8", data=out_of_range).status_code == 400
    assert vagus_app.transfer.history(["questionnaire"]) == []
    done = client.post("/questionnaires/phq-8", data=answers | {"csrf_token": csrf(client)})
    assert done.status_code == 200
    assert (
        tr(
            "questionnaire.result",
            "en",
            score="8",
            max="24",
            severity=q.band("mild").label.get("en"),
        )
        in done.text
    )
    [entry] = vagus_app.transfer.history(["questionnaire"])
    assert entry["score"] == 8
    listing = client.get("/questionnaires").text
    assert "Last: 8" in listing
    assert client.get("/questionnaires/nope").status_code == 404


def test_settings_sensor(client: TestClient, vagus_app: App) -> None:
    form = {"lang": "en", "inhale_s": "4", "exhale_s": "6", "hold_in_s": "0", "hold_out_s": "0"}
    bad = client.post("/settings", data=form | {"sensor": "usb", "csrf_token": csrf(client)})
    assert bad.status_code == 400
    assert 'id="e-sensor"' in bad.text
    assert 'value="usb"' in bad.text
    assert not vagus_app.journal.get_setting("web_prefs")
    good = client.post("/settings", data=form | {"sensor": "simulated", "csrf_token": csrf(client)})
    assert good.status_code == 200
    assert client.get("/api/settings").json()["sensor"] == "simulated"
    api_bad = client.put("/api/settings", json={"sensor": "replay:/etc/passwd"})
    assert api_bad.status_code == 400
    assert api_bad.json()["error"].startswith("sensor:")
    assert client.get("/api/settings").json()["sensor"] == "simulated"


def test_player_starts_with_todays_dose(client: TestClient, vagus_app: App) -> None:
    vagus_app.screening.save({q.id: False for q in questions("en")})
    plan = vagus_app.plan.today()
    item = plan.items[0]
    page = client.get(f"/exercises/{item.exercise_id}").text
    match = re.search(r'data-params="([^"]*)"', page)
    assert match is not None
    assert json.loads(match.group(1).replace("&#34;", '"')) == item.params()
    assert 'id="planned"' in page
    missing = next(
        ex
        for ex in ("laughter", "activity", "cold-water")
        if ex not in {i.exercise_id for i in plan.items}
    )
    other = client.get(f"/exercises/{missing}").text
    assert 'data-params="{}"' in other
