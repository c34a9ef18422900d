"""Import checks what the file *means* (issue 11, finding 7): each poisoned export below passes
the structural checks, and once imported it broke every page (or, with a file replay as the
web's sensor, made the server stream a file of the file's choice). Each is refused naming the
field by its export path, through the app and through ``POST /api/import``, the journal
unchanged and every page still answering. And the readers of stored settings fall back safely
on a bad stored value (an old or hand-edited journal)."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from app_helpers import all_no
from fastapi.testclient import TestClient

from fake_clock import FakeNow
from vagus.app import App, build_app, example_rr_path
from vagus.journal import JournalError

# The web tests' fixtures (tests/web/conftest.py): the same app and TestClient as every web
# test, so these requests pass whatever the server asks of a client (host, CSRF token).
_spec = importlib.util.spec_from_file_location(
    "web_fixtures", Path(__file__).resolve().parents[1] / "web" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
web_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(web_fixtures)
vagus_app = web_fixtures.vagus_app
client = web_fixtures.client

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
#: Every page a person opens (tests/web/test_pages.py) and the JSON that feeds them.
PAGES = (
    "/",
    "/exercises",
    "/exercises/breathing",
    "/checkin",
    "/screen",
    "/history",
    "/upload",
    "/learn",
    "/settings",
    "/questionnaires",
    "/questionnaires/gad-7",
    "/api/plan",
    "/api/settings",
    "/api/history",
    "/api/export",
)

Poison = Callable[[dict[str, Any]], None]


def _setting(data: dict[str, Any], key: str) -> dict[str, Any]:
    """The value of setting ``key`` in an export (added when the file has none)."""
    for row in data["settings"]:
        if row["key"] == key:
            value: dict[str, Any] = row["value"]
            return value
    value = {}
    data["settings"].append({"key": key, "value": value, "updated_at": NOW.isoformat()})
    return value


def _set_setting(data: dict[str, Any], key: str, value: Any) -> None:
    for row in data["settings"]:
        if row["key"] == key:
            row["value"] = value
            return
    data["settings"].append({"key": key, "value": value, "updated_at": NOW.isoformat()})


def _drop_day(data: dict[str, Any]) -> None:
    del data["plans"][0]["plan"]["day"]


#: (what is poisoned, how, the export path the refusal names)
POISONED: dict[str, tuple[Poison, str]] = {
    "pacer seconds as text": (
        lambda d: _setting(d, "web_prefs")["pacer"].update(inhale_s="abc"),
        "settings.web_prefs.pacer.inhale_s",
    ),
    "pacer too fast to guide": (
        lambda d: _setting(d, "web_prefs")["pacer"].update(inhale_s=0.5, exhale_s=0.5),
        "settings.web_prefs.pacer",
    ),
    "pacer with an unknown field": (
        lambda d: _setting(d, "web_prefs")["pacer"].update(minutes=5),
        "settings.web_prefs.pacer",
    ),
    "a language vagus does not speak": (
        lambda d: _setting(d, "web_prefs").update(lang="de"),
        "settings.web_prefs.lang",
    ),
    "the web's sensor replays a file": (
        lambda d: _setting(d, "web_prefs").update(sensor="replay:/etc/passwd"),
        "settings.web_prefs.sensor",
    ),
    "an unknown sensor": (
        lambda d: _setting(d, "web_prefs").update(sensor="usb"),
        "settings.web_prefs.sensor",
    ),
    "preferences that are not an object": (
        lambda d: _set_setting(d, "web_prefs", "en"),
        "settings.web_prefs",
    ),
    "an unknown plan mode": (
        lambda d: _set_setting(d, "plan_mode", "fast"),
        "settings.plan_mode",
    ),
    "an override's dose as text": (
        lambda d: _setting(d, "plan_overrides")["exercises"]["breathing"].update(fixed_dose="abc"),
        "settings.plan_overrides.exercises.breathing.fixed_dose",
    ),
    "an override's dose beyond the exercise's range": (
        lambda d: _setting(d, "plan_overrides")["exercises"]["breathing"].update(max_dose=99),
        "settings.plan_overrides.exercises.breathing.max_dose",
    ),
    "an override field the plan does not know": (
        lambda d: _setting(d, "plan_overrides")["exercises"]["breathing"].update(speed=2),
        "settings.plan_overrides.exercises.breathing.speed",
    ),
    "an override of an unknown exercise": (
        lambda d: _setting(d, "plan_overrides")["exercises"].update(yoga={"hold": True}),
        "settings.plan_overrides.exercises",
    ),
    "a resonance rate no pacer can guide": (
        lambda d: _set_setting(d, "resonance", {"best_bpm": 60}),
        "settings.resonance.best_bpm",
    ),
    "a resonance rate as text": (
        lambda d: _set_setting(d, "resonance", {"best_bpm": "six"}),
        "settings.resonance.best_bpm",
    ),
    "an unknown screening question": (
        lambda d: d["screenings"][0]["answers"]["answers"].update({"x-ray": True}),
        "screenings[0].answers.answers.x-ray",
    ),
    "a screening answer that is not true or false": (
        lambda d: d["screenings"][0]["answers"]["answers"].update(fainting="yes"),
        "screenings[0].answers.answers.fainting",
    ),
    "a screening without answers": (
        lambda d: d["screenings"][0]["answers"].pop("answers"),
        "screenings[0].answers.answers",
    ),
    "a clearance of an unknown exercise": (
        lambda d: d["screenings"][0]["answers"].update(cleared=["yoga"]),
        "screenings[0].answers.cleared[0]",
    ),
    "a plan without its day": (_drop_day, "plans[0].plan.day"),
    "a plan whose day is not a date": (
        lambda d: d["plans"][0]["plan"].update(day="Monday"),
        "plans[0].plan.day",
    ),
    "a plan entry with a dose as text": (
        lambda d: d["plans"][0]["plan"]["entries"][0].update(dose="abc"),
        "plans[0].plan.entries[0].dose",
    ),
    "a plan entry of an unknown exercise": (
        lambda d: d["plans"][0]["plan"]["entries"][0].update(exercise_id="yoga"),
        "plans[0].plan.entries[0].exercise_id",
    ),
    "a plan item with a dose as text": (
        lambda d: d["plans"][0]["plan"]["items"][0].update(dose="abc"),
        "plans[0].plan.items[0].dose",
    ),
    "a questionnaire with an unknown severity": (
        lambda d: d["questionnaires"][0].update(severity="awful"),
        "questionnaires[0].severity",
    ),
    "a questionnaire vagus does not know": (
        lambda d: d["questionnaires"][0].update(name="BDI-II"),
        "questionnaires[0].name",
    ),
    "a questionnaire whose score is not its answers'": (
        lambda d: d["questionnaires"][0].update(score=20),
        "questionnaires[0].score",
    ),
    "a questionnaire's severity that its answers do not give": (
        lambda d: d["questionnaires"][0].update(severity="severe"),
        "questionnaires[0].severity",
    ),
    "a questionnaire's answers out of range": (
        lambda d: d["questionnaires"][0].update(answers=[9, 9, 9, 9, 9, 9, 9, 9]),
        "questionnaires[0].answers",
    ),
    "text where an index is a number": (
        lambda d: d["recordings"][0]["analysis"]["indices"].update(rmssd="abc"),
        "recordings[0].analysis.indices.rmssd",
    ),
    "indices that are not an object": (
        lambda d: d["recordings"][0]["analysis"].update(indices=[1, 2]),
        "recordings[0].analysis.indices",
    ),
}


def _fill(app: App) -> None:
    """One of everything the app reads back, made as the app makes it."""
    app.screening.save(all_no())
    app.prefs.set(lang="en", pacer={"inhale_s": 4.0, "exhale_s": 6.0}, sensor="simulated")
    app.plan.set_mode("standard")
    app.plan.set_override("breathing", {"max_dose": 4.0})
    app.plan.today()  # stores the day's plan
    app.checkins.questionnaire("phq-8", [1, 0, 2, 1, 0, 1, 0, 0])
    app.journal.set_setting("resonance", {"best_bpm": 6.0, "ranked_bpm": [6.0, 5.5]})
    report = app.measurements.analyze_file(example_rr_path())
    rr, _ = app.measurements.load_recording(example_rr_path()).beats()
    recording = app.journal.start_recording("file", NOW - timedelta(minutes=10), ["morning"])
    app.journal.append_beats(recording, [float(x) for x in rr])
    app.journal.finish_recording(recording, NOW, json.loads(json.dumps(report.to_dict())))


@pytest.fixture(scope="module")
def good_export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An export of a journal the app filled (it holds a plan entry and an item)."""
    home = tmp_path_factory.mktemp("source") / "home"
    source = build_app(env={"VAGUS_HOME": str(home), "VAGUS_LANG": "en"}, now=FakeNow(NOW))
    try:
        _fill(source)
        data = source.transfer.export_data()
    finally:
        source.close()
    assert data["plans"][0]["plan"]["entries"]
    assert data["plans"][0]["plan"]["items"]
    assert data["recordings"][0]["analysis"]["indices"]["rmssd"] is not None
    return data


