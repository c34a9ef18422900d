"""The JSON API: every endpoint, with good and bad input; a refused request changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vagus.app import App, example_rr_path
from vagus.hrv import INDICES
from vagus.program import EXERCISE_IDS, questions
from web.web_helpers import counts

CHECKIN = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}


def all_no() -> dict[str, bool]:
    return {q.id: False for q in questions("en")}


def assert_refused(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "field", "message", "code", "reason"}
    assert field in body["error"]


def test_openapi_documents_every_route(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/checkins",
        "/api/sessions",
        "/api/sessions/{session_id}/steps",
        "/api/upload",
        "/api/settings",
        "/api/export",
        "/api/import",
        "/api/delete-all",
        "/api/history",
        "/api/measurements/{recording_id}",
    ):
        assert path in paths


def test_exercises_list_and_one(client: TestClient) -> None:
    listed = client.get("/api/exercises?lang=nb").json()
    assert [e["id"] for e in listed] == list(EXERCISE_IDS)
    one = client.get("/api/exercises/breathing?lang=en").json()
    assert one["id"] == "breathing"
    assert one["steps"]
    assert one["cautions"]
    assert {p["name"] for p in one["params"]} >= {"inhale_s", "exhale_s", "minutes"}
    assert_refused(client.get("/api/exercises/juggling"), 404, "exercise_id")
    assert_refused(client.get("/api/exercises?lang=de"), 422, "lang")


def test_screening_questions_submit_and_missing(client: TestClient, vagus_app: App) -> None:
    asked = client.get("/api/screening/questions?lang=nb").json()
    assert len(asked) == len(questions("nb"))
    assert asked[0]["text"]
    assert client.get("/api/screening").json() is None
    answers = all_no() | {"cold-urticaria": True}
    result = client.post("/api/screening", json={"answers": answers}).json()
    statuses = {e["exercise_id"]: e["status"] for e in result["exercises"]}
    assert statuses["cold-water"] == "stop"
    assert statuses["breathing"] == "ok"
    before = counts(vagus_app)
    partial = dict(list(all_no().items())[1:])
    response = client.post("/api/screening", json={"answers": partial})
    assert response.status_code == 400
    assert next(iter(all_no())) in response.json()["error"]
    assert counts(vagus_app) == before


def test_plan_and_today(client: TestClient, vagus_app: App) -> None:
    client.post("/api/screening", json={"answers": all_no()})
    plan = client.get("/api/plan?lang=en").json()
    assert plan["items"]
    assert plan["items"][0]["exercise_id"] == "breathing"
    assert set(plan["items"][0]["reason"]) == {"nb", "en"}
    assert plan == vagus_app.plan.today_json()  # the shape of `vagus plan --json`
    today = client.get("/api/today").json()
    assert today["screened"]
    assert not today["checked_in_today"]
    assert today["last_measurement"] is None
    assert today["red_flag"] is None


def test_checkin_stored_and_listed(client: TestClient) -> None:
    response = client.post("/api/checkins", json=CHECKIN | {"note": "ok"})
    assert response.status_code == 201
    listed = client.get("/api/checkins").json()
    assert len(listed) == 1
    assert listed[0]["pain"] == 5
    assert listed[0]["note"] == "ok"
    assert client.get("/api/today").json()["checked_in_today"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pain": 11}, "pain"),
        ({"sleep": -1}, "sleep"),
        ({"anxiety": "4"}, "anxiety"),
        ({"fatigue": 2.5}, "fatigue"),
        ({"headache": True}, "headache"),
        ({"mood": 3}, "mood"),
    ],
)
def test_checkin_bad_values_refused(
    client: TestClient, vagus_app: App, change: dict[str, Any], field: str
) -> None:
    before = counts(vagus_app)
    assert_refused(client.post("/api/checkins", json=CHECKIN | change), 422, field)
    missing = {k: v for k, v in CHECKIN.items() if k != "digestion"}
    assert_refused(client.post("/api/checkins", json=missing), 422, "digestion")
    assert counts(vagus_app) == before


def test_questionnaire_scored_and_bad(client: TestClient, vagus_app: App) -> None:
    listed = client.get("/api/questionnaires").json()
    assert {q["id"] for q in listed} == {"gad-7", "phq-8", "dsq-pem"}
    result = client.post("/api/questionnaires/gad-7", json={"answers": [1] * 7}).json()
    assert result["score"] == 7
    assert result["severity_text"]
    before = counts(vagus_app)
    assert client.post("/api/questionnaires/gad-7", json={"answers": [1] * 6}).status_code == 400
    assert client.post("/api/questionnaires/gad-7", json={"answers": [9] * 7}).status_code == 400
    assert_refused(client.post("/api/questionnaires/nope", json={"answers": [1]}), 404, "name")
    assert counts(vagus_app) == before


def test_history_types_and_limit(client: TestClient) -> None:
    for _ in range(3):
        client.post("/api/checkins", json=CHECKIN)
    client.post("/api/questionnaires/gad-7", json={"answers": [0] * 7})
    assert len(client.get("/api/history").json()) == 4
    assert len(client.get("/api/history?type=checkin&limit=2").json()) == 2
    kinds = {e["type"] for e in client.get("/api/history?type=questionnaire").json()}
    assert kinds == {"questionnaire"}
    assert_refused(client.get("/api/history?type=dream"), 400, "type")
    assert_refused(client.get("/api/history?limit=0"), 422, "limit")


def test_upload_analysis_and_bad_file(client: TestClient, vagus_app: App) -> None:
    data = example_rr_path().read_bytes()
    body = client.post("/api/upload", files={"file": ("rr.txt", data, "text/plain")}).json()
    assert body["n_beats"] > 2000
    assert body["indices"]["rmssd"] > 0
    assert [row["name"] for row in body["table"]] == [i.name for i in INDICES]
    before = counts(vagus_app)
    bad = client.post("/api/upload", files={"file": ("bad.txt", b"800\n810\nabc\n", "text/plain")})
    assert bad.status_code == 400
    assert "bad.txt" in bad.json()["error"]
    assert "line 3" in bad.json()["error"]
    empty = client.post("/api/upload", files={"file": ("e.txt", b"", "text/plain")})
    assert_refused(empty, 400, "file")
    assert counts(vagus_app) == before


def test_measurement_detail(client: TestClient, vagus_app: App) -> None:
    journal = vagus_app.journal
    rid = journal.start_recording("replay", datetime(2024, 5, 1, 7, tzinfo=UTC), ["morning"])
    journal.append_beats(rid, [800.0 + (i % 7) * 10 for i in range(300)])
    journal.finish_recording(rid, analysis={"n_beats": 300, "indices": {"rmssd": 42.0}})
    body = client.get(f"/api/measurements/{rid}").json()
    assert len(body["rr_ms"]) == 300
    assert body["analysis"]["indices"]["rmssd"] == 42.0
    assert next(r for r in body["table"] if r["name"] == "rmssd")["value"] == 42.0
    assert_refused(client.get("/api/measurements/999"), 404, "id")
    assert_refused(client.get("/api/measurements/abc"), 422, "recording_id")


def _step_event(step: dict[str, Any], start: datetime) -> dict[str, Any]:
    seconds = step["duration_s"] or 5.0
    return {
        "step_id": step["id"],
        "kind": step["kind"],
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=seconds)).isoformat(),
        "active_s": seconds,
        "outcome": "completed",
    }


def test_session_recorded_step_by_step(client: TestClient, screened: App) -> None:
    started = client.post(
        "/api/sessions",
        json={"exercise_id": "breathing", "params": {"minutes": 2, "inhale_s": 4, "exhale_s": 6}},
    )
    assert started.status_code == 201
    session = started.json()
    breathe = next(s for s in session["steps"] if s["pattern"])
    assert breathe["pattern"]["cycle_s"] == pytest.approx(10.0)  # 4 s in + 6 s out
    assert breathe["pattern"]["breaths_per_min"] == pytest.approx(6.0)
    sid = session["id"]
    assert (
        client.post(
            f"/api/sessions/{sid}/ratings", json={"moment": "before", "calm": 3}
        ).status_code
        == 201
    )
    t = datetime(2024, 5, 1, 8, tzinfo=UTC)
    for step in session["steps"]:
        response = client.post(f"/api/sessions/{sid}/steps", json=_step_event(step, t))
        assert response.status_code == 201, response.text
        t += timedelta(seconds=step["duration_s"] or 5.0)
    finished = client.post(f"/api/sessions/{sid}/finish", json={"status": "completed"}).json()
    assert finished == {"status": "completed"}
    assert len(client.get(f"/api/sessions/{sid}").json()["steps"]) == len(session["steps"])
    client.post(f"/api/sessions/{sid}/ratings", json={"moment": "after", "calm": 7})
    stored = client.get(f"/api/sessions/{sid}").json()
    assert stored["ratings"] == {"before": 3, "after": 7}
    history = client.get("/api/history?type=session").json()
    assert history[0]["id"] == sid


def test_session_bad_input_refused(client: TestClient, screened: App) -> None:
    vagus_app = screened
    client.get("/api/plan")  # today's plan is stored once (the gate reads it)
    assert_refused(
        client.post("/api/sessions", json={"exercise_id": "juggling"}), 404, "exercise_id"
    )
    before = counts(vagus_app)
    too_fast = {"exercise_id": "breathing", "params": {"inhale_s": 1, "exhale_s": 1}}
    response = client.post("/api/sessions", json=too_fast)
    assert response.status_code == 400
    assert "inhale_s" in response.json()["error"]
    assert counts(vagus_app) == before
    session = client.post("/api/sessions", json={"exercise_id": "neck"}).json()
    sid, step = session["id"], session["steps"][0]
    before = counts(vagus_app)
    t = datetime(2024, 5, 1, 8, tzinfo=UTC)
    bad_id = _step_event(step, t) | {"step_id": "nope"}
    assert_refused(client.post(f"/api/sessions/{sid}/steps", json=bad_id), 400, "step_id")
    bad_kind = _step_event(step, t) | {"kind": "rest" if step["kind"] != "rest" else "do"}
    assert_refused(client.post(f"/api/sessions/{sid}/steps", json=bad_kind), 400, "kind")
    backwards = _step_event(step, t) | {"ended_at": (t - timedelta(seconds=1)).isoformat()}
    assert_refused(client.post(f"/api/sessions/{sid}/steps", json=backwards), 400, "ended_at")
    naive = _step_event(step, t) | {"started_at": "2024-05-01T08:00:00"}
    assert_refused(client.post(f"/api/sessions/{sid}/steps", json=naive), 422, "started_at")
    negative = _step_event(step, t) | {"active_s": -1}
    assert_refused(client.post(f"/api/sessions/{sid}/steps", json=negative), 422, "active_s")
    bad_rating = {"moment": "before", "calm": 11}
    assert_refused(client.post(f"/api/sessions/{sid}/ratings", json=bad_rating), 422, "calm")
    assert_refused(
        client.post("/api/sessions/999/steps", json=_step_event(step, t)), 404, "session_id"
    )
    assert counts(vagus_app) == before
    assert client.post(f"/api/sessions/{sid}/steps", json=_step_event(step, t)).status_code == 201
    again = client.post(f"/api/sessions/{sid}/steps", json=_step_event(step, t))
    assert_refused(again, 409, "step_id")
    first = client.post(f"/api/sessions/{sid}/finish", json={"status": "completed"}).json()
    assert first == {"status": "stopped"}  # the server decides: the main steps were not done
    again = client.post(f"/api/sessions/{sid}/finish", json={"status": "completed"})
    assert again.json() == {"status": "stopped"}  # closed already: nothing changes
    assert_refused(
        client.post(f"/api/sessions/{sid}/steps", json=_step_event(session["steps"][1], t)),
        409,
        "session_id",
    )
    assert_refused(
        client.post(f"/api/sessions/{sid}/finish", json={"status": "meh"}), 422, "status"
    )


def test_settings_pacer_used_by_breathing(client: TestClient, screened: App) -> None:
    assert client.get("/api/settings").json()["pacer"]["exhale_s"] == 8.0
    pacer = {"inhale_s": 5, "exhale_s": 5}
    saved = client.put("/api/settings", json={"lang": "nb", "pacer": pacer}).json()
    assert saved["lang"] == "nb"
    assert saved["pacer"]["inhale_s"] == 5.0
    session = client.post("/api/sessions", json={"exercise_id": "breathing"}).json()
    breathe = next(s for s in session["steps"] if s["pattern"])
    assert breathe["pattern"]["cycle_s"] == pytest.approx(10.0)  # 5 s + 5 s
    before = client.get("/api/settings").json()
    fast = {"pacer": {"inhale_s": 2, "exhale_s": 2}}  # 15 breaths/min: above 12
    response = client.put("/api/settings", json=fast)
    assert response.status_code == 400
    assert "breaths" in response.json()["error"]
    assert_refused(client.put("/api/settings", json={"lang": "de"}), 422, "lang")
    assert client.get("/api/settings").json() == before


def test_export_import_delete_all(client: TestClient, vagus_app: App) -> None:
    client.post("/api/checkins", json=CHECKIN)
    exported = client.get("/api/export")
    assert "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    before = counts(vagus_app)
    assert_refused(client.post("/api/delete-all", json={"confirm": "delete"}), 400, "confirm")
    assert counts(vagus_app) == before
    refused = client.post("/api/import", json=data)  # the journal is not empty
    assert refused.status_code == 400
    assert counts(vagus_app) == before
    deleted = client.post("/api/delete-all", json={"confirm": "SLETT"}).json()
    assert deleted == {"deleted": True, "files_clean": True}
    assert client.get("/api/checkins").json() == []
    assert_refused(client.post("/api/import", json={"format": "nope"}), 400, "format")
    imported = client.post("/api/import", json=data).json()
    assert imported["imported"] >= 1
    assert len(client.get("/api/checkins").json()) == 1


def test_csrf_refused_without_header(bare: TestClient, vagus_app: App) -> None:
    token = bare.get("/api/csrf").json()["token"]  # the browser holds the cookie and token
    before = counts(vagus_app)
    bare.cookies.clear()
    no_cookie = bare.post("/api/checkins", json=CHECKIN, headers={"X-Vagus-CSRF": token or ""})
    assert_refused(no_cookie, 403, "vagus_csrf")
    bare.get("/")
    assert_refused(bare.post("/api/checkins", json=CHECKIN), 403, "csrf_token")
    wrong = bare.post("/api/checkins", json=CHECKIN, headers={"X-Vagus-CSRF": "guess"})
    assert_refused(wrong, 403, "csrf_token")
    form = bare.post("/checkin", data=CHECKIN | {"csrf_token": "guess"})
    assert form.status_code == 403
    assert "<html" in form.text
    assert_refused(bare.post("/api/delete-all", json={"confirm": "DELETE"}), 403, "csrf")
    assert counts(vagus_app) == before


def test_checkin_waits_for_another_writer_off_the_event_loop(
    client: TestClient, vagus_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another thread writes, a check-in waits in the thread pool: the server still
    answers other requests meanwhile, and the check-in is stored once the writer is done."""
    import threading

    holding, release, entered = threading.Event(), threading.Event(), threading.Event()
    checkin = vagus_app.checkins.add

    def recorded_checkin(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        return checkin(*args, **kwargs)

    monkeypatch.setattr(vagus_app.checkins, "add", recorded_checkin)

    def other_writer() -> None:
        with vagus_app.journal._one_writer():
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=other_writer)
    writer.start()
    posted: dict[str, Any] = {}
    poster = threading.Thread(
        target=lambda: posted.update(
            response=client.post("/api/checkins", json=CHECKIN | {"note": "waited"})
        )
    )
    # Never hang the suite; and shorter than the journal's lock timeout (5 s), after which a
    # write that waited on the event loop would have gone ahead anyway.
    safety = threading.Timer(3, release.set)
    safety.start()
    try:
        assert holding.wait(10)
        poster.start()
        assert entered.wait(10)  # the check-in is waiting for the other writer now
        # Had it waited on the event loop, this would not be answered before the release.
        assert client.get("/api/history?limit=1").status_code == 200
        assert not release.is_set()
    finally:
        release.set()
        safety.cancel()
        writer.join(10)
        if poster.is_alive() or "response" not in posted:
            poster.join(10)
    response = posted["response"]
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] > 0
    assert {k: body[k] for k in CHECKIN} == CHECKIN
    assert body["note"] == "waited"
    assert body["symptoms"] == []
    assert body["safety"]["advice"] == []
    assert client.get("/api/history?limit=1").json()[0]["note"] == "waited"


def test_api_answers_carry_the_csrf_cookie_and_security_headers(bare: TestClient) -> None:
    first = bare.get("/api/history?limit=50")
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    token = bare.cookies.get("vagus_csrf")
    assert token
    assert cookie.startswith(f"vagus_csrf={token};")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "default-src 'self'" in first.headers["content-security-policy"]
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["referrer-policy"] == "same-origin"  # no-referrer makes Origin null
    # The browser sends the cookie back: no new one.
    again = bare.get("/api/history?limit=50")
    assert "set-cookie" not in again.headers
    assert "default-src 'self'" in again.headers["content-security-policy"]
    # Errors too; and a page remembers a chosen language.
    refused = bare.get("/api/history?type=dream&lang=nb")
    assert refused.status_code == 400
    assert "default-src 'self'" in refused.headers["content-security-policy"]
    assert bare.get("/history?lang=nb").headers["set-cookie"].startswith("vagus_lang=nb;")
