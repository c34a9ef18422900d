"""Helpers the web tests share: the CSRF handshake a script does, the journal's row counts
that a refused request must leave unchanged, and a session step recorded as done."""

from __future__ import annotations

import warnings
from typing import Any

from vagus.app import App
from vagus.web._csrf import CSRF_COOKIE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx's future
    from fastapi.testclient import TestClient


def csrf_handshake(test_client: TestClient) -> str:
    """``GET /api/csrf``: the token for unsafe requests; the client keeps the cookie it sets."""
    answer = test_client.get("/api/csrf")
    assert answer.status_code == 200, answer.text
    assert test_client.cookies.get(CSRF_COOKIE)
    token = answer.json()["token"]
    assert isinstance(token, str)
    assert token
    return token


def counts(app: App) -> dict[str, int]:
    """Rows per journal table: a refused request must leave these unchanged."""
    return app.journal.counts()


def step_done(step: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /api/sessions/{id}/steps`` for ``step`` (one of the session's
    ``steps``), done in 5 s on a fixed morning."""
    return {
        "step_id": step["id"],
        "kind": step["kind"],
        "started_at": "2026-01-01T08:00:00+00:00",
        "ended_at": "2026-01-01T08:00:05+00:00",
        "active_s": 5.0,
        "outcome": "completed",
    }