def _snapshot(app: App) -> dict[str, Any]:
    data = app.journal.export()
    data.pop("exported_at")
    return data


def test_an_export_the_app_made_imports(app: App, good_export: dict[str, Any]) -> None:
    counts = app.transfer.import_data(copy.deepcopy(good_export))
    assert (counts["plans"], counts["questionnaires"], counts["recordings"]) == (1, 1, 1)
    assert app.prefs.get().sensor == "simulated"
    assert app.plan.mode() == "standard"
    assert app.resonance.rate() == 6.0


@pytest.mark.parametrize("case", POISONED)
def test_a_poisoned_import_is_refused_naming_the_field(
    app: App, good_export: dict[str, Any], case: str
) -> None:
    poison, path = POISONED[case]
    data = copy.deepcopy(good_export)
    poison(data)
    before = _snapshot(app)
    with pytest.raises(JournalError) as refused:
        app.transfer.import_data(data)
    assert refused.value.field == path
    assert str(refused.value).startswith(f"{path}: expected "), str(refused.value)
    assert _snapshot(app) == before


def test_a_poisoned_file_is_refused_naming_the_field(
    app: App, good_export: dict[str, Any], tmp_path: Path
) -> None:
    data = copy.deepcopy(good_export)
    _setting(data, "web_prefs").update(sensor="replay:/etc/passwd")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = _snapshot(app)
    with pytest.raises(JournalError) as refused:
        app.transfer.import_file(path)
    assert refused.value.field == "settings.web_prefs.sensor"
    assert _snapshot(app) == before


