"""The rules a person meets, through the web (issue 10): the screening gate on the exercise page
and the API, the clinician's clearance, warning signs in the check-in and the player with their
advice at once, Today's red flag until confirmed, honest session statuses, and Norwegian pages
without English text."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vagus.app import App, RefusedError
from vagus.program import EXERCISE_IDS, Lang, questions
from vagus.program.i18n import load_messages
from vagus.web._i18n import tr, web_messages

CHECKIN = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}


def csrf(client: TestClient) -> str:
    """The token the client's pages carry (the fixture got it from ``GET /api/csrf``)."""
    token = client.headers.get("X-Vagus-CSRF")
    assert isinstance(token, str)
    return token


def screen(app: App, *yes: str) -> None:
    app.screening.save({q.id: q.id in yes for q in questions("en")})


def refusal(app: App, exercise_id: str) -> RefusedError:
    with pytest.raises(RefusedError) as caught:
        app.plan.gate(exercise_id)
    return caught.value


def has_id(page: str, element_id: str) -> bool:
    return f'id="{element_id}"' in page


def step_event(step: dict[str, Any], start: datetime, outcome: str = "completed") -> dict[str, Any]:
    seconds = step["duration_s"] or 5.0
    return {
        "step_id": step["id"],
        "kind": step["kind"],
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=seconds)).isoformat(),
        "active_s": seconds,
        "outcome": outcome,
    }


