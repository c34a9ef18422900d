"""The HTML pages: 200 with their key text in both languages; forms validated on the server."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from vagus.app import App, example_rr_path
from vagus.program import questions, t
from vagus.program.i18n import LANGS
from vagus.web._i18n import tr, web_messages

PAGES = {
    "/": "today.plan",
    "/exercises/breathing": "cli.steps",
    "/checkin": "checkin.title",
    "/screen": "screen.title",
    "/history": "history.title",
    "/upload": "upload.title",
    "/learn": "learn.vagus_title",
    "/settings": "settings.title",
    "/questionnaires": "questionnaire.title",
    "/questionnaires/gad-7": "questionnaire.submit",
}
CHECKIN = {
    "sleep": "6",
    "headache": "2",
    "digestion": "3",
    "anxiety": "4",
    "pain": "5",
    "fatigue": "6",
}


def csrf(client: TestClient) -> str:
    """The token the client's pages carry (the fixture got it from ``GET /api/csrf``)."""
    token = client.headers.get("X-Vagus-CSRF")
    assert isinstance(token, str)
    return token


def test_every_message_has_both_languages() -> None:
    messages = web_messages()
    assert len(messages.texts) > 50
    for key, text in messages.texts.items():
        for lang in LANGS:
            assert text.get(lang).strip(), f"{key}.{lang}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("path", "key"), PAGES.items())
def test_pages_render_in_both_languages(client: TestClient, path: str, key: str, lang: str) -> None:
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert tr(key, lang) in html.replace("&#39;", "'")  # type: ignore[arg-type]
    assert t("purpose.not_a_doctor", lang) in html  # type: ignore[arg-type]
    assert '<main id="main"' in html
    assert "<nav" in html
    assert "<footer" in html
    assert 'name="csrf-token"' in html


def test_language_is_remembered_in_a_cookie(client: TestClient) -> None:
    client.get("/?lang=nb")
    assert client.cookies.get("vagus_lang") == "nb"
    assert '<html lang="nb">' in client.get("/learn").text
    assert '<html lang="en">' in client.get("/learn?lang=en").text


def test_checkin_form_bad_value_stores_nothing(client: TestClient, vagus_app: App) -> None:
    before = vagus_app.journal.counts()
    data = CHECKIN | {"pain": "11", "csrf_token": csrf(client)}
    response = client.post("/checkin", data=data)
    assert response.status_code == 400
    assert 'id="e-pain"' in response.text
    assert tr("checkin.bad_value", "en") in response.text
    assert 'value="11"' in response.text  # what the person typed comes back
    assert vagus_app.journal.counts() == before
    ok = client.post("/checkin", data=CHECKIN | {"csrf_token": csrf(client)})
    assert ok.status_code == 200
    assert t("cli.checkin_saved", "en") in ok.text
    assert len(vagus_app.transfer.history(["checkin"])) == 1
    assert tr("today.checkin_done", "en") in client.get("/").text


def test_screen_form_every_question_and_result(client: TestClient, vagus_app: App) -> None:
    page = client.get("/screen").text
    asked = questions("en")
    assert len(re.findall(r'type="radio" name="q-', page)) == 2 * len(asked)
    partial = {f"q-{q.id}": "no" for q in asked[1:]} | {"csrf_token": csrf(client)}
    missing = client.post("/screen", data=partial)
    assert missing.status_code == 400
    assert f'id="e-{asked[0].id}"' in missing.text
    assert vagus_app.journal.latest_screening() is None
    full = partial | {f"q-{asked[0].id}": "no"}
    done = client.post("/screen", data=full)
    assert done.status_code == 200
    assert tr("screen.result", "en") in done.text
    assert vagus_app.journal.latest_screening() is not None


def test_upload_page_shows_analysis_and_error(client: TestClient) -> None:
    files = {"file": ("rr.txt", example_rr_path().read_bytes(), "text/plain")}
    page = client.post("/upload", data={"csrf_token": csrf(client)}, files=files)
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "RMSSD" in page.text
    assert "<table" in page.text
    bad = {"file": ("bad.txt", b"abc\n", "text/plain")}
    refused = client.post("/upload", data={"csrf_token": csrf(client)}, files=bad)
    assert refused.status_code == 400
    assert "bad.txt" in refused.text
    assert 'id="e-file"' in refused.text


def test_measurement_page(client: TestClient, vagus_app: App) -> None:
    from datetime import UTC, datetime

    journal = vagus_app.journal
    rid = journal.start_recording("replay", datetime(2024, 5, 1, 7, tzinfo=UTC), [])
    journal.append_beats(rid, [800.0, 820.0, 790.0, 810.0])
    journal.finish_recording(rid, analysis=None)
    page = client.get(f"/measurements/{rid}")
    assert page.status_code == 200
    assert "polyline" in page.text
    assert tr("measurement.no_analysis", "en") in page.text
    assert f'href="/measurements/{rid}"' in client.get("/history").text
    assert client.get("/measurements/999").status_code == 404


def test_settings_forms(client: TestClient, vagus_app: App) -> None:
    form = {"lang": "en", "inhale_s": "4", "exhale_s": "1", "hold_in_s": "0", "hold_out_s": "0"}
    bad = client.post("/settings", data=form | {"csrf_token": csrf(client)})
    assert bad.status_code == 400
    assert 'id="e-exhale_s"' in bad.text
    assert not vagus_app.journal.get_setting("web_prefs")
    good = client.post("/settings", data=form | {"exhale_s": "6", "csrf_token": csrf(client)})
    assert good.status_code == 200
    assert tr("settings.saved", "en") in good.text
    client.post("/checkin", data=CHECKIN | {"csrf_token": csrf(client)})
    wrong = client.post("/settings/delete-all", data={"confirm": "yes", "csrf_token": csrf(client)})
    assert wrong.status_code == 400
    assert len(vagus_app.transfer.history(["checkin"])) == 1
    export = client.get("/api/export").content
    gone = client.post(
        "/settings/delete-all", data={"confirm": "DELETE", "csrf_token": csrf(client)}
    )
    assert gone.status_code == 200
    assert vagus_app.transfer.history(["checkin"]) == []
    files = {"file": ("export.json", export, "application/json")}
    back = client.post("/settings/import", data={"csrf_token": csrf(client)}, files=files)
    assert back.status_code == 200
    assert len(vagus_app.transfer.history(["checkin"])) == 1
    junk = {"file": ("export.json", b"{nope", "application/json")}
    refused = client.post("/settings/import", data={"csrf_token": csrf(client)}, files=junk)
    assert refused.status_code == 400
    assert "line 1" in refused.text


def test_unknown_page_is_a_page(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "<html" in response.text
    assert client.get("/exercises/juggling").status_code == 404
    assert client.get("/static/style.css").status_code == 200
