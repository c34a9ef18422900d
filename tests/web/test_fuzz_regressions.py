"""The 500s issue 11's API fuzz (tests/web/test_api_fuzz.py) found, each checked here by itself:
every one is now one clear 4xx with a JSON error naming the field, and changes nothing.

The JSON bodies are sent as raw text: a lone UTF-16 surrogate (``"\\ud800"``) is valid JSON
syntax that a Python client cannot produce from a str.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pg_helpers import postgres_problem, postgres_schema
from vagus.app import App, build_app
from vagus.web import create_app
from vagus.web._csrf import CSRF_HEADER

CHECKIN = '"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6'
SURROGATE = '"\\ud800"'
NUL = '"a\\u0000b"'


def post_raw(client: TestClient, method: str, path: str, body: str) -> Any:
    return client.request(
        method, path, content=body.encode(), headers={"Content-Type": "application/json"}
    )


def assert_refused(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "field", "message", "code", "reason"}, body
    assert field in body["error"], body


#: A lone surrogate in a string the app echoes in its error message: the answer could not be
#: written as UTF-8 (UnicodeEncodeError in JSONResponse.render), a 500. Now refused by the
#: request model (vagus.app.models.Text).
SURROGATE_CASES = [
    ("POST", "/api/sessions", f'{{"exercise_id": {SURROGATE}}}', "exercise_id"),
    ("POST", "/api/screening/clearance", f'{{"exercise_id": {SURROGATE}}}', "exercise_id"),
    ("POST", "/api/screening", f'{{"answers": {{}}, "cleared": [{SURROGATE}]}}', "cleared"),
    ("PUT", "/api/settings", f'{{"sensor": {SURROGATE}}}', "sensor"),
    ("POST", "/api/sessions", f'{{"exercise_id": "neck", "params": {{{SURROGATE}: 1}}}}', "params"),
    ("POST", "/api/checkins", f'{{{CHECKIN}, "symptoms": [{SURROGATE}]}}', "symptoms"),
    ("POST", "/api/delete-all", f'{{"confirm": {SURROGATE}}}', "confirm"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), SURROGATE_CASES)
def test_unpaired_surrogate_is_refused(
    client: TestClient, screened: App, method: str, path: str, body: str, field: str
) -> None:
    before = screened.journal.counts()
    assert_refused(post_raw(client, method, path, body), 422, field)
    assert screened.journal.counts() == before


#: A huge number out of a parameter's range: the error message formats it for the person, and
#: Babel's rounding (28 decimal digits) raised InvalidOperation, a 500 (vagus.program.i18n).
HUGE_CASES = [
    ("POST", "/api/sessions", '{"exercise_id": "breathing", "params": {"minutes": 1e308}}'),
    ("POST", "/api/sessions", '{"exercise_id": "breathing", "params": {"minutes": -1e308}}'),
    ("PUT", "/api/settings", '{"pacer": {"inhale_s": 1e308, "exhale_s": 6}}'),
    ("PUT", "/api/settings", '{"pacer": {"inhale_s": 4, "exhale_s": 6, "hold_out_s": 1e300}}'),
]


@pytest.mark.parametrize("lang", ["en", "nb"])
@pytest.mark.parametrize(("method", "path", "body"), HUGE_CASES)
def test_huge_number_is_refused(
    client: TestClient, screened: App, method: str, path: str, body: str, lang: str
) -> None:
    before = screened.journal.counts()
    response = post_raw(client, method, f"{path}?lang={lang}", body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert "outside the allowed" in answer["error"]
    assert "E30" in answer["message"]  # written as a person can read it: 1E308
    assert screened.journal.counts() == before
    assert screened.prefs.get().pacer_set is False


@pytest.fixture(params=["sqlite", "postgresql"])
def any_journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """The web fixtures' app (tests/web/conftest.py), on SQLite and on PostgreSQL (which
    refuses a NUL character in text)."""
    env = {
        "VAGUS_HOME": str(tmp_path / "home"),
        "VAGUS_LANG": "en",
        "VAGUS_ALLOWED_HOSTS": "testserver",
    }
    if request.param == "postgresql":
        problem = postgres_problem()
        if problem is not None:
            pytest.skip(problem)
        with postgres_schema() as url:
            app = build_app(env={**env, "VAGUS_DATABASE_URL": url})
            yield app
            app.close()
        return
    app = build_app(env=env)
    yield app
    app.close()


@pytest.fixture
def vagus_app(any_journal: App) -> App:
    """Overrides the conftest's app: these tests run on both journals."""
    return any_journal


#: A NUL character in stored text: PostgreSQL refused the INSERT (psycopg.DataError), a 500.
#: Now refused by the request model on both journals.
NUL_CASES = [
    ("/api/checkins", f'{{{CHECKIN}, "note": {NUL}}}', "note"),
    ("/api/sessions/{sid}/symptoms", f'{{"symptoms": ["dizziness"], "note": {NUL}}}', "note"),
    ("/api/sessions/{sid}/steps", f'{{"step_id": {NUL}, "kind": "do"}}', "step_id"),
]


@pytest.mark.parametrize(("path", "body", "field"), NUL_CASES)
def test_nul_character_is_refused(
    client: TestClient, screened: App, path: str, body: str, field: str
) -> None:
    session = client.post("/api/sessions", json={"exercise_id": "breathing"})
    assert session.status_code == 201, session.text
    before = screened.journal.counts()
    response = post_raw(client, "POST", path.format(sid=session.json()["id"]), body)
    assert_refused(response, 422, field)
    assert screened.journal.counts() == before


@pytest.fixture
def postgres_client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app on PostgreSQL (the only journal that refuses a NUL character)."""
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(problem)
    env = {
        "VAGUS_HOME": str(tmp_path / "pg"),
        "VAGUS_LANG": "en",
        "VAGUS_ALLOWED_HOSTS": "testserver",
    }
    with postgres_schema() as url:
        app = build_app(env={**env, "VAGUS_DATABASE_URL": url})
        with TestClient(create_app(app), raise_server_exceptions=False) as test_client:
            test_client.headers[CSRF_HEADER] = test_client.get("/api/csrf").json()["token"]
            yield test_client
        app.close()


def test_nul_in_browser_strap_name_is_refused(postgres_client: TestClient) -> None:
    response = post_raw(postgres_client, "POST", "/api/live/browser", f'{{"name": {NUL}}}')
    assert_refused(response, 422, "name")


def test_nul_in_an_imported_note_is_refused(postgres_client: TestClient) -> None:
    checkin = {"sleep": 6, "headache": 2, "digestion": 3, "anxiety": 4, "pain": 5, "fatigue": 6}
    stored = postgres_client.post("/api/checkins", json=checkin | {"note": "hello"})
    assert stored.status_code == 201, stored.text
    export = postgres_client.get("/api/export").text.replace("hello", "he\\u0000llo")
    deleted = postgres_client.post("/api/delete-all", json={"confirm": "DELETE"})
    assert deleted.status_code == 200, deleted.text
    response = post_raw(postgres_client, "POST", "/api/import", export)
    assert response.status_code == 400, response.text
    assert "note" in response.json()["error"]