# --- the gate ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_an_excluded_exercise_shows_its_reason_and_no_start(
    client: TestClient, vagus_app: App, lang: Lang
) -> None:
    screen(vagus_app, "cold-urticaria")
    error = refusal(vagus_app, "cold-water")
    assert error.code == "excluded"
    page = client.get(f"/exercises/cold-water?lang={lang}").text
    assert has_id(page, "gate-refused")
    assert html.escape(error.reason[lang], quote=False) in page or error.reason[lang] in page
    assert not has_id(page, "player-start")
    assert not has_id(page, "gate-clearance")
    response = client.post(f"/api/sessions?lang={lang}", json={"exercise_id": "cold-water"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "excluded"
    assert body["field"] == "exercise_id"
    assert body["reason"] == error.reason[lang]
    assert vagus_app.transfer.history(["session"]) == []
    # Even confirming a clearance cannot open an excluded exercise.
    forced = {"exercise_id": "cold-water", "confirm_cleared": True}
    assert client.post("/api/sessions", json=forced).status_code == 409


def test_before_the_health_questions_no_exercise_starts(client: TestClient) -> None:
    page = client.get("/exercises/breathing").text
    assert has_id(page, "gate-refused")
    assert not has_id(page, "player-start")
    response = client.post("/api/sessions", json={"exercise_id": "breathing"})
    assert response.status_code == 409
    assert response.json()["code"] == "excluded"


def test_clearance_on_the_page_opens_the_exercise(client: TestClient, vagus_app: App) -> None:
    screen(vagus_app, "whiplash")
    error = refusal(vagus_app, "neck")
    assert error.code == "needs-clearance"
    page = client.get("/exercises/neck?lang=nb").text
    assert has_id(page, "gate-clearance")
    assert has_id(page, "clearance-form")
    assert has_id(page, "clearance-confirm")
    assert 'action="/exercises/neck/clearance"' in page
    assert error.reason["nb"] in html.unescape(page)
    assert not has_id(page, "player-start")
    refused = client.post("/api/sessions", json={"exercise_id": "neck"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "needs-clearance"
    # The form needs its CSRF token like every other.
    assert (
        client.post("/exercises/neck/clearance", data={}, headers={"X-Vagus-CSRF": ""}).status_code
        == 403
    )
    done = client.post("/exercises/neck/clearance", data={"csrf_token": csrf(client)})
    assert done.status_code == 200
    assert str(done.url).endswith("/exercises/neck")
    assert has_id(done.text, "player-start")
    assert not has_id(done.text, "gate-clearance")
    assert client.post("/api/sessions", json={"exercise_id": "neck"}).status_code == 201


def test_clearance_through_the_api(client: TestClient, vagus_app: App) -> None:
    screen(vagus_app, "whiplash")
    confirmed = client.post("/api/screening/clearance", json={"exercise_id": "neck"})
    assert confirmed.status_code == 200, confirmed.text
    assert client.post("/api/sessions", json={"exercise_id": "neck"}).status_code == 201
    unknown = client.post("/api/screening/clearance", json={"exercise_id": "juggling"})
    assert unknown.status_code == 404


def test_confirm_cleared_starts_a_session_needing_clearance(
    client: TestClient, vagus_app: App
) -> None:
    screen(vagus_app, "whiplash")
    body = {"exercise_id": "neck", "confirm_cleared": True}
    assert client.post("/api/sessions", json=body).status_code == 201


def test_the_pace_shown_is_the_pace_used(client: TestClient, vagus_app: App) -> None:
    screen(vagus_app)
    client.put("/api/settings", json={"pacer": {"inhale_s": 5, "exhale_s": 7}})
    page = client.get("/exercises/breathing?lang=en").text
    pace = re.search(r'<p id="pace">(.*?)</p>', page, re.S)
    assert pace is not None
    assert "5 s in" in pace.group(1)
    assert "7 s out" in pace.group(1)
    session = client.post("/api/sessions", json={"exercise_id": "breathing"}).json()
    assert session["pace"]["inhale_s"] == 5.0
    assert session["pace"]["exhale_s"] == 7.0
    assert session["pace"]["source"] == "chosen"


# --- warning signs -------------------------------------------------------------------------------


def test_safety_lists_signs_in_the_language(client: TestClient) -> None:
    nb = client.get("/api/safety?lang=nb").json()
    en = client.get("/api/safety?lang=en").json()
    assert [s["id"] for s in nb["symptoms"]] == [s["id"] for s in en["symptoms"]]
    assert nb["symptoms"][0]["label"] != en["symptoms"][0]["label"]
    assert "chest-pain" in nb["red_flag_signs"]
    assert set(nb["stop_rules"]) == set(EXERCISE_IDS)
    assert "tingling" in nb["stop_rules"]["breathing"]


def test_a_symptom_in_the_player_stops_the_session_with_advice(
    client: TestClient, screened: App
) -> None:
    session = client.post("/api/sessions", json={"exercise_id": "breathing"}).json()
    sid = session["id"]
    response = client.post(
        f"/api/sessions/{sid}/symptoms?lang=nb", json={"symptoms": ["chest-pain"]}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "stopped"
    assert body["safety"]["stop_session"] is True
    assert "heart" in body["safety"]["red_flags"]
    assert any("113" in line for line in body["safety"]["advice"])
    assert client.get(f"/api/sessions/{sid}").json()["status"] == "stopped"
    today = client.get("/?lang=nb").text
    assert has_id(today, "red-flag")
    bad = client.post(f"/api/sessions/{sid}/symptoms", json={"symptoms": ["hiccups"]})
    assert bad.status_code == 400
    assert bad.json()["field"] == "symptoms"
    assert (
        client.post("/api/sessions/999/symptoms", json={"symptoms": ["dizziness"]}).status_code
        == 404
    )


def test_a_checkin_with_warning_signs_is_stored_structured_and_flagged(
    client: TestClient, vagus_app: App
) -> None:
    response = client.post("/api/checkins", json=CHECKIN | {"symptoms": ["chest-pain"]})
    assert response.status_code == 201, response.text
    assert any("113" in line for line in response.json()["safety"]["advice"])
    [entry] = client.get("/api/history?type=checkin").json()
    assert entry["symptoms"] == ["chest-pain"]
    assert entry.get("note") in (None, "")  # not smuggled into the note
    assert client.get("/api/today").json()["red_flag"]["red_flags"] == ["heart"]
    page = client.get("/").text
    assert has_id(page, "red-flag")
    assert has_id(page, "red-flag-confirm")
    assert client.get("/").text.count('id="red-flag"') == 1  # still there on the next visit
    confirmed = client.post("/red-flag/confirm", data={"csrf_token": csrf(client)})
    assert confirmed.status_code == 200
    assert not has_id(confirmed.text, "red-flag")
    assert client.get("/api/today").json()["red_flag"] is None


def test_the_checkin_page_lists_signs_and_shows_advice_at_once(
    client: TestClient, vagus_app: App
) -> None:
    page = client.get("/checkin?lang=nb").text
    assert 'name="symptoms" value="self-harm-thoughts"' in page
    form = {k: str(v) for k, v in CHECKIN.items()} | {
        "symptoms": ["self-harm-thoughts"],
        "csrf_token": csrf(client),
    }
    saved = client.post("/checkin?lang=nb", data=form)
    assert saved.status_code == 200
    assert has_id(saved.text, "checkin-advice")
    advice = saved.text[saved.text.index('id="checkin-advice"') :]
    assert "113" in advice
    [entry] = vagus_app.transfer.history(["checkin"])
    assert entry["symptoms"] == ["self-harm-thoughts"]
    bad = client.post("/checkin", data=form | {"symptoms": ["hiccups"]})
    assert bad.status_code == 400
    assert has_id(bad.text, "e-symptoms")
    assert len(vagus_app.transfer.history(["checkin"])) == 1


def test_the_api_confirms_a_red_flag(client: TestClient) -> None:
    client.post("/api/checkins", json=CHECKIN | {"symptoms": ["thunderclap-headache"]})
    assert client.get("/api/today").json()["red_flag"] is not None
    assert client.post("/api/red-flag/confirm").json() == {"confirmed": True}
    assert client.get("/api/today").json()["red_flag"] is None


# --- honest session statuses ---------------------------------------------------------------------


def test_cancel_before_the_first_step_leaves_no_session(client: TestClient, screened: App) -> None:
    sid = client.post("/api/sessions", json={"exercise_id": "breathing"}).json()["id"]
    client.post(f"/api/sessions/{sid}/ratings", json={"moment": "before", "calm": 4})
    finished = client.post(f"/api/sessions/{sid}/finish", json={"status": "aborted"})
    assert finished.json() == {"status": None}
    assert client.get("/api/history?type=session").json() == []
    assert client.get(f"/api/sessions/{sid}").status_code == 404


def test_a_session_with_its_main_step_skipped_is_stopped(client: TestClient, screened: App) -> None:
    session = client.post(
        "/api/sessions", json={"exercise_id": "breathing", "params": {"minutes": 2}}
    ).json()
    sid = session["id"]
    t = datetime(2026, 1, 1, 8, tzinfo=UTC)
    for step in session["steps"]:
        outcome = "skipped" if step["kind"] in ("do", "repeat") else "completed"
        response = client.post(f"/api/sessions/{sid}/steps", json=step_event(step, t, outcome))
        assert response.status_code == 201, response.text
        t += timedelta(seconds=step["duration_s"] or 5.0)
    finished = client.post(f"/api/sessions/{sid}/finish", json={"status": "completed"})
    assert finished.json() == {"status": "stopped"}


def test_get_today_writes_nothing(client: TestClient, vagus_app: App) -> None:
    screen(vagus_app)
    before = vagus_app.journal.counts()
    for _ in range(2):
        assert client.get("/").status_code == 200
        assert client.get("/api/today").status_code == 200
        assert client.get("/api/plan").status_code == 200
        assert client.get("/exercises").status_code == 200
    assert vagus_app.journal.counts() == before
    # The day's plan is stored when a session starts under it.
    assert client.post("/api/sessions", json={"exercise_id": "breathing"}).status_code == 201
    assert vagus_app.journal.counts()["plan"] == before["plan"] + 1


# --- Norwegian pages say nothing in English ------------------------------------------------------


def _english_texts() -> list[str]:
    """English catalog texts (the web's and the program's) that differ from their Norwegian,
    as the literal pieces between placeholders; short pieces (a unit, one short word) are
    left out, they are the same or too common to tell."""
    out: set[str] = set()
    for messages in (web_messages(), load_messages()):
        for text in messages.texts.values():
            en, nb = text.get("en"), text.get("nb")
            if en == nb:
                continue
            for piece in re.split(r"\{[^}]*\}", en):
                piece = piece.strip(" .,:;()")
                if len(piece) >= 12 and " " in piece:
                    out.add(piece)
    return sorted(out)


def _visible(page: str) -> str:
    """The page's text and attribute values, without the cited sources (English titles)."""
    page = re.sub(r'<ol class="sources">.*?</ol>', "", page, flags=re.S)
    page = re.sub(r'<ul class="sources">.*?</ul>', "", page, flags=re.S)
    return html.unescape(page)


def test_norwegian_pages_have_no_english_text(client: TestClient, vagus_app: App) -> None:
    screen(vagus_app, "whiplash", "cold-urticaria")
    client.post("/api/checkins", json=CHECKIN | {"symptoms": ["chest-pain"]})
    client.post("/api/questionnaires/gad-7", json={"answers": [1] * 7})
    journal = vagus_app.journal
    rid = journal.start_recording("replay", datetime(2026, 1, 1, 7, tzinfo=UTC), [])
    journal.append_beats(rid, [800.0 + (i % 7) * 10 for i in range(120)])
    journal.finish_recording(rid, analysis=None)
    token = csrf(client)
    pages: dict[str, Any] = {
        path: client.get(f"{path}?lang=nb")
        for path in (
            "/",
            "/checkin",
            "/screen",
            "/history",
            "/upload",
            "/learn",
            "/settings",
            "/questionnaires",
            "/questionnaires/gad-7",
            f"/measurements/{rid}",
            *(f"/exercises/{ex}" for ex in EXERCISE_IDS),
        )
    }
    assert all(r.status_code == 200 for r in pages.values()), {
        p: r.status_code for p, r in pages.items()
    }
    errors = {
        "404": client.get("/nowhere?lang=nb"),
        "404 exercise": client.get("/exercises/juggling?lang=nb"),
        "404 measurement": client.get("/measurements/999?lang=nb"),
        "404 questionnaire": client.get("/questionnaires/nope?lang=nb"),
        "400 check-in": client.post(
            "/checkin?lang=nb", data=dict.fromkeys(CHECKIN, "11") | {"csrf_token": token}
        ),
        "400 settings": client.post(
            "/settings?lang=nb",
            data={
                "lang": "nb",
                "inhale_s": "x",
                "exhale_s": "",
                "hold_in_s": "0",
                "hold_out_s": "0",
                "csrf_token": token,
            },
        ),
        "400 delete": client.post(
            "/settings/delete-all?lang=nb", data={"confirm": "no", "csrf_token": token}
        ),
        "400 upload": client.post("/upload?lang=nb", data={"csrf_token": token}),
        "403": client.post(
            "/checkin?lang=nb", data={"csrf_token": "forged"}, headers={"X-Vagus-CSRF": "forged"}
        ),
    }
    for name, response in errors.items():
        assert response.status_code == int(name[:3]), (name, response.status_code)
    english = _english_texts()
    assert len(english) > 50  # the scan has something to look for
    for name, response in {**pages, **errors}.items():
        assert '<html lang="nb">' in response.text, name
        text = _visible(response.text)
        found = [piece for piece in english if piece in text]
        assert not found, f"{name}: English text on a Norwegian page: {found[:5]}"
    assert tr("today.red_flag_title", "nb") in pages["/"].text


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_exercises_page_shows_where_each_stands_today(
    client: TestClient, vagus_app: App, lang: Lang
) -> None:
    screen(vagus_app, "cold-urticaria", "whiplash")
    statuses = {ex["id"]: ex["today"] for ex in client.get(f"/api/exercises?lang={lang}").json()}
    assert list(statuses) == list(EXERCISE_IDS)
    assert statuses["cold-water"]["status"] == "excluded"
    assert statuses["neck"]["status"] == "needs-clearance"
    assert statuses["breathing"]["status"] == "planned"
    assert statuses["breathing"]["dose"] == 2.0
    page = client.get(f"/exercises?lang={lang}").text
    cold = page[page.index('id="ex-cold-water"') :]
    cold = cold[: cold.index("</li>")]
    reason = statuses["cold-water"]["reason"]
    assert html.escape(reason[0].upper() + reason[1:], quote=False) in cold
    breathing = page[page.index('id="ex-breathing"') :]
    assert tr("exercises.planned", lang, dose="2", unit=statuses["breathing"]["unit_text"]) in (
        html.unescape(breathing[: breathing.index("</li>")])
    )
