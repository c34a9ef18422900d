"""Ids beyond the database's integer range (issue 11, finding 9): a 404 or a 400, never a 500,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pg_helpers import postgres_problem, postgres_schema
from vagus.app import App, build_app
from vagus.journal import JournalError

#: Beyond PostgreSQL's integer (2**31 - 1), SQLite's integer (2**63 - 1) and a C long.
BIG_IDS = ("2147483648", "9223372036854775808", "99999999999999999999")
GETS = ("/api/sessions/{id}", "/api/measurements/{id}", "/measurements/{id}")
POSTS = {
    "/api/sessions/{id}/steps": {
        "step_id": "breathe",
        "kind": "breathing",
        "started_at": "2026-03-02T07:00:00+00:00",
        "ended_at": "2026-03-02T07:01:00+00:00",
        "active_s": 60,
        "outcome": "completed",
    },
    "/api/sessions/{id}/finish": {"status": "stopped"},
    "/api/sessions/{id}/ratings": {"moment": "before", "calm": 5},
    "/api/sessions/{id}/symptoms": {"symptoms": ["dizziness"], "note": ""},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def vagus_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """The web fixtures' app (tests/web/conftest.py), on SQLite and on PostgreSQL."""
    env = {
        "VAGUS_HOME": str(tmp_path / "home"),
        "VAGUS_LANG": "en",
        # The host name Starlette's TestClient sends (see tests/web/conftest.py).
        "VAGUS_ALLOWED_HOSTS": "testserver",
    }
    if request.param == "sqlite":
        app = build_app(env=env)
        yield app
        app.close()
        return
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(problem)
    with postgres_schema() as url:
        app = build_app(env={**env, "VAGUS_DATABASE_URL": url})
        yield app
        app.close()


@pytest.mark.parametrize("big", BIG_IDS)
@pytest.mark.parametrize("path", GETS)
def test_lookup_of_a_big_id_is_not_found(client: TestClient, path: str, big: str) -> None:
    response = client.get(path.format(id=big))
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("big", BIG_IDS)
@pytest.mark.parametrize("path", POSTS)
def test_writes_to_a_big_id_are_refused(
    client: TestClient, vagus_app: App, path: str, big: str
) -> None:
    app = vagus_app
    before = app.journal.counts()
    response = client.post(path.format(id=big), json=POSTS[path])
    assert response.status_code in (400, 404), response.text
    assert app.journal.counts() == before


@pytest.mark.parametrize("big", BIG_IDS)
def test_journal_lookups_refuse_big_ids_as_user_errors(vagus_app: App, big: str) -> None:
    journal = vagus_app.journal
    value = int(big)
    for call in (
        lambda: journal.session(value),
        lambda: journal.recording(value),
        lambda: journal.recording_rr(value),
        lambda: journal.finish_session(value, "stopped"),
        lambda: journal.add_rating(value, "before", 3),
        lambda: journal.append_beats(value, [800.0]),
        lambda: journal.finish_recording(value),
        lambda: journal.delete_recording(value),
        lambda: journal.set_recording_tags(value, ["rest"]),
        lambda: journal.discard_session(value),
    ):
        with pytest.raises(JournalError):
            call()