@pytest.mark.parametrize("case", POISONED)
def test_a_poisoned_import_over_http_is_a_400_and_every_page_still_answers(
    client: TestClient, vagus_app: App, good_export: dict[str, Any], case: str
) -> None:
    poison, path = POISONED[case]
    data = copy.deepcopy(good_export)
    poison(data)
    before = _snapshot(vagus_app)
    response = client.post("/api/import", json=data)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == path
    assert path in response.json()["error"]
    assert _snapshot(vagus_app) == before
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    assert client.post("/api/import", json=copy.deepcopy(good_export)).status_code == 200
    for page in PAGES:
        assert client.get(page).status_code == 200, page


# -- readers of stored settings: a bad stored value falls back, the plan is still built ----------


BAD_STORED: dict[str, tuple[str, Any]] = {
    "mode not a mode": ("plan_mode", "fast"),
    "mode not a text": ("plan_mode", {"x": 1}),
    "overrides not an object": ("plan_overrides", "hold"),
    "exercises not an object": ("plan_overrides", {"exercises": ["breathing"]}),
    "an override with a dose as text": (
        "plan_overrides",
        {"exercises": {"breathing": {"fixed_dose": "abc"}}},
    ),
    "an override with an unknown field": (
        "plan_overrides",
        {"exercises": {"breathing": {"speed": 2}}},
    ),
    "an override beyond the exercise's range": (
        "plan_overrides",
        {"exercises": {"breathing": {"max_dose": 99.0}}, "include": ["yoga"]},
    ),
    "an override not an object": ("plan_overrides", {"exercises": {"breathing": 5}}),
    "an override of an unknown exercise": (
        "plan_overrides",
        {"exercises": {"yoga": {"fixed_dose": 5}}},
    ),
    "bad flags": (
        "plan_overrides",
        {"hold_all": "yes", "include": "breathing", "set_by": "robot"},
    ),
}


