"""Web fixtures: a server around a fresh app and journal (SQLite in a temporary home)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vagus.app import App, build_app
from vagus.program import questions
from vagus.web import create_app
from vagus.web._csrf import CSRF_HEADER
from web.web_helpers import csrf_handshake

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx's future
    from fastapi.testclient import TestClient


#: The app's wall clock in these tests: 07:30 local time on a fixed day, so the rules that
#: speak of the local hour ("morning" only for a standalone measurement) are checked at an hour
#: where they matter, whenever the tests run.
LOCAL_NOW = datetime(2026, 3, 2, 7, 30).astimezone().astimezone(UTC)
#: The host name Starlette's TestClient sends; the server answers it only because the tests'
#: settings allow it (the allowed_hosts setting), as a person would allow a clinic's name.
TEST_HOST = "testserver"


@pytest.fixture
def vagus_app(tmp_path: Path) -> Iterator[App]:
    app = build_app(
        env={
            "VAGUS_HOME": str(tmp_path / "home"),
            "VAGUS_LANG": "en",
            "VAGUS_ALLOWED_HOSTS": TEST_HOST,
        },
        now=lambda: LOCAL_NOW,
    )
    yield app
    app.close()


@pytest.fixture
def client(vagus_app: App) -> Iterator[TestClient]:
    """An in-process client that did what a script does: it asked ``GET /api/csrf`` for a
    token (and so holds its session cookie) and sends the token with every request."""
    with TestClient(create_app(vagus_app)) as test_client:
        test_client.headers[CSRF_HEADER] = csrf_handshake(test_client)
        yield test_client


@pytest.fixture
def bare(vagus_app: App) -> Iterator[TestClient]:
    """A client without the CSRF header (a cross-site attacker's view)."""
    with TestClient(create_app(vagus_app)) as test_client:
        yield test_client


def answer_all_no(app: App) -> None:
    """Answer every screening question "no": every exercise is open (the app's gate)."""
    app.screening.save({q.id: False for q in questions("en")})


@pytest.fixture
def screened(vagus_app: App) -> App:
    """The app after the health questions, all answered "no" (sessions may start)."""
    answer_all_no(vagus_app)
    return vagus_app
