"""Helpers the web tests share: the CSRF handshake a script does, and the journal's row counts
that a refused request must leave unchanged."""

from __future__ import annotations

import warnings

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