@pytest.mark.parametrize("case", BAD_STORED)
def test_a_bad_stored_plan_setting_is_ignored_and_the_plan_still_built(
    screened: App, case: str
) -> None:
    key, value = BAD_STORED[case]
    expected = [item.exercise_id for item in screened.plan.today(store=False).items]
    screened.journal.set_setting(key, value)
    assert screened.plan.mode() in ("standard", "mecfs")
    plan = screened.plan.today(store=False)
    assert [item.exercise_id for item in plan.items] == expected
    assert screened.plan.today_json()["items"]
    assert {status.exercise_id for status in screened.plan.exercises()}


def test_a_good_override_next_to_a_bad_one_still_counts(screened: App) -> None:
    screened.journal.set_setting(
        "plan_overrides",
        {"exercises": {"breathing": {"fixed_dose": "abc"}, "humming": {"excluded": True}}},
    )
    overrides = screened.plan.overrides()
    assert overrides["exercises"]["humming"] == {"excluded": True}
    plan = screened.plan.today(store=False)
    assert "humming" not in [item.exercise_id for item in plan.items]
    assert "breathing" in [item.exercise_id for item in plan.items]


@pytest.mark.parametrize(
    "stored",
    [
        {"entries": []},
        {"day": "Monday", "entries": []},
        {"day": "2026-03-01", "entries": [{"exercise_id": "breathing", "dose": "abc"}]},
        {"day": 5},
        {
            "day": "2026-03-02",
            "entries": [
                {
                    "exercise_id": "breathing",
                    "dose": 999.0,
                    "started": "2026-03-02",
                    "since": "2026-03-02",
                }
            ],
        },
    ],
)
def test_a_stored_plan_that_does_not_read_is_passed_over(
    screened: App, clock: FakeNow, stored: dict[str, Any]
) -> None:
    screened.plan.today()  # a good plan for today, stored
    clock.advance(24 * 3600)
    screened.journal.save_plan(stored, "hand-edited", at=clock())
    tomorrow = screened.plan.today(store=False)
    assert tomorrow.day == date(2026, 3, 3)
    assert tomorrow.items


def test_bad_stored_settings_leave_every_page_answering(client: TestClient, vagus_app: App) -> None:
    web_fixtures.answer_all_no(vagus_app)
    journal = vagus_app.journal
    journal.set_setting("plan_mode", 7)
    journal.set_setting("plan_overrides", {"exercises": {"breathing": {"step": "abc"}}})
    journal.set_setting("web_prefs", {"lang": "de", "pacer": {"inhale_s": "abc"}, "sensor": 5})
    journal.set_setting("resonance", {"best_bpm": "six"})
    journal.save_plan({"mode": "standard"}, "hand-edited")
    for page in PAGES:
        assert client.get(page).status_code == 200, page
